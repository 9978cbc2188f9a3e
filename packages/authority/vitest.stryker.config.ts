import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate`: every spec but the age CLI interop suite
// (a CLI process per test) and the one test that derives a key at age's
// default scrypt work factor (about 20 s per run, per mutant).
export default chorusVitest({
  exclude: ['test/age-cli.spec.ts'],
  testNamePattern: /^(?!.*default work factor)/,
  reporters: ['default']
})
