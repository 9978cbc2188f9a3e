import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: the MockDHT specs, without the 10-node dht-core integration suite and the process-level claims (umask).
export default chorusVitest({ exclude: ['test/integration.spec.ts', 'test/claims.spec.ts'], reporters: ['default'] })
