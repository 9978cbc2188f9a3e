import { describe, expect, it } from 'vitest'
import {
  dhtKey, format, formatTemporal, fromJSON, InvalidUcxlAddressError, isUcxlAddress, MAX_ADDRESS_LENGTH, parse, parseLenient,
  parseTemporal, resolveVersion, type UcxlField, validate, versionKey, withTemporal
} from '../src/index.js'

// The exact reasons and `raw` of every InvalidUcxlAddressError a user can
// meet: the message is `UCXL address validation error in <field>: <reason>
// (address: <raw>)`, the field names the part that is wrong, the reason says
// what to write instead. Limits are tested at the limit and one past it.

const N = MAX_ADDRESS_LENGTH
const FORMS = "one of '*^', '*~', '*~N', '~~N', '^^N'"
const CHARS = 'allowed: A-Z a-z 0-9 _ -'
const PATH_CHARS = 'allowed: A-Z a-z 0-9 _ - / .'
const SLASH_HINT = '; the slash form ucxl://agent/role/project/task/path is accepted only by parseLenient'
const A = { agent: 'a', role: 'r', project: 'p', task: 't', temporal_segment: { type: 'latest' as const }, path: '' }

function caught (fn: () => unknown): InvalidUcxlAddressError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidUcxlAddressError)
    const e = err as InvalidUcxlAddressError
    expect(e.message).toBe(`UCXL address validation error in ${e.field}: ${e.reason} (address: ${e.raw})`)
    return e
  }
  return expect.unreachable('it did not throw') as never
}

type Case = [string, () => unknown, UcxlField, string, string?]

function table (cases: Case[]): void {
  it.each(cases)('%s', (_name, fn, field, reason, raw) => {
    const err = caught(fn)
    expect({ field: err.field, reason: err.reason }).toEqual({ field, reason })
    if (raw !== undefined) expect(err.raw).toBe(raw)
  })
}

