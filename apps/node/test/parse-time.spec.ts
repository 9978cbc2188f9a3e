import { describe, expect, it } from 'vitest'
import { parseTime } from '../src/authority-admin.js'

describe('parseTime', () => {
  const now = Date.parse('2026-12-01T00:00:00Z')
  it('reads dates, ms since the epoch and durations from now', () => {
    expect(parseTime('2027-01-31', '--expires', true, now)).toBe(Date.parse('2027-01-31'))
    expect(parseTime('2027-01-31T12:00:00Z', '--expires', true, now)).toBe(Date.parse('2027-01-31T12:00:00Z'))
    expect(parseTime('1800000000000', '--at', false, now)).toBe(1_800_000_000_000)
    expect(parseTime('30d', '--expires', true, now)).toBe(now + 30 * 86_400_000)
    expect(parseTime('1h30m', '--expires', true, now)).toBe(now + 5_400_000)
  })
  it('refuses anything else, and durations where a date is needed', () => {
    expect(() => parseTime('soon', '--expires', true, now)).toThrow(/--expires must be a date/)
    expect(() => parseTime('30d', '--at', false, now)).toThrow(/--at must be a date/)
  })
})
