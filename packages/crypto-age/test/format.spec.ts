import { describe, expect, it } from 'vitest'
import { decodeBase64, encodeBase64 } from '../src/age/base64.js'
import { hkdf32, parseHeader } from '../src/age/format.js'

const hex = (s: string): Buffer => Buffer.from(s, 'hex')

describe('age format pieces', () => {
  it('derives HKDF-SHA-256 as RFC 5869 (test cases 1 and 3)', () => {
    const ikm = Buffer.alloc(22, 0x0b)
    expect(hkdf32(ikm, hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9')).toString('hex'))
      .toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf')
    expect(hkdf32(ikm, new Uint8Array(0), new Uint8Array(0)).toString('hex'))
      .toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d')
  })

  it('accepts only canonical unpadded base64', () => {
    expect(encodeBase64(hex('00ff10'))).toBe('AP8Q')
    expect(encodeBase64(hex('00ff'))).toBe('AP8')
    expect(decodeBase64('AP8')).toEqual(Buffer.from(hex('00ff')))
    expect(decodeBase64('AP8=')).toBeUndefined()
    expect(decodeBase64('AP9')).toBeUndefined()
    expect(decodeBase64('A')).toBeUndefined()
    expect(decodeBase64('AP 8')).toBeUndefined()
    expect(decodeBase64('AP-_')).toBeUndefined()
    expect(decodeBase64('')).toEqual(Buffer.alloc(0))
  })

  it('parses stanzas and the MAC, and locates the payload', () => {
    const mac = encodeBase64(Buffer.alloc(32, 1))
    const body = encodeBase64(Buffer.alloc(48, 2))
    const file = Buffer.from(`age-encryption.org/v1\n-> a b\n${body}\n\n-> c\nAQ\n--- ${mac}\nPAYLOAD`)
    const h = parseHeader(file)
    expect(h.stanzas).toEqual([{ args: ['a', 'b'], body: Buffer.alloc(48, 2) }, { args: ['c'], body: Buffer.from([1]) }])
    expect(Buffer.from(h.macInput).toString().endsWith('\n---')).toBe(true)
    expect(Buffer.from(file.subarray(h.payloadStart)).toString()).toBe('PAYLOAD')
    // A full 64-column last line needs the empty line after it.
    expect(() => parseHeader(Buffer.from(`age-encryption.org/v1\n-> a\n${body}\n--- ${mac}\n`))).toThrow(/malformed age header/)
  })
})
