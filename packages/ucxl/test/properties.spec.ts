import type { TemporalSegment, UCXLAddress } from '@chorus-dht/types'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  dhtKey, format, fromJSON, InvalidUcxlAddressError, matches, parse, parseLenient, toJSON, type UcxlField, validate
} from '../src/index.js'

const RUNS = { numRuns: 300 }

const WORD = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-']
const component = fc.string({ unit: fc.constantFrom(...WORD), minLength: 1, maxLength: 16 })
const pathSegment = fc.string({ unit: fc.constantFrom(...WORD, '.'), minLength: 1, maxLength: 12 }).filter((s) => s !== '..')
const path = fc.array(pathSegment, { maxLength: 5 }).map((segments) => segments.join('/'))
const count = fc.oneof(fc.nat({ max: 100 }), fc.maxSafeNat())
const temporal: fc.Arbitrary<TemporalSegment> = fc.oneof(
  fc.constant<TemporalSegment>({ type: 'latest' }),
  fc.constant<TemporalSegment>({ type: 'any' }),
  count.map<TemporalSegment>((n) => ({ type: 'specific', count: n })),
  fc.tuple(fc.constantFrom<'backward' | 'forward'>('backward', 'forward'), count)
    .map<TemporalSegment>(([direction, n]) => ({ type: 'relative', direction, count: n }))
)
const fields = fc.record({ agent: component, role: component, project: component, task: component, temporal_segment: temporal, path })

/** Characters that are invalid in a component but are not one of its separators. */
const BAD_COMPONENT_CHAR = fc.constantFrom(' ', '.', '*', '!', '#', '%', '+', '~', '^', '?', '=', '\\', 'é', '\u0000', '\n', '😀')
const BAD_PATH_CHAR = fc.constantFrom(' ', '*', '!', '#', '%', '+', '~', '^', '?', '=', ':', '@', '\\', 'é', '\u0000', '\t', '😀')

function insertAt (s: string, at: number, piece: string): string {
  const i = at % (s.length + 1)
  return s.slice(0, i) + piece + s.slice(i)
}

function render (a: Omit<UCXLAddress, 'raw'>, temporalText: string, pathText: string): string {
  return `ucxl://${a.agent}:${a.role}@${a.project}:${a.task}/${temporalText}${pathText === '' ? '' : `/${pathText}`}`
}

function fieldOf (fn: () => unknown): UcxlField | 'none' {
  try {
    fn()
    return 'none'
  } catch (err) {
    if (!(err instanceof InvalidUcxlAddressError)) throw err
    return err.field
  }
}

describe('properties of valid addresses', () => {
  it('parse(format(x)) deep-equals x with raw = format(x)', () => {
    fc.assert(fc.property(fields, (x) => {
      const canonical = format(x)
      expect(parse(canonical)).toStrictEqual({ ...x, raw: canonical })
      expect(parseLenient(canonical)).toStrictEqual({ ...x, raw: canonical })
    }), RUNS)
  })

  it('format(parse(s)) === s for every accepted string', () => {
    fc.assert(fc.property(fields, (x) => {
      const s = format(x)
      expect(format(parse(s))).toBe(s)
    }), RUNS)
  })

  it('the slash form parses to the canonical address with *^ and the same key', () => {
    fc.assert(fc.property(fields, (x) => {
      const slash = `ucxl://${x.agent}/${x.role}/${x.project}/${x.task}${x.path === '' ? '' : `/${x.path}`}`
      const canonical = { ...x, temporal_segment: { type: 'latest' as const } }
      expect(parseLenient(slash)).toStrictEqual(parse(format(canonical)))
      expect(dhtKey(slash)).toBe(dhtKey(canonical))
    }), RUNS)
  })

  it('JSON round-trips and an address matches itself and the all-any pattern', () => {
    fc.assert(fc.property(fields, (x) => {
      const address = parse(format(x))
      expect(fromJSON(JSON.stringify(toJSON(address)))).toStrictEqual(address)
      expect(matches(address, address)).toBe(true)
      expect(matches({ ...address, agent: 'any', role: 'any', project: 'any', task: 'any', temporal_segment: { type: 'any' } }, address)).toBe(true)
    }), RUNS)
  })
})

