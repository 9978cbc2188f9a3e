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
  const FUZZ_RUNS = 2000
  const grammarChars = fc.constantFrom(...'ab_-09:@/.*^~ Aé\u0000'.split(''), 'any', 'ucxl://', '*^', '*~', '~~1', '^^2', '..', '//')
  const near = fc.array(grammarChars, { maxLength: 40 }).map((parts) => `ucxl://${parts.join('')}`)

  /** Valid addresses in every form parseLenient accepts; the canonical ones parse accepts too. */
  const lenientForm = fc.tuple(fields, fc.constantFrom('canonical', 'slash', 'no-temporal', 'upper-scheme', 'spaces', 'star', 'zeros')).map(([x, form]) => {
    const canonical = format(x)
    const rest = canonical.slice('ucxl://'.length)
    switch (form) {
      case 'slash': return `ucxl://${x.agent}/${x.role}/${x.project}/${x.task}${x.path === '' ? '' : `/${x.path}`}`
      case 'no-temporal': return x.path === '' ? canonical : `ucxl://${x.agent}:${x.role}@${x.project}:${x.task}/${x.path}`
      case 'upper-scheme': return `UCXL://${rest}`
      case 'spaces': return ` \t${canonical}\n `
      case 'star': return `ucxl://*:${rest.slice(rest.indexOf(':') + 1)}`
      case 'zeros': return canonical.replace(/([*~^][~^])(\d)/, '$1007$2')
      default: return canonical
    }
  })
  /** One edit of a string: insert, delete or replace at a position. */
  const edit = fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), grammarChars)
  function applyEdit (s: string, [kind, at, piece]: [string, number, string]): string {
    const i = at % (s.length + 1)
    if (kind === 'insert') return s.slice(0, i) + piece + s.slice(i)
    if (kind === 'delete') return s.slice(0, i) + s.slice(i + 1)
    return s.slice(0, i) + piece + s.slice(i + 1)
  }
  /** A valid address with up to three edits: some stay valid, most do not. */
  const mutated = fc.tuple(lenientForm, fc.array(edit, { maxLength: 3 })).map(([s, edits]) => edits.reduce(applyEdit, s))
  const anything = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    near,
    { arbitrary: fields.map((x) => format(x)), weight: 2 },
    lenientForm,
    { arbitrary: mutated, weight: 2 }
  )

  /** How many generated inputs a parser accepted and rejected. */
  class Tally {
    accepted = 0
    rejected = 0
    /** Both kinds must be a real share of the inputs, or the property tests one side only. */
    expectBoth (runs: number): void {
      expect(this.accepted + this.rejected).toBeGreaterThanOrEqual(runs)
      expect(this.accepted, 'accepted inputs').toBeGreaterThanOrEqual(runs * 0.15)
      expect(this.rejected, 'rejected inputs').toBeGreaterThanOrEqual(runs * 0.15)
    }
  }

  /** Calls `fn`, counting the outcome; returns its result or undefined when it threw InvalidUcxlAddressError. */
  function attempt (tally: Tally, fn: (s: string) => UCXLAddress, s: string): UCXLAddress | undefined {
    let address: UCXLAddress
    try {
      address = fn(s)
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidUcxlAddressError)
      tally.rejected++
      return undefined
    }
    tally.accepted++
    return address
  }

  it('parse and parseLenient never throw anything else', () => {
    const strict = new Tally()
    const lenient = new Tally()
    fc.assert(fc.property(anything, (s) => {
      attempt(strict, parse, s)
      attempt(lenient, parseLenient, s)
    }), { numRuns: FUZZ_RUNS })
    strict.expectBoth(FUZZ_RUNS)
    lenient.expectBoth(FUZZ_RUNS)
  })

  it('whatever parseLenient accepts, its raw is strictly valid and denotes the same address', () => {
    const tally = new Tally()
    fc.assert(fc.property(anything, (s) => {
      const address = attempt(tally, parseLenient, s)
      if (address === undefined) return
      expect(parse(address.raw)).toStrictEqual(address)
      expect(format(address)).toBe(address.raw)
    }), { numRuns: FUZZ_RUNS })
    tally.expectBoth(FUZZ_RUNS)
  })

  it('whatever parse accepts is its own canonical form, and parseLenient agrees', () => {
    const tally = new Tally()
    fc.assert(fc.property(anything, (s) => {
      const address = attempt(tally, parse, s)
      if (address === undefined) return
      expect(address.raw).toBe(s)
      expect(format(address)).toBe(s)
      expect(parseLenient(s)).toStrictEqual(address)
    }), { numRuns: FUZZ_RUNS })
    tally.expectBoth(FUZZ_RUNS)
  })
})
