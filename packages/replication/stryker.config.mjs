// @ts-check
// Mutation testing: `pnpm mutate` (every file of src: about an hour on 2 cores),
// `pnpm mutate:quick` (measuring replicas, health and repair scheduling).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts'],
  // the in-process MockDHT tests; the 12-node dht-core suite takes too long per mutant
  vitest: { configFile: 'vitest.stryker.config.ts' }
})
