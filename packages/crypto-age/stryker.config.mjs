// @ts-check
// Mutation testing of the age format code: `pnpm mutate` (src/age), `pnpm mutate:quick` (a few files, for CI).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/age/**/*.ts'],
  // the tests without the age CLI interop suite (one CLI process per test is too slow per mutant)
  vitest: { configFile: 'vitest.stryker.config.ts' }
})
