// @ts-check
// The Stryker (mutation testing) setup the packages share: `pnpm mutate` in
// every library package (not part of `pnpm run check`). Each package's
// stryker.config.mjs calls strykerConfig().
import { createRequire } from 'node:module'

// Stryker looks for plugins beside itself; under pnpm the runner is not there.
const vitestRunner = createRequire(import.meta.url).resolve('@stryker-mutator/vitest-runner')

/**
 * @param {Partial<import('@stryker-mutator/api/core').PartialStrykerOptions>} options
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig (options) {
  return {
    plugins: [vitestRunner],
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.config.ts' },
    coverageAnalysis: 'perTest',
    // the machines are small and shared; raise with --concurrency
    concurrency: 1,
    // later runs retest only mutants whose code or tests changed
    incremental: true,
    incrementalFile: 'reports/stryker-incremental.json',
    reporters: ['clear-text', 'progress', 'json', 'html'],
    jsonReporter: { fileName: 'reports/mutation/mutation.json' },
    htmlReporter: { fileName: 'reports/mutation/mutation.html' },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    timeoutMS: 10_000,
    thresholds: { high: 85, low: 70, break: null },
    ...options
  }
}
