// @ts-check
// Mutation testing: `pnpm mutate` (every file of src),
// `pnpm mutate:quick` (measuring replicas and their health).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts'],
  // the in-process MockDHT tests; the 12-node dht-core suite takes too long per mutant
  vitest: { configFile: 'vitest.stryker.config.ts' }
})
