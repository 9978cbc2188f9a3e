// @ts-check
// A quicker mutation run (`pnpm mutate:quick`): the hybrid's health monitor,
// journal replay, write journal and configuration, about 470 mutants; the
// full `pnpm mutate` (1,700 mutants) takes about two hours on a shared 2-core machine.
import { strykerConfig } from '../../stryker.base.mjs'

export default strykerConfig({
  mutate: ['src/health-monitor.ts', 'src/journal-replay.ts', 'src/hybrid-config.ts', 'src/journal.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  incrementalFile: 'reports/stryker-incremental-scoped.json',
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation-quick/mutation.html' }
})
