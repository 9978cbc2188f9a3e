import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: every spec but the real-process restart spec.
export default chorusVitest({ exclude: ['test/hybrid-dht.restart.spec.ts'], reporters: ['default'] })
