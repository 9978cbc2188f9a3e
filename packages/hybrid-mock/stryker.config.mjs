// @ts-check
// Mutation testing: `pnpm mutate` (every file of src but the compliance suite).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  // src/compliance is the contract's test suite, not library code: a mutant
  // there weakens a check, which no test can notice. Its strength shows in
  // the mutants it kills in mock-dht.ts and hybrid-dht.ts.
  mutate: ['src/**/*.ts', '!src/compliance/**'],
  // without the SIGKILL restart spec: its child processes load src through
  // tsx, outside Stryker's instrumented sandbox, so it kills no mutant
  vitest: { configFile: 'vitest.stryker.config.ts' }
})
