// @ts-check
// A quick mutation run for CI: the age format (header, stanzas, armor, base64, keys), from scratch, failing below the floor.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/age/format.ts', 'src/age/base64.ts', 'src/age/armor.ts', 'src/age/keys.ts'],
  vitest: { configFile: 'vitest.stryker.quick.config.ts' },
  incremental: false,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  thresholds: { high: 85, low: 70, break: 80 }
})
