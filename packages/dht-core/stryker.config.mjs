// @ts-check
// Mutation testing: `pnpm mutate` (every file of src; not part of `pnpm run check`),
// against every spec but the four slowest (vitest.stryker.config.ts): the
// score is a lower bound of the whole suite's. `pnpm mutate:quick`: the
// files a spec tests alone (stryker.quick.config.mjs).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts', '!src/testing.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  // the networks of a spec form in its beforeAll, which Stryker cannot tie to
  // one test: such mutants rerun whole files, so give them room
  timeoutMS: 30_000
})
