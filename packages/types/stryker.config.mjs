// @ts-check
// Mutation testing: `pnpm mutate` (every file of src; not part of `pnpm run check`).
// Most of src is interfaces and types, which hold nothing to mutate; the
// error classes and the runtime helpers are what the run measures.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/**/*.ts']
})