describe('parse: what is wrong, and where', () => {
  table([
    ['a number', () => parse(42 as any), 'scheme', 'the address must be a string, got number', '[number]'],
    ['null', () => parse(null as any), 'scheme', 'the address must be a string, got null', '[null]'],
    ['an array', () => parse([] as any), 'scheme', 'the address must be a string, got array', '[array]'],
    ['another scheme', () => parse('http://a:r@p:t/*^'), 'scheme', "the address must start with 'ucxl://'", 'http://a:r@p:t/*^'],
    ["a '*' inside the agent", () => parse('ucxl://a*:r@p:t/*^'), 'agent', "'*' is not valid in the agent; use 'any' for the wildcard at index 8"],
    ['the slash form', () => parse('ucxl://a/r/p/t'), 'agent', `invalid character '/' at index 8; ${CHARS}${SLASH_HINT}`],
    ["a '/' in the role has no slash-form hint", () => parse('ucxl://a:r/x@p:t/*^'), 'role', `invalid character '/' at index 10; ${CHARS}`],
    ["a '#' in the agent has no slash-form hint", () => parse('ucxl://a#:r@p:t/*^'), 'agent', `invalid character '#' at index 8; ${CHARS}`],
    ["'!', the first printable character, is quoted", () => parse('ucxl://a!:r@p:t/*^'), 'agent', `invalid character '!' at index 8; ${CHARS}`],
    ["'~', the last printable character, is quoted", () => parse('ucxl://a~:r@p:t/*^'), 'agent', `invalid character '~' at index 8; ${CHARS}`],
    ['a space is a code point', () => parse('ucxl://a :r@p:t/*^'), 'agent', `invalid character U+0020 at index 8; ${CHARS}`],
    ['DEL is a code point', () => parse('ucxl://a\u007f:r@p:t/*^'), 'agent', `invalid character U+007F at index 8; ${CHARS}`],
    ['U+0080 is not a component character', () => parse('ucxl://a\u0080:r@p:t/*^'), 'agent', `invalid character U+0080 at index 8; ${CHARS}`],
    ['é, upper-case hex', () => parse('ucxl://a\u00e9:r@p:t/*^'), 'agent', `invalid character U+00E9 at index 8; ${CHARS}`],
    ['an emoji is one code point', () => parse('ucxl://a😀:r@p:t/*^'), 'agent', `invalid character U+1F600 at index 8; ${CHARS}`],
    ['U+0080 is not a path character', () => parse('ucxl://a:r@p:t/*^/x\u0080'), 'path', `invalid character U+0080 at index 19; ${PATH_CHARS}`],
    ['a bad path character', () => parse('ucxl://a:r@p:t/*^/ab#'), 'path', `invalid character '#' at index 20; ${PATH_CHARS}`],
    ['no role', () => parse('ucxl://a'), 'role', "the role is missing: expected ':' after the agent", 'ucxl://a'],
    ['no project', () => parse('ucxl://a:r'), 'project', "the project is missing: expected '@' after the role"],
    ['no task', () => parse('ucxl://a:r@p'), 'task', "the task is missing: expected ':' after the project"],
    ['no temporal segment', () => parse('ucxl://a:r@p:t'), 'temporal_segment', `the temporal segment is missing: expected '/' and ${FORMS} after the task`],
    ['an empty agent', () => parse('ucxl://:r@p:t/*^'), 'agent', 'the agent is empty'],
    ['an empty temporal segment', () => parse('ucxl://a:r@p:t/'), 'temporal_segment', `the temporal segment is empty; expected ${FORMS}`],
    ['a count that is not digits', () => parse('ucxl://a:r@p:t/*~x'), 'temporal_segment', "the count after '*~' must be decimal digits, found 'x'"],
    ['a missing count', () => parse('ucxl://a:r@p:t/~~'), 'temporal_segment', "'~~' needs a count, e.g. '~~1'"],
    ['a leading zero', () => parse('ucxl://a:r@p:t/*~01'), 'temporal_segment', "leading zeros are not allowed in a count: write '*~1'"],
    ['a count of 17 digits', () => parse('ucxl://a:r@p:t/*~12345678901234567'), 'temporal_segment', 'count 12345678901234567 is larger than 9007199254740991 (Number.MAX_SAFE_INTEGER)'],
    ['a count of 24 digits is shown whole', () => parse(`ucxl://a:r@p:t/*~${'9'.repeat(24)}`), 'temporal_segment', `count ${'9'.repeat(24)} is larger than 9007199254740991 (Number.MAX_SAFE_INTEGER)`],
    ['a count of 25 digits is shown clipped', () => parse(`ucxl://a:r@p:t/*~${'9'.repeat(25)}`), 'temporal_segment', `count ${'9'.repeat(24)}… is larger than 9007199254740991 (Number.MAX_SAFE_INTEGER)`],
    ['an unknown segment', () => parse('ucxl://a:r@p:t/abc'), 'temporal_segment', `unknown temporal segment 'abc'; expected ${FORMS}`],
    ['an unknown segment of 32 characters is shown whole', () => parse(`ucxl://a:r@p:t/${'q'.repeat(32)}`), 'temporal_segment', `unknown temporal segment '${'q'.repeat(32)}'; expected ${FORMS}`],
    ['an unknown segment of 33 characters is shown clipped', () => parse(`ucxl://a:r@p:t/${'q'.repeat(33)}`), 'temporal_segment', `unknown temporal segment '${'q'.repeat(32)}…'; expected ${FORMS}`],
    ["'//' after the temporal segment", () => parse('ucxl://a:r@p:t/*^//x'), 'path', "the path must not start with '/' (no '//' after the temporal segment)"],
    ["'//' inside the path", () => parse('ucxl://a:r@p:t/*^/a//b'), 'path', "the path must not contain '//' (index 19)"],
    ["a trailing '/' after the path", () => parse('ucxl://a:r@p:t/*^/a/'), 'path', "the path must not end with '/'"],
    ["a trailing '/' after the temporal segment", () => parse('ucxl://a:r@p:t/*^/'), 'path', "the address must not end with '/'; with an empty path it ends with the temporal segment"],
    ["a '..' segment", () => parse('ucxl://a:r@p:t/*^/a/../b'), 'path', "the path must not contain a '..' segment (index 20)"]
  ])

  it('takes an address of exactly the limit and refuses one character more, before reading it', () => {
    const base = 'ucxl://a:r@p:t/*^/'
    const longest = base + 'x'.repeat(N - base.length)
    expect(parse(longest).raw).toBe(longest)
    const err = caught(() => parse(`${longest}x`))
    expect([err.field, err.reason]).toEqual(['scheme', `the address is ${N + 1} characters long; the limit is ${N}`])
  })

  it("takes '.' in a path segment", () => {
    expect(parse('ucxl://a:r@p:t/*^/v1.2/a.b').path).toBe('v1.2/a.b')
    expect(parse('ucxl://a:r@p:t/*^/.hidden').path).toBe('.hidden')
  })
})

