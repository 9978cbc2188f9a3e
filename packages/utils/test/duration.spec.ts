import { describe, expect, it } from 'vitest'
import { parseDuration } from '../src/index.js'

describe('parseDuration', () => {
  it('reads plain milliseconds and every unit', () => {
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1.5m')).toBe(90_000)
    expect(parseDuration('1.25s')).toBe(1250)
    expect(parseDuration('1.25s1.125s')).toBe(2375)
    expect(parseDuration('2h')).toBe(7_200_000)
  })

  it('adds compound durations and ignores case and surrounding space', () => {
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('1h1m1s1ms')).toBe(3_661_001)
    expect(parseDuration(' 30S ')).toBe(30_000)
  })

  it('refuses what is not a duration', () => {
    for (const bad of ['', 'soon', '-5s', '5 s', '5d', 's', '1.s', '1m30', '0x10', '1e3']) {
      expect(parseDuration(bad), bad).toBeUndefined()
    }
    expect(parseDuration(undefined as any)).toBeUndefined()
  })
})
