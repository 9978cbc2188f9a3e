import { describe, expect, it } from 'vitest'
import { base64UrlPadded } from '../src/dht-key.js'
import { DHT_KEY_PREFIX, dhtKey, headKey, InvalidUcxlAddressError, parse, parseLenient, versionKey } from '../src/index.js'

// Expected keys computed outside this code, with:
//   printf %s 'ADDRESS' | openssl dgst -sha256 -binary | basenc --base64url
const KNOWN: Array<[string, string]> = [
  ['ucxl://agent1:backend_developer@proj:task1/*^/decisions/api', '/CHORUS/ucxl/Uuxs-_UAOIOrh2eEqNxhEIv8kSr8bNbPtwVL20Fg7Xo='],
  ['ucxl://agent001:backend_developer@project123:task456/*^/decision', '/CHORUS/ucxl/wabqFIjd4HY5Ek_6rUUwZkIKbAKyKF7x5aimfKF5r00='],
  ['ucxl://any:admin@chorus:any/*~', '/CHORUS/ucxl/aJ99MtXtE9ixe8YRRTmkq2Sz8quaU62NW-qRy9gqJrg='],
  ['ucxl://a-b:c_d@E:F/~~2/x.y/z', '/CHORUS/ucxl/7txUkEOXaDXir-YX-XNEmoCkgERpZpGZy1dD54KlRSM='],
  ['ucxl://alice:architect@chorus:design/^^10/docs/readme.md', '/CHORUS/ucxl/8o2K0DX750ajtz2cFWq0CNBFJmS0hHNmNs5HaxZkNug='],
  ['ucxl://agent1:backend_developer@proj:task1/*~3/decisions/api', '/CHORUS/ucxl/RkheYaPHvY3NB1LotyyTnX3yFdAvPoInrnOoQYDxFpI=']
]

describe('dhtKey', () => {
  it.each(KNOWN)('%s has the known key', (address, key) => {
    expect(dhtKey(address)).toBe(key)
    expect(dhtKey(parse(address))).toBe(key)
  })

  it('keys are the prefix plus 44 base64url characters ending in one =', () => {
    for (const [address] of KNOWN) {
      const key = dhtKey(address)
      expect(key.startsWith(DHT_KEY_PREFIX)).toBe(true)
      expect(key.slice(DHT_KEY_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]{43}=$/)
    }
  })

  it('gives the slash form and the canonical form of one address the same key', () => {
    expect(dhtKey('ucxl://agent001/backend_developer/project123/task456/decision')).toBe(KNOWN[1][1])
  })

  it('rebuilds the string from the fields instead of trusting raw', () => {
    const address = { ...parse(KNOWN[0][0]), raw: 'ucxl://x:y@z:w/*^' }
    expect(dhtKey(address)).toBe(KNOWN[0][1])
  })

  it('rejects malformed addresses with InvalidUcxlAddressError', () => {
    expect(() => dhtKey('ucxl://a:b@c:d/*^/../x')).toThrow(InvalidUcxlAddressError)
    expect(() => dhtKey({ ...parse(KNOWN[0][0]), agent: 'a*' })).toThrow(expect.objectContaining({ field: 'agent' }))
  })
})

describe('headKey and versionKey', () => {
  it('headKey is the key of the address with *^', () => {
    expect(headKey('ucxl://agent1:backend_developer@proj:task1/~~2/decisions/api')).toBe(KNOWN[0][1])
    expect(headKey(parseLenient('ucxl://agent1:backend_developer@proj:task1/*~9/decisions/api'))).toBe(KNOWN[0][1])
  })

  it('versionKey is the key of the address with *~N', () => {
    expect(versionKey('ucxl://agent1:backend_developer@proj:task1/*^/decisions/api', 3)).toBe(KNOWN[5][1])
    expect(versionKey(parse('ucxl://agent1:backend_developer@proj:task1/^^1/decisions/api'), 3)).toBe(KNOWN[5][1])
  })

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Number.POSITIVE_INFINITY])('versionKey rejects version %s', (n) => {
    expect(() => versionKey(KNOWN[0][0], n)).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError', field: 'temporal_segment' }))
  })
})

describe('base64url with padding (Go base64.URLEncoding)', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
  it.each([
    ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']
  ])('encodes %j as %s (RFC 4648 vectors)', (input, expected) => {
    expect(base64UrlPadded(bytes(input))).toBe(expected)
  })

  it('uses - and _ instead of + and /', () => {
    expect(base64UrlPadded(new Uint8Array([0xfb, 0xff]))).toBe('-_8=')
    expect(base64UrlPadded(new Uint8Array([0xfb, 0xef, 0xbe]))).toBe('----')
    expect(base64UrlPadded(new Uint8Array([0xff, 0xff, 0xff]))).toBe('____')
  })
})
