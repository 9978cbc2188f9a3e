import { describe, expect, it } from 'vitest'
import { InvalidUcxlAddressError, parse } from '../src/index.js'

describe('InvalidUcxlAddressError', () => {
  it('has a stable name on the class and the instance', () => {
    const err = new InvalidUcxlAddressError('agent', 'bad', 'ucxl://x')
    expect(InvalidUcxlAddressError.name).toBe('InvalidUcxlAddressError')
    expect(err.name).toBe('InvalidUcxlAddressError')
    expect(err).toBeInstanceOf(Error)
  })

  it('has the exact CHORUS message text and the bare reason', () => {
    const err = new InvalidUcxlAddressError('role', 'the role is empty', 'ucxl://a:@p:t/*^')
    expect(err.message).toBe('UCXL address validation error in role: the role is empty (address: ucxl://a:@p:t/*^)')
    expect(err.field).toBe('role')
    expect(err.reason).toBe('the role is empty')
    expect(err.raw).toBe('ucxl://a:@p:t/*^')
  })

  it('thrown errors follow the same text', () => {
    const raw = 'ucxl://a:b@c:d/*^/x//y'
    try {
      parse(raw)
      expect.unreachable()
    } catch (err: any) {
      expect(err.name).toBe('InvalidUcxlAddressError')
      expect(err.field).toBe('path')
      expect(err.raw).toBe(raw)
      expect(err.message).toBe(`UCXL address validation error in path: ${err.reason} (address: ${raw})`)
    }
  })

  it('clips a long raw so huge inputs do not end up in messages whole', () => {
    const err = new InvalidUcxlAddressError('scheme', 'too long', 'x'.repeat(10_000))
    expect(err.raw).toBe(`${'x'.repeat(2048)}…`)
    expect(err.message.length).toBeLessThan(2200)
    const legal = `ucxl://a:b@c:d/*^/${'p'.repeat(2000)}`
    expect(new InvalidUcxlAddressError('path', 'bad', legal).raw).toBe(legal)
  })
})
