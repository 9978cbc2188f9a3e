import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: every spec but the age CLI interop suite,
// which needs the CLI and spawns a process per test.
export default chorusVitest({ exclude: ['test/interop.spec.ts'], reporters: ['default'] })
