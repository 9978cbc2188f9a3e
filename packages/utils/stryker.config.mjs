// @ts-check
// Mutation testing: `pnpm mutate` (every file of src; not part of `pnpm run check`).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts']
})