describe('properties of invalid addresses', () => {
  const componentNames = ['agent', 'role', 'project', 'task'] as const

  it('a bad character in one component is rejected naming that component', () => {
    fc.assert(fc.property(fields, fc.constantFrom(...componentNames), BAD_COMPONENT_CHAR, fc.nat(), (x, field, bad, at) => {
      const broken = { ...x, [field]: insertAt(x[field], at, bad) }
      const s = render(broken, format({ ...x, path: '' }).split('/')[3], x.path)
      expect(fieldOf(() => parse(s))).toBe(field)
      expect(fieldOf(() => parseLenient(s))).toBe(field)
      expect(validate(s).error?.field).toBe(field)
      expect(fieldOf(() => format(broken))).toBe(field)
    }), RUNS)
  })

  it('an empty component is rejected naming that component', () => {
    fc.assert(fc.property(fields, fc.constantFrom(...componentNames), (x, field) => {
      const broken = { ...x, [field]: '' }
      expect(fieldOf(() => parse(render(broken, '*^', x.path)))).toBe(field)
    }), RUNS)
  })

  const badTemporal = fc.oneof(
    fc.constantFrom('', '*', '~', '^', '**', '~~', '^^', '*^^', '^*', '~*', 'latest', 'any'),
    fc.tuple(fc.constantFrom('*~', '~~', '^^'), fc.stringMatching(/^0[0-9]{1,5}$/)).map(([f, d]) => f + d),
    fc.tuple(fc.constantFrom('*~', '~~', '^^'), fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 40n })).map(([f, n]) => f + n.toString()),
    fc.tuple(fc.constantFrom('*~', '~~', '^^', '*^'), fc.nat(), BAD_PATH_CHAR).map(([f, n, c]) => `${f}${n}${c}`)
  )

  it('a bad temporal segment is rejected naming temporal_segment', () => {
    fc.assert(fc.property(fields, badTemporal, (x, t) => {
      expect(fieldOf(() => parse(render(x, t, x.path)))).toBe('temporal_segment')
    }), RUNS)
  })

  const badPath = fc.oneof(
    fc.tuple(path, BAD_PATH_CHAR, fc.nat()).map(([p, c, at]) => insertAt(p === '' ? 'x' : p, at, c)),
    fc.tuple(path, path).map(([a, b]) => [a, '..', b].filter((s) => s !== '').join('/')),
    fc.tuple(pathSegment, pathSegment).map(([a, b]) => `${a}//${b}`),
    pathSegment.map((a) => `${a}/`),
    pathSegment.map((a) => `/${a}`)
  )

  it('a bad path is rejected naming path', () => {
    fc.assert(fc.property(fields, badPath, (x, p) => {
      const s = render(x, '*^', p)
      expect(fieldOf(() => parse(s))).toBe('path')
      // parseLenient trims surrounding whitespace, so a bad trailing space is not bad there.
      if (s.trim() === s) expect(fieldOf(() => parseLenient(s))).toBe('path')
      expect(fieldOf(() => format({ ...x, path: p }))).toBe('path')
    }), RUNS)
  })
})

describe('fuzzing: only InvalidUcxlAddressError, and lenient output is canonical', () => {
  const grammarChars = fc.constantFrom(...'ab_-09:@/.*^~ Aé\u0000'.split(''), 'any', 'ucxl://', '*^', '*~', '~~1', '^^2', '..', '//')
  const near = fc.array(grammarChars, { maxLength: 40 }).map((parts) => `ucxl://${parts.join('')}`)
  const anything = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }), near)

  it('parse and parseLenient never throw anything else', () => {
    fc.assert(fc.property(anything, (s) => {
      for (const fn of [parse, parseLenient]) {
        try {
          fn(s)
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidUcxlAddressError)
        }
      }
    }), { numRuns: 2000 })
  })

  it('whatever parseLenient accepts, its raw is strictly valid and denotes the same address', () => {
    fc.assert(fc.property(anything, (s) => {
      let address: UCXLAddress
      try {
        address = parseLenient(s)
      } catch {
        return
      }
      expect(parse(address.raw)).toStrictEqual(address)
    }), { numRuns: 2000 })
  })

  it('whatever parse accepts is its own canonical form', () => {
    fc.assert(fc.property(anything, (s) => {
      let address: UCXLAddress
      try {
        address = parse(s)
      } catch {
        return
      }
      expect(address.raw).toBe(s)
      expect(format(address)).toBe(s)
    }), { numRuns: 2000 })
  })
})
