import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate:quick`: the specs of single classes and
// functions, no network (each mutant reruns them in well under a second).
export default chorusVitest({
  include: ['test/abuse-guard.spec.ts', 'test/peer-liveness.spec.ts', 'test/record-guard.spec.ts', 'test/peer-quotas.spec.ts', 'test/peer-gater.spec.ts', 'test/utils.spec.ts', 'test/constants.spec.ts'],
  reporters: ['default']
})
