// @ts-check
// Mutation testing: `pnpm mutate` (every file of src; not part of `pnpm run check`),
// against every spec but the four slowest (vitest.stryker.config.ts): the
// score is a lower bound of the whole suite's. `pnpm mutate:quick`: the
// files a spec tests alone (stryker.quick.config.mjs).
import { strykerConfig } from '../../stryker.base.mjs'

// scripts/mutate-chunks.mjs (`pnpm mutate:chunks`) runs this config one group
// of files at a time, each with its own reports
const chunk = process.env.STRYKER_CHUNK
const chunkFiles = process.env.STRYKER_CHUNK_FILES?.split(',')

export default strykerConfig({
  mutate: chunkFiles ?? ['src/**/*.ts', '!src/testing.ts'],
  ...(chunk === undefined
    ? {}
    : {
        incrementalFile: `reports/chunks/${chunk}.incremental.json`,
        // groups may run side by side (--only): each its own sandboxes
        tempDirName: `.stryker-tmp-${chunk}`,
        // and none copies the others' sandboxes into its own
        ignorePatterns: ['/.stryker-tmp-*'],
        reporters: ['clear-text', 'progress', 'json'],
        jsonReporter: { fileName: `reports/chunks/${chunk}.json` }
      }),
  vitest: { configFile: process.env.STRYKER_CHUNK_VITEST ?? 'vitest.stryker.config.ts' },
  // the networks of a spec form in its beforeAll, which Stryker cannot tie to
  // one test: such mutants rerun whole files, so give them room
  timeoutMS: 30_000
})
