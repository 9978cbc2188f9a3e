// @ts-check
// A quick mutation run: how replicas are counted (replica-meter.ts: measure,
// holds; provider-book.ts: health, status, quality, records) and the XOR
// distance; from scratch. A mutant that stops a repair makes the repair tests
// wait out their 10 s vi.waitFor, so the repair scheduling code is left to the
// full run.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: [
    'src/distance.ts',
    'src/replica-meter.ts',
    'src/provider-book.ts'
  ],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  incremental: false,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' }
})
