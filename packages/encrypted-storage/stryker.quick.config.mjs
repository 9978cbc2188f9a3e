// @ts-check
// A quick mutation run for CI: the record format and its validator (src/record.ts), from scratch, failing below the floor.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/record.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  incremental: false,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  thresholds: { high: 85, low: 70, break: 80 }
})
