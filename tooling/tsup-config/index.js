// @ts-check
import { defineConfig } from 'tsup'

/**
 * The build every chorus-dht package shares: ESM only, declarations,
 * source maps, a clean `dist/`, Node 20 as the target.
 *
 * @param {import('tsup').Options} [overrides] - per-package additions, e.g. more entry points
 */
export function chorusTsup (overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: false,
    ...overrides
  })
}

export default chorusTsup()
