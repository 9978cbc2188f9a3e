import { describe, expect, it } from 'vitest'
import { MAX_TIMER_DELAY, namespaceOf, nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber, timerDelay } from '../src/index.js'

describe('option checkers', () => {
  it('return valid values and name the option in an InvalidParametersError', () => {
    expect(positiveNumber('a', 0.5)).toBe(0.5)
    expect(nonNegativeNumber('a', 0)).toBe(0)
    expect(positiveInteger('a', 3)).toBe(3)
    expect(nonNegativeInteger('a', 0)).toBe(0)
    expect(() => positiveNumber('timeout', 0)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: 'timeout must be a positive number, got 0' }))
    expect(() => positiveNumber('timeout', Infinity)).toThrow('timeout must be a positive number, got Infinity')
    expect(() => nonNegativeNumber('delay', -1, { unit: 'ms' })).toThrow('delay must be a non-negative number of ms, got -1')
    expect(() => positiveInteger('k', 1.5)).toThrow('k must be a positive integer, got 1.5')
    expect(() => nonNegativeInteger('k', -1)).toThrow('k must be a non-negative integer, got -1')
    expect(positiveInteger('limit', Infinity, { allowInfinity: true })).toBe(Infinity)
    expect(() => positiveInteger('burst', 0, { allowInfinity: true })).toThrow('burst must be a positive integer or Infinity, got 0')
    expect(timerDelay('interval', MAX_TIMER_DELAY)).toBe(MAX_TIMER_DELAY)
    expect(() => timerDelay('interval', MAX_TIMER_DELAY + 1)).toThrow(`interval must be a number of milliseconds in (0, ${MAX_TIMER_DELAY}], got ${MAX_TIMER_DELAY + 1}`)
  })
})

describe('namespaceOf', () => {
  it('is NS for /NS/rest with a non-empty rest, and undefined otherwise', () => {
    expect(namespaceOf('/CHORUS/ucxl/abc')).toBe('CHORUS')
    expect(namespaceOf('/pk/x')).toBe('pk')
    expect(namespaceOf('/CHORUS//')).toBe('CHORUS')
    for (const k of ['/CHORUS/', '/CHORUS', 'CHORUS/x', '//x', '', '/']) expect(namespaceOf(k)).toBeUndefined()
  })
})
