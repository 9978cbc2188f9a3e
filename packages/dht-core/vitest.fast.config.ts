import { chorusVitest } from '@chorus-dht/vitest-config'

// The second pass of `pnpm mutate:chunks -- --pass fast`: the specs of one
// class or function against stand-ins, and those on a lone node or a
// network of two to four (each file runs in about a second). A subset of
// the suite, so what it kills the suite kills: the script counts a mutant
// detected when either pass detected it.
export default chorusVitest({
  include: [
    'test/abuse-guard.spec.ts', 'test/peer-liveness.spec.ts', 'test/record-guard.spec.ts', 'test/peer-quotas.spec.ts',
    'test/peer-gater.spec.ts', 'test/utils.spec.ts', 'test/constants.spec.ts', 'test/polyfill.spec.ts',
    'test/init.spec.ts', 'test/internals.spec.ts', 'test/record-put.spec.ts', 'test/role-discovery.spec.ts',
    'test/node-states.spec.ts', 'test/lone.spec.ts', 'test/bootstrap.spec.ts', 'test/records-api.spec.ts', 'test/routing-api.spec.ts', 'test/noise-crypto.spec.ts'
  ],
  reporters: ['default']
})
