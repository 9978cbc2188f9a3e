import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: every spec but the four slowest network
// suites (compliance, claims, abuse, put: 42 of the suite's 59 s). A mutant
// these specs kill is killed by the whole suite too, so the score is a lower
// bound of the whole suite's; the four run per mutant would take ~6.7 h.
export default chorusVitest({
  exclude: ['test/compliance.spec.ts', 'test/claims.spec.ts', 'test/abuse.spec.ts', 'test/put.spec.ts'],
  reporters: ['default']
})