describe('parseLenient: what is wrong, and where', () => {
  table([
    ['another scheme, trimmed', () => parseLenient(' http://x '), 'scheme', "the address must start with 'ucxl://'", 'http://x'],
    ["a '*' inside the agent", () => parseLenient('ucxl://a*:r@p:t/*^'), 'agent', "'*' is only accepted as the whole agent (meaning 'any') at index 8"],
    ["a '*' before other characters", () => parseLenient('ucxl://*x/r/p/t'), 'agent', "'*' is only accepted as the whole agent (meaning 'any') at index 7"],
    ['slash form without a role', () => parseLenient('ucxl://a'), 'role', 'the role is missing: the slash form is ucxl://agent/role/project/task/path'],
    ['slash form without a project', () => parseLenient('ucxl://a/r'), 'project', 'the project is missing: the slash form is ucxl://agent/role/project/task/path'],
    ['slash form without a task', () => parseLenient('ucxl://a/r/p'), 'task', 'the task is missing: the slash form is ucxl://agent/role/project/task/path'],
    ['canonical form without a role', () => parseLenient('ucxl://a:'), 'role', 'the role is empty'],
    ['canonical form without a project', () => parseLenient('ucxl://a:r'), 'project', "the project is missing: expected '@' after the role"],
    ['canonical form without a task', () => parseLenient('ucxl://a:r@p'), 'task', "the task is missing: expected ':' after the project"],
    ["canonical form with '@' and no ':'", () => parseLenient('ucxl://a@p'), 'agent', "invalid character '@' at index 8; allowed: A-Z a-z 0-9 _ -"],
    ["a ':' in a slash-form path is a path error", () => parseLenient('ucxl://a/r/p/t/x:y'), 'path', `invalid character ':' at index 16; ${PATH_CHARS}`],
    ["an '@' in a slash-form path is a path error", () => parseLenient('ucxl://a/r/p/t/x@y'), 'path', `invalid character '@' at index 16; ${PATH_CHARS}`],
    ['an empty agent before another separator', () => parseLenient('ucxl://::r@p:t/*^'), 'agent', 'the agent is empty'],
    ['a bad last character of the slash form', () => parseLenient('ucxl://a/r/p/#'), 'task', "invalid character '#' at index 13; allowed: A-Z a-z 0-9 _ -"],
    ['an empty task at the end of the slash form', () => parseLenient('ucxl://a/r/p/'), 'task', 'the task is empty']
  ])

  it("takes '*' as a whole last component, up to the end of the authority", () => {
    expect(parseLenient('ucxl://a:r@p:*').raw).toBe('ucxl://a:r@p:any/*^')
    expect(parseLenient('ucxl://a/r/p/*').raw).toBe('ucxl://a:r@p:any/*^')
    expect(parseLenient('ucxl://*/r/p/t').raw).toBe('ucxl://any:r@p:t/*^')
    expect(parseLenient('ucxl://a:r@p:t').raw).toBe('ucxl://a:r@p:t/*^')
    expect(parseLenient('ucxl://a/r/p/t/').raw).toBe('ucxl://a:r@p:t/*^')
  })
})

