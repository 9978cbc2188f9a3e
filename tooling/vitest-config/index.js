// @ts-check
import { defineConfig } from 'vitest/config'

/**
 * The test setup every chorus-dht package shares. Tests live in `test/` as
 * `*.spec.ts`. Timeouts are generous ceilings for slow CI machines, not
 * expectations: no test asserts on timing.
 *
 * @param {import('vitest/config').ViteUserConfig['test']} [overrides]
 */
export function chorusVitest (overrides = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.spec.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      teardownTimeout: 10_000,
      pool: 'forks',
      // The JSON report feeds the repo-wide summary line (scripts/test-summary.mjs).
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
      ...overrides
    }
  })
}

export default chorusVitest()
