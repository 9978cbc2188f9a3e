// @ts-check
// A quick mutation run for CI: the UCXL parser (address grammar and temporal segments), from scratch, failing below the floor.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/address.ts', 'src/temporal.ts'],
  incremental: false,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  thresholds: { high: 85, low: 70, break: 80 }
})