describe('format: what is wrong with an address object, and the address it describes', () => {
  table([
    ['a number agent', () => format({ ...A, agent: 5 } as any), 'agent', 'the agent must be a string, got number', 'ucxl://[number]:r@p:t/*^'],
    ['an empty agent', () => format({ ...A, agent: '' }), 'agent', 'the agent is empty', 'ucxl://:r@p:t/*^'],
    ['an agent over the limit', () => format({ ...A, agent: 'a'.repeat(N + 1) }), 'agent', `the agent is longer than ${N} characters`],
    ['an agent at the limit makes the address too long', () => format({ ...A, agent: 'a'.repeat(N) }), 'scheme', `the address is ${N + 16} characters long; the limit is ${N}`],
    ['a space in the agent (no index)', () => format({ ...A, agent: 'a b' }), 'agent', `invalid character U+0020; ${CHARS}`, 'ucxl://a b:r@p:t/*^'],
    ["a '/' in the agent", () => format({ ...A, agent: 'a/b' }), 'agent', `invalid character '/'; ${CHARS}${SLASH_HINT}`],
    ["a '/' in the role", () => format({ ...A, role: 'a/b' }), 'role', `invalid character '/'; ${CHARS}`],
    ["a '*' agent", () => format({ ...A, agent: '*' }), 'agent', "'*' is not valid in the agent; use 'any' for the wildcard"],
    ['a number path', () => format({ ...A, path: 5 } as any), 'path', 'the path must be a string, got number', 'ucxl://a:r@p:t/*^/[number]'],
    ['a path over the limit', () => format({ ...A, path: 'p'.repeat(N + 1) }), 'path', `the path is longer than ${N} characters`],
    ['a path at the limit makes the address too long', () => format({ ...A, path: 'p'.repeat(N) }), 'scheme', `the address is ${N + 18} characters long; the limit is ${N}`],
    ["a path starting with '/'", () => format({ ...A, path: '/x' }), 'path', "the path must not start with '/' (no '//' after the temporal segment)", 'ucxl://a:r@p:t/*^//x'],
    ['null', () => format(null as any), 'scheme', 'expected a UCXL address object, got null', '[null]'],
    ['a string', () => format('ucxl://a:r@p:t/*^' as any), 'scheme', 'expected a UCXL address object, got string', '[string]'],
    ['an array', () => format([] as any), 'scheme', 'expected a UCXL address object, got array'],
    ['a bad agent with a path', () => format({ ...A, agent: 5, path: 'x' } as any), 'agent', 'the agent must be a string, got number', 'ucxl://[number]:r@p:t/*^/x'],
    ['a null path is described', () => format({ ...A, agent: '', path: null } as any), 'agent', 'the agent is empty', 'ucxl://:r@p:t/*^/[null]'],
    ['a bad temporal segment is described', () => format({ ...A, agent: '', temporal_segment: { type: 'nope' } } as any), 'agent', 'the agent is empty', 'ucxl://:r@p:t/[invalid]'],
    ['a bad temporal segment names the address', () => format({ ...A, temporal_segment: { type: 'nope' } } as any), 'temporal_segment', "type must be 'latest', 'any', 'specific' or 'relative', got nope", 'ucxl://a:r@p:t/[invalid]'],
    ['a good temporal segment is described', () => format({ ...A, role: 7, temporal_segment: { type: 'specific', count: 3 } } as any), 'role', 'the role must be a string, got number', 'ucxl://a:[number]@p:t/*~3']
  ])

  it('formats an address of exactly the limit and refuses one character more', () => {
    const base = 'ucxl://a:r@p:t/*^/'
    expect(format({ ...A, path: 'p'.repeat(N - base.length) })).toHaveLength(N)
    const err = caught(() => format({ ...A, path: 'p'.repeat(N + 1 - base.length) }))
    expect([err.field, err.reason]).toEqual(['scheme', `the address is ${N + 1} characters long; the limit is ${N}`])
  })
})

describe('fromJSON: what is wrong', () => {
  table([
    ['JSON text over 4 × the limit', () => fromJSON(' '.repeat(4 * N + 1)), 'scheme', `the JSON text is ${4 * N + 1} characters long; the limit is ${4 * N}`],
    ['a raw that is not a string', () => fromJSON({ ...A, raw: 5 }), 'scheme', 'raw must be a string, got number', 'ucxl://a:r@p:t/*^'],
    ['a raw with another agent', () => fromJSON({ ...A, raw: 'ucxl://b:r@p:t/*^' }), 'agent', "raw 'ucxl://b:r@p:t/*^' does not match the agent field", 'ucxl://a:r@p:t/*^'],
    ['a raw with another agent and temporal segment names the agent', () => fromJSON({ ...A, raw: 'ucxl://b:r@p:t/*~' }), 'agent', "raw 'ucxl://b:r@p:t/*~' does not match the agent field"],
    ['a raw with another temporal segment', () => fromJSON({ ...A, raw: 'ucxl://a:r@p:t/*~' }), 'temporal_segment', "raw 'ucxl://a:r@p:t/*~' does not match the temporal_segment field"],
    ['a raw with another path', () => fromJSON({ ...A, raw: 'ucxl://a:r@p:t/*^/x' }), 'path', "raw 'ucxl://a:r@p:t/*^/x' does not match the path field"]
  ])

  it('reads a missing count as 0 (CHORUS omits it), for specific and relative segments', () => {
    expect(fromJSON({ ...A, temporal_segment: { type: 'relative', direction: 'backward' } }).raw).toBe('ucxl://a:r@p:t/~~0')
    expect(fromJSON({ ...A, temporal_segment: { type: 'relative', direction: 'forward' } }).raw).toBe('ucxl://a:r@p:t/^^0')
    expect(fromJSON({ ...A, temporal_segment: { type: 'specific' } }).raw).toBe('ucxl://a:r@p:t/*~0')
  })

  it('reads JSON text of exactly 4 × the limit', () => {
    const text = JSON.stringify(A)
    expect(fromJSON(text + ' '.repeat(4 * N - text.length)).raw).toBe('ucxl://a:r@p:t/*^')
  })

  it('keeps the parse error as the cause of unparsable JSON', () => {
    const err = caught(() => fromJSON('{nope'))
    expect([err.field, err.reason, err.raw]).toEqual(['scheme', 'the JSON text does not parse', '{nope'])
    expect(err.cause).toBeInstanceOf(SyntaxError)
  })
})

