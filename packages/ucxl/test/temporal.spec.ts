import { NotFoundError, type TemporalSegment } from '@chorus-dht/types'
import { describe, expect, it } from 'vitest'
import { formatTemporal, InvalidUcxlAddressError, parseTemporal, resolveVersion } from '../src/index.js'

describe('parseTemporal / formatTemporal', () => {
  it.each<[string, TemporalSegment]>([
    ['*^', { type: 'latest' }],
    ['*~', { type: 'any' }],
    ['*~12', { type: 'specific', count: 12 }],
    ['~~3', { type: 'relative', direction: 'backward', count: 3 }],
    ['^^0', { type: 'relative', direction: 'forward', count: 0 }]
  ])('%s round-trips', (text, segment) => {
    expect(parseTemporal(text)).toStrictEqual(segment)
    expect(formatTemporal(segment)).toBe(text)
  })

  it('rejects leading zeros unless lenient, and lenient strips them', () => {
    expect(() => parseTemporal('*~010')).toThrow(InvalidUcxlAddressError)
    expect(parseTemporal('*~010', { lenient: true })).toStrictEqual({ type: 'specific', count: 10 })
    expect(parseTemporal('^^000', { lenient: true })).toStrictEqual({ type: 'relative', direction: 'forward', count: 0 })
  })

  it('rejects counts beyond MAX_SAFE_INTEGER even when lenient', () => {
    expect(() => parseTemporal('~~9007199254740992', { lenient: true })).toThrow('larger than 9007199254740991')
    expect(parseTemporal(`~~000${Number.MAX_SAFE_INTEGER}`, { lenient: true }).count).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('rejects a non-string with field temporal_segment', () => {
    expect(() => parseTemporal(3 as any)).toThrow(expect.objectContaining({ field: 'temporal_segment' }))
  })

  it.each<[string, unknown]>([
    ['unknown type', { type: 'newest' }],
    ['null', null],
    ['a string', '*^'],
    ['latest with a count', { type: 'latest', count: 2 }],
    ['any with a direction', { type: 'any', direction: 'forward' }],
    ['specific without count', { type: 'specific' }],
    ['specific with a direction', { type: 'specific', direction: 'backward', count: 1 }],
    ['negative count', { type: 'specific', count: -1 }],
    ['fractional count', { type: 'specific', count: 1.5 }],
    ['string count', { type: 'specific', count: '1' }],
    ['unsafe count', { type: 'specific', count: 2 ** 53 }],
    ['relative without direction', { type: 'relative', count: 1 }],
    ['relative with a bad direction', { type: 'relative', direction: 'sideways', count: 1 }]
  ])('formatTemporal rejects %s', (_name, segment) => {
    expect(() => formatTemporal(segment as TemporalSegment)).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError', field: 'temporal_segment' }))
  })
})

describe('resolveVersion', () => {
  const history = { first: 1, latest: 5 }

  it.each<[string, number]>([
    ['*^', 5],
    ['*~', 1],
    ['*~1', 1],
    ['*~3', 3],
    ['*~5', 5],
    ['~~0', 5],
    ['~~2', 3],
    ['~~4', 1],
    ['^^0', 1],
    ['^^2', 3],
    ['^^4', 5]
  ])('%s resolves to %i in [1, 5]', (text, version) => {
    expect(resolveVersion(parseTemporal(text), history)).toBe(version)
    expect(resolveVersion(text, history)).toBe(version)
  })

  it('works when the history does not start at 1', () => {
    expect(resolveVersion('^^1', { first: 10, latest: 20 })).toBe(11)
    expect(resolveVersion('~~1', { first: 10, latest: 20 })).toBe(19)
    expect(resolveVersion('*~', { first: 10, latest: 20 })).toBe(10)
  })

  it.each(['*~0', '*~6', '~~5', '^^5', `~~${Number.MAX_SAFE_INTEGER}`, `^^${Number.MAX_SAFE_INTEGER}`])('%s is outside [1, 5]: NotFoundError naming the segment and the range', (text) => {
    let error: any
    try {
      resolveVersion(text, history)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.name).toBe('NotFoundError')
    expect(error.message).toContain(text)
    expect(error.message).toContain('[1, 5]')
  })

  it.each([
    ['latest < first', { first: 1, latest: 0 }],
    ['NaN', { first: Number.NaN, latest: Number.NaN }],
    ['missing', {} as any]
  ])('an empty history (%s) is NotFoundError for every segment', (_name, empty) => {
    for (const text of ['*^', '*~', '*~0', '~~0', '^^0']) {
      expect(() => resolveVersion(text, empty)).toThrow(expect.objectContaining({ name: 'NotFoundError', message: expect.stringContaining('empty') }))
    }
  })

  it('rejects a malformed segment with InvalidUcxlAddressError', () => {
    expect(() => resolveVersion({ type: 'relative', count: 1 } as TemporalSegment, history)).toThrow(InvalidUcxlAddressError)
    expect(() => resolveVersion('~~', history)).toThrow(InvalidUcxlAddressError)
  })
})
