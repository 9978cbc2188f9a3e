// @ts-check
// Mutation testing of the record format and its validator: `pnpm mutate` (not part of `pnpm run check`).
// Run it with `pnpm mutate --concurrency 1` on the shared machines. For the
// whole package: `pnpm mutate --concurrency 1 --mutate 'src/**/*.ts'` (long).
//
// Equivalent mutants are marked in src/record.ts with `// Stryker disable`
// and the reason: the verified-records cache (skipping it only repeats
// checks that pass again), the canonical-form guard after ucxl's strict
// parse() (unreachable: parse(s).raw === s), and the initial `ok = false`
// of the signature check (always overwritten or thrown past).
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/record.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  thresholds: { high: 85, low: 70, break: null }
})