describe('temporal segments: what is wrong', () => {
  const T = '[temporal segment]'
  table([
    ['latest with a direction', () => formatTemporal({ type: 'latest', direction: 'backward' } as any), 'temporal_segment', "a 'latest' segment has no direction", T],
    ['any with a count', () => formatTemporal({ type: 'any', count: 3 } as any), 'temporal_segment', "a 'any' segment has no count", T],
    ['specific with a direction', () => formatTemporal({ type: 'specific', direction: 'forward', count: 1 } as any), 'temporal_segment', "a 'specific' segment has no direction"],
    ['specific with a negative count', () => formatTemporal({ type: 'specific', count: -1 }), 'temporal_segment', 'count must be an integer from 0 to 9007199254740991, got -1'],
    ['specific without a count', () => formatTemporal({ type: 'specific' } as any), 'temporal_segment', 'count must be an integer from 0 to 9007199254740991, got undefined'],
    ['relative with another direction', () => formatTemporal({ type: 'relative', direction: 'up', count: 1 } as any), 'temporal_segment', "a 'relative' segment needs direction 'backward' or 'forward', got up"],
    ['relative with a fractional count', () => formatTemporal({ type: 'relative', direction: 'forward', count: 1.5 }), 'temporal_segment', 'count must be an integer from 0 to 9007199254740991, got 1.5'],
    ['relative without a count', () => formatTemporal({ type: 'relative', direction: 'forward' } as any), 'temporal_segment', 'count must be an integer from 0 to 9007199254740991, got undefined'],
    ['an unknown type', () => formatTemporal({ type: 'x' } as any), 'temporal_segment', "type must be 'latest', 'any', 'specific' or 'relative', got x"],
    ['null', () => formatTemporal(null as any), 'temporal_segment', 'expected a temporal segment object, got null', T],
    ['a number', () => formatTemporal(5 as any), 'temporal_segment', 'expected a temporal segment object, got number'],
    ['parseTemporal of a number', () => parseTemporal(5 as any), 'temporal_segment', 'expected a string, got number', 'number'],
    ['parseTemporal of null', () => parseTemporal(null as any), 'temporal_segment', 'expected a string, got null'],
    ['parseTemporal over the limit', () => parseTemporal('*~'.padEnd(N + 1, '1')), 'temporal_segment', `the temporal segment is ${N + 1} characters long; the limit is ${N}`],
    ['parseTemporal of nothing', () => parseTemporal(''), 'temporal_segment', `the temporal segment is empty; expected ${FORMS}`, ''],
    ['withTemporal reads the text strictly', () => withTemporal('ucxl://a:r@p:t/*^', '*~007'), 'temporal_segment', "leading zeros are not allowed in a count: write '*~7'", '*~007'],
    ['resolveVersion names a bad object by its JSON', () => resolveVersion({ type: 'bogus' } as any, { first: 1, latest: 2 }), 'temporal_segment', "type must be 'latest', 'any', 'specific' or 'relative', got bogus", '{"type":"bogus"}'],
    ['resolveVersion of undefined', () => resolveVersion(undefined as any, { first: 1, latest: 2 }), 'temporal_segment', 'expected a temporal segment object, got undefined', 'undefined'],
    ['resolveVersion of an object JSON cannot write', () => resolveVersion({ type: 'specific', count: 1n } as any, { first: 1, latest: 2 }), 'temporal_segment', 'count must be an integer from 0 to 9007199254740991, got 1', 'object']
  ])

  it('takes an empty direction and a zero count where the type has none', () => {
    expect(formatTemporal({ type: 'latest', direction: '' } as any)).toBe('*^')
    expect(formatTemporal({ type: 'any', count: 0 } as any)).toBe('*~')
  })

  it('takes a temporal text of exactly the limit (a long unknown one is refused for its form)', () => {
    const err = caught(() => parseTemporal('q'.repeat(N)))
    expect(err.reason).toBe(`unknown temporal segment '${'q'.repeat(32)}…'; expected ${FORMS}`)
  })
})

