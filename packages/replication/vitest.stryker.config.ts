import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: the MockDHT specs, without the 12-node dht-core network suite.
export default chorusVitest({ exclude: ['test/network.spec.ts'], reporters: ['default'] })
