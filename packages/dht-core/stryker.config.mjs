// @ts-check
// Mutation testing: `pnpm mutate` (every file of src; not part of `pnpm run check`).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts', '!src/testing.ts'],
  // the networks of a spec form in its beforeAll, which Stryker cannot tie to
  // one test: such mutants rerun whole files, so give them room
  timeoutMS: 30_000
})
