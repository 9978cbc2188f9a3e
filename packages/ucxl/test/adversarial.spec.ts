import { describe, expect, it } from 'vitest'
import {
  dhtKey, format, fromJSON, InvalidUcxlAddressError, MAX_ADDRESS_LENGTH, matches, parse, parseLenient, parseTemporal, type UcxlField, validate, withTemporal
} from '../src/index.js'

const K100 = 100_000

// Inputs built to make a backtracking pattern blow up. Parsing is regex-free and
// the length limit is checked first; these tests assert the right error, and
// would time out (vitest's default 5 s) if any of them hung.
const HUGE: Array<[string, string]> = [
  ['repeated component chars', `ucxl://${'a'.repeat(K100)}`],
  ['repeated separators', `ucxl://${'a:'.repeat(K100 / 2)}`],
  ['repeated @:', `ucxl://${'a@b:'.repeat(K100 / 4)}`],
  ['slashes', `ucxl://a:b@c:d/*^${'/'.repeat(K100)}`],
  ['dot segments', `ucxl://a:b@c:d/*^/${'../'.repeat(K100 / 3)}`],
  ['a long count', `ucxl://a:b@c:d/*~${'9'.repeat(K100)}`],
  ['leading zeros', `ucxl://a:b@c:d/~~${'0'.repeat(K100)}1`],
  ['stars', `ucxl://${'*'.repeat(K100)}`],
  ['slash form', `ucxl://${'a/'.repeat(K100 / 2)}`],
  ['almost valid then !', `ucxl://a:b@c:d/*^/${'ab/'.repeat(K100 / 3)}!`],
  ['whitespace', `${' '.repeat(K100)}ucxl://a/b/c/d`],
  ['non-string-like unicode', `ucxl://${'😀'.repeat(K100 / 2)}`]
]

describe('100 kB adversarial inputs are rejected by the length limit', () => {
  it.each(HUGE)('%s', (_name, input) => {
    expect(input.length).toBeGreaterThanOrEqual(K100)
    for (const fn of [parse, parseLenient, dhtKey, (s: string) => matches(s, 'ucxl://a:b@c:d/*^')]) {
      let error: any
      try {
        fn(input)
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(InvalidUcxlAddressError)
      expect(error.field).toBe('scheme')
      expect(error.reason).toBe(`the address is ${input.length} characters long; the limit is ${MAX_ADDRESS_LENGTH}`)
      expect(error.message.length).toBeLessThan(2200)
    }
    expect(validate(input).error?.field).toBe('scheme')
  })

  it('a 100 kB temporal segment is rejected', () => {
    expect(() => parseTemporal(`*~${'1'.repeat(K100)}`)).toThrow(expect.objectContaining({ field: 'temporal_segment' }))
    expect(() => withTemporal('ucxl://a:b@c:d/*^', `~~${'0'.repeat(K100)}`)).toThrow(expect.objectContaining({ field: 'temporal_segment' }))
  })

  it('100 kB fields of an object are rejected naming the field', () => {
    const base = parse('ucxl://a:b@c:d/*^')
    const cases: Array<[Record<string, unknown>, UcxlField]> = [
      [{ agent: 'a'.repeat(K100) }, 'agent'],
      [{ task: 'a'.repeat(K100) }, 'task'],
      [{ path: 'a/'.repeat(K100 / 2) }, 'path'],
      [{ path: 'a'.repeat(K100) }, 'path']
    ]
    for (const [change, field] of cases) {
      expect(() => format({ ...base, ...change } as any)).toThrow(expect.objectContaining({ field }))
      expect(() => dhtKey({ ...base, ...change } as any)).toThrow(expect.objectContaining({ field }))
    }
    expect(() => fromJSON(JSON.stringify({ ...base, path: 'a'.repeat(K100) }))).toThrow(expect.objectContaining({ field: 'scheme' }))
  })
})

describe('adversarial inputs just under the limit fail on the right field', () => {
  const fill = (prefix: string, unit: string, suffix = ''): string => {
    const n = Math.floor((MAX_ADDRESS_LENGTH - prefix.length - suffix.length) / unit.length)
    return prefix + unit.repeat(n) + suffix
  }

  it.each<[string, string, UcxlField]>([
    ['agent without separator', fill('ucxl://', 'a'), 'role'],
    ['agent then !', fill('ucxl://', 'a', '!'), 'agent'],
    ['many colons', fill('ucxl://', 'a:'), 'role'],
    ['many at signs', fill('ucxl://a:', 'b@'), 'project'],
    ['long bad count', fill('ucxl://a:b@c:d/*~', '9'), 'temporal_segment'],
    ['long leading zeros', fill('ucxl://a:b@c:d/*~', '0'), 'temporal_segment'],
    ['long path then ..', fill('ucxl://a:b@c:d/*^/', 'ab/', '..'), 'path'],
    ['long path then //', fill('ucxl://a:b@c:d/*^/', 'ab/', '/x'), 'path'],
    ['long path then space', fill('ucxl://a:b@c:d/*^/', 'a.b', ' '), 'path']
  ])('%s', (_name, input, field) => {
    expect(input.length).toBeLessThanOrEqual(MAX_ADDRESS_LENGTH)
    expect(validate(input).error?.field).toBe(field)
  })

  it('lenient leading zeros up to the limit still parse', () => {
    const input = `ucxl://a:b@c:d/~~${'0'.repeat(MAX_ADDRESS_LENGTH - 20)}7`
    expect(parseLenient(input).raw).toBe('ucxl://a:b@c:d/~~7')
  })
})
