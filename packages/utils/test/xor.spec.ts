import { describe, expect, it } from 'vitest'
import { compareXorDistance, xor, xorHex } from '../src/index.js'

describe('XOR distance', () => {
  it('xor and xorHex agree, and compareXorDistance orders by the same number', () => {
    const t = Uint8Array.of(0b1010, 0)
    const near = Uint8Array.of(0b1011, 0xff)
    const far = Uint8Array.of(0b0010, 0)
    expect(xor(t, near)).toEqual(Uint8Array.of(1, 0xff))
    expect(xorHex(t, near)).toBe('01ff')
    expect(xorHex(t, far)).toBe('0800')
    expect(compareXorDistance(t, near, far)).toBeLessThan(0)
    expect(compareXorDistance(t, far, near)).toBeGreaterThan(0)
    expect(compareXorDistance(t, near, near)).toBe(0)
  })
})
