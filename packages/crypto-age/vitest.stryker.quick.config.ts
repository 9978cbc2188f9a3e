import { chorusVitest } from '@chorus-dht/vitest-config'

// The test run of `pnpm mutate:quick`: the specs of the age format (the
// format parser, the CCTV test vectors and the armor/base64/key encodings),
// so that CI's quick run does not pay for the key store and role suites.
export default chorusVitest({ include: ['test/age-format.spec.ts', 'test/format.spec.ts', 'test/cctv.spec.ts'], reporters: ['default'] })
