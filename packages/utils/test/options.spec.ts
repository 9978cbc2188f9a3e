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
    for (const k of [123, null, undefined, ['/a/b']]) expect(namespaceOf(k as any)).toBeUndefined()
  })

  it('MAX_TIMER_DELAY is the longest delay a Node timer waits', () => {
    expect(MAX_TIMER_DELAY).toBe(2_147_483_647)
  })
})

describe('option checkers at their edges', () => {
  const refuses = (fn: () => unknown): void => { expect(fn).toThrow(expect.objectContaining({ name: 'InvalidParametersError' })) }

  it('numbers: finite unless allowInfinity, never NaN, never a non-number', () => {
    expect(nonNegativeNumber('a', Infinity, { allowInfinity: true })).toBe(Infinity)
    expect(positiveNumber('a', Infinity, { allowInfinity: true })).toBe(Infinity)
    refuses(() => nonNegativeNumber('a', Infinity))
    refuses(() => nonNegativeNumber('a', -Infinity, { allowInfinity: true }))
    for (const bad of [Number.NaN, '1', null, undefined, 1n, {}]) {
      refuses(() => positiveNumber('a', bad))
      refuses(() => nonNegativeNumber('a', bad, { allowInfinity: true }))
    }
  })

  it('integers: 1 is the smallest positive, 0 the smallest non-negative; Infinity only when allowed', () => {
    expect(positiveInteger('a', 1)).toBe(1)
    refuses(() => positiveInteger('a', 0))
    refuses(() => positiveInteger('a', Infinity))
    expect(nonNegativeInteger('a', Infinity, { allowInfinity: true })).toBe(Infinity)
    refuses(() => nonNegativeInteger('a', Infinity))
    refuses(() => nonNegativeInteger('a', 2 ** 53))
    refuses(() => nonNegativeInteger('a', -Infinity, { allowInfinity: true }))
    expect(() => nonNegativeInteger('limit', -1, { allowInfinity: true, unit: 'peers' })).toThrow('limit must be a non-negative integer of peers or Infinity, got -1')
  })

  it('timer delays: finite numbers in (0, max]', () => {
    expect(timerDelay('d', 1)).toBe(1)
    expect(timerDelay('d', 10, 10)).toBe(10)
    for (const bad of [0, -1, Infinity, Number.NaN, '5', undefined]) refuses(() => timerDelay('d', bad))
    refuses(() => timerDelay('d', 11, 10))
  })
})