describe('resolveVersion: empty histories', () => {
  it.each([
    ['no history', undefined, 'first=undefined, latest=undefined'],
    ['a latest that is not a number', { first: 1, latest: Number.NaN }, 'first=1, latest=NaN'],
    ['a first that is not an integer', { first: 0.5, latest: 3 }, 'first=0.5, latest=3'],
    ['latest below first', { first: 3, latest: 2 }, 'first=3, latest=2']
  ])('%s', (_name, history, shown) => {
    expect(() => resolveVersion('*^', history as any)).toThrow(expect.objectContaining({
      name: 'NotFoundError',
      message: `Cannot resolve *^: the version history is empty (${shown})`
    }))
  })

  it('resolves in a history of one version', () => {
    expect(resolveVersion('~~0', { first: 3, latest: 3 })).toBe(3)
    expect(resolveVersion('*~3', { first: 3, latest: 3 })).toBe(3)
  })

  it('names the segment and the range when the version is outside', () => {
    expect(() => resolveVersion('^^5', { first: 1, latest: 3 })).toThrow(expect.objectContaining({
      name: 'NotFoundError', message: 'Version ^^5 resolves to 6, outside the history [1, 3]'
    }))
  })
})

describe('versionKey: the version range', () => {
  const address = 'ucxl://a:r@p:t/*^'
  table([
    ['a negative version', () => versionKey(address, -1), 'temporal_segment', 'version must be an integer from 0 to 9007199254740991, got -1', address],
    ['a fractional version of an object', () => versionKey(parse(address), 1.5), 'temporal_segment', 'version must be an integer from 0 to 9007199254740991, got 1.5', address],
    ['one past the largest', () => versionKey(address, Number.MAX_SAFE_INTEGER + 1), 'temporal_segment', 'version must be an integer from 0 to 9007199254740991, got 9007199254740992'],
    ['no address', () => versionKey(undefined as any, -1), 'temporal_segment', 'version must be an integer from 0 to 9007199254740991, got -1', 'undefined']
  ])

  it('takes 0 and the largest safe integer', () => {
    expect(versionKey(address, 0)).toBe(dhtKey('ucxl://a:r@p:t/*~0'))
    expect(versionKey(address, Number.MAX_SAFE_INTEGER)).toBe(dhtKey(`ucxl://a:r@p:t/*~${Number.MAX_SAFE_INTEGER}`))
  })
})

describe('validate and isUcxlAddress', () => {
  it('lets an error that is not about the address through', () => {
    const options = { get lenient (): boolean { throw new RangeError('boom') } }
    expect(() => validate('ucxl://a:r@p:t/*^', options)).toThrow(RangeError)
  })

  it('isUcxlAddress wants an object with a string raw and valid fields', () => {
    expect(isUcxlAddress({ ...A, raw: 'anything' })).toBe(true)
    expect(isUcxlAddress({ ...A })).toBe(false)
    expect(isUcxlAddress({ ...A, agent: '', raw: 'x' })).toBe(false)
    expect(isUcxlAddress(null)).toBe(false)
    expect(isUcxlAddress('ucxl://a:r@p:t/*^')).toBe(false)
  })
})

describe('InvalidUcxlAddressError raw at the clipping limit', () => {
  it('keeps a raw of exactly the limit whole and clips one character more', () => {
    expect(new InvalidUcxlAddressError('path', 'bad', 'x'.repeat(N)).raw).toBe('x'.repeat(N))
    expect(new InvalidUcxlAddressError('path', 'bad', 'x'.repeat(N + 1)).raw).toBe(`${'x'.repeat(N)}…`)
  })
})
