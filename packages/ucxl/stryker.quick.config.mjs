// @ts-check
// A quick mutation run for CI: the temporal segments and DHT keys, from scratch, failing below the floor.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/temporal.ts', 'src/dht-key.ts'],
  incremental: false,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  thresholds: { high: 85, low: 70, break: 80 }
})
