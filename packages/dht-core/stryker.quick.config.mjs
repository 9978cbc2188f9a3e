// @ts-check
// The quick mutation run: `pnpm mutate:quick`. The files a spec tests alone
// (the abuse and record guards, peer liveness, per-peer quotas, the connection gater, the background task, the defaults),
// against those specs only: minutes, where the whole package takes hours.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/abuse-guard.ts', 'src/peer-liveness.ts', 'src/record-guard.ts', 'src/peer-quotas.ts', 'src/peer-gater.ts', 'src/utils.ts', 'src/constants.ts'],
  vitest: { configFile: 'vitest.unit.config.ts' },
  incrementalFile: 'reports/stryker-incremental-quick.json'
})
