// @ts-check
// Mutation testing of the record format and its validator: `pnpm mutate` (not part of `pnpm run check`).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/record.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  thresholds: { high: 85, low: 70, break: null }
})
