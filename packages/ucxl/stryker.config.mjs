// @ts-check
// Mutation testing: `pnpm mutate` (every file of src), `pnpm mutate:quick` (a few files, for CI).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts']
})
