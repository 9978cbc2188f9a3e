import { describe, expect, it } from 'vitest'
import { format, InvalidUcxlAddressError, parse, type UcxlField, validate } from '../src/index.js'

const BASE = 'ucxl://agent1:backend_developer@proj:task1'

/** Parses and returns the error's field, failing if it does not throw an InvalidUcxlAddressError. */
function fieldOf (input: unknown): UcxlField {
  try {
    parse(input as string)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidUcxlAddressError)
    return (err as InvalidUcxlAddressError).field
  }
  throw new Error(`expected ${String(input)} to be rejected`)
}

describe('parse: valid canonical addresses', () => {
  it('parses every part into the CHORUS shape, with raw the input', () => {
    expect(parse(`${BASE}/*^/decisions/api`)).toEqual({
      agent: 'agent1',
      role: 'backend_developer',
      project: 'proj',
      task: 'task1',
      temporal_segment: { type: 'latest' },
      path: 'decisions/api',
      raw: `${BASE}/*^/decisions/api`
    })
  })

  it.each([
    ['*^', { type: 'latest' }],
    ['*~', { type: 'any' }],
    ['*~0', { type: 'specific', count: 0 }],
    ['*~7', { type: 'specific', count: 7 }],
    ['*~9007199254740991', { type: 'specific', count: Number.MAX_SAFE_INTEGER }],
    ['~~0', { type: 'relative', direction: 'backward', count: 0 }],
    ['~~2', { type: 'relative', direction: 'backward', count: 2 }],
    ['^^1', { type: 'relative', direction: 'forward', count: 1 }],
    ['^^9007199254740991', { type: 'relative', direction: 'forward', count: Number.MAX_SAFE_INTEGER }]
  ])('temporal %s', (text, segment) => {
    const address = parse(`${BASE}/${text}/x`)
    expect(address.temporal_segment).toStrictEqual(segment)
    expect(format(address)).toBe(`${BASE}/${text}/x`)
  })

  it.each([
    ['A-Z a-z 0-9 _ -', 'Az09_-:ROLE_x@p-1:T'],
    ['single characters', 'a:b@c:d'],
    ['the any wildcard', 'any:any@any:any'],
    ['digits only', '1:2@3:4'],
    ['leading and trailing - and _', '-a_:_b-@--:__']
  ])('components: %s', (_name, authority) => {
    const raw = `ucxl://${authority}/*^`
    const address = parse(raw)
    const [agent, rest] = authority.split(':', 2)
    expect(address.agent).toBe(agent)
    expect(`${address.agent}:${address.role}@${address.project}:${address.task}`).toBe(authority)
    expect(address.raw).toBe(raw)
    expect(rest).toBeDefined()
  })

  it.each([
    ['empty path (no trailing slash)', '', ''],
    ['one segment', '/api', 'api'],
    ['nested', '/decisions/api/v2', 'decisions/api/v2'],
    ['dots and dashes', '/docs/read-me.v1_final.md', 'docs/read-me.v1_final.md'],
    ['single-dot segment', '/./x', './x'],
    ['three dots', '/.../x', '.../x'],
    ['dots inside a segment', '/a..b/c..', 'a..b/c..'],
    ['hidden file', '/.config', '.config']
  ])('path: %s', (_name, suffix, path) => {
    const address = parse(`${BASE}/*^${suffix}`)
    expect(address.path).toBe(path)
    expect(format(address)).toBe(`${BASE}/*^${suffix}`)
  })

  it('accepts an address of exactly MAX_ADDRESS_LENGTH characters', () => {
    const prefix = `${BASE}/*^/`
    const raw = prefix + 'p'.repeat(2048 - prefix.length)
    expect(raw.length).toBe(2048)
    expect(parse(raw).path.length).toBe(2048 - prefix.length)
  })
})

describe('parse: rejected input names the field', () => {
  it.each<[string, unknown, UcxlField]>([
    // whole address
    ['a number', 42, 'scheme'],
    ['null', null, 'scheme'],
    ['undefined', undefined, 'scheme'],
    ['an object', { raw: `${BASE}/*^` }, 'scheme'],
    ['an array', [`${BASE}/*^`], 'scheme'],
    ['an empty string', '', 'scheme'],
    ['2,049 characters', `${BASE}/*^/${'p'.repeat(2049 - BASE.length - 4)}`, 'scheme'],
    // scheme
    ['http scheme', 'http://a:b@c:d/*^', 'scheme'],
    ['upper-case scheme', 'UCXL://a:b@c:d/*^', 'scheme'],
    ['missing //', 'ucxl:a:b@c:d/*^', 'scheme'],
    ['leading space', ' ucxl://a:b@c:d/*^', 'scheme'],
    // agent
    ['empty agent', 'ucxl://:b@c:d/*^', 'agent'],
    ['* agent', 'ucxl://*:b@c:d/*^', 'agent'],
    ['agent with .', 'ucxl://a.x:b@c:d/*^', 'agent'],
    ['agent with space', 'ucxl://a x:b@c:d/*^', 'agent'],
    ['agent with @', 'ucxl://a@x:b@c:d/*^', 'agent'],
    ['agent with non-ASCII', 'ucxl://agént:b@c:d/*^', 'agent'],
    ['slash form', 'ucxl://agent/role/project/task/path', 'agent'],
    // role
    ['no role', 'ucxl://agent', 'role'],
    ['empty role', 'ucxl://a:@c:d/*^', 'role'],
    ['* role', 'ucxl://a:*@c:d/*^', 'role'],
    ['role with :', 'ucxl://a:b:x@c:d/*^', 'role'],
    ['role with /', 'ucxl://a:b/x@c:d/*^', 'role'],
    ['role with +', 'ucxl://a:b+@c:d/*^', 'role'],
    // project
    ['no project', 'ucxl://a:b', 'project'],
    ['empty project', 'ucxl://a:b@:d/*^', 'project'],
    ['* project', 'ucxl://a:b@*:d/*^', 'project'],
    ['project with @', 'ucxl://a:b@c@x:d/*^', 'project'],
    ['project with %', 'ucxl://a:b@c%20:d/*^', 'project'],
    // task
    ['no task', 'ucxl://a:b@c', 'task'],
    ['empty task', 'ucxl://a:b@c:/*^', 'task'],
    ['* task', 'ucxl://a:b@c:*/*^', 'task'],
    ['partly * task', 'ucxl://a:b@c:t*/*^', 'task'],
    ['task with :', 'ucxl://a:b@c:d:e/*^', 'task'],
    ['task with ?', 'ucxl://a:b@c:d?/*^', 'task'],
    // temporal
    ['no temporal', 'ucxl://a:b@c:d', 'temporal_segment'],
    ['empty temporal', 'ucxl://a:b@c:d/', 'temporal_segment'],
    ['empty temporal before path', 'ucxl://a:b@c:d//x', 'temporal_segment'],
    ['a path instead of temporal', 'ucxl://a:b@c:d/decisions/api', 'temporal_segment'],
    ['lone *', 'ucxl://a:b@c:d/*', 'temporal_segment'],
    ['*^ with count', 'ucxl://a:b@c:d/*^1', 'temporal_segment'],
    ['~~ without count', 'ucxl://a:b@c:d/~~', 'temporal_segment'],
    ['^^ without count', 'ucxl://a:b@c:d/^^', 'temporal_segment'],
    ['~ alone', 'ucxl://a:b@c:d/~1', 'temporal_segment'],
    ['^~ mixed', 'ucxl://a:b@c:d/^~1', 'temporal_segment'],
    ['negative count', 'ucxl://a:b@c:d/*~-1', 'temporal_segment'],
    ['plus sign', 'ucxl://a:b@c:d/~~+1', 'temporal_segment'],
    ['hex count', 'ucxl://a:b@c:d/*~0x10', 'temporal_segment'],
    ['decimal point', 'ucxl://a:b@c:d/*~1.5', 'temporal_segment'],
    ['exponent', 'ucxl://a:b@c:d/*~1e3', 'temporal_segment'],
    ['space in count', 'ucxl://a:b@c:d/*~ 1', 'temporal_segment'],
    ['non-ASCII digit', 'ucxl://a:b@c:d/*~١', 'temporal_segment'],
    ['leading zeros in *~N', 'ucxl://a:b@c:d/*~007', 'temporal_segment'],
    ['leading zeros in ~~N', 'ucxl://a:b@c:d/~~01', 'temporal_segment'],
    ['leading zeros in ^^N', 'ucxl://a:b@c:d/^^00', 'temporal_segment'],
    ['MAX_SAFE_INTEGER + 1', 'ucxl://a:b@c:d/*~9007199254740992', 'temporal_segment'],
    ['MAX_SAFE_INTEGER + 2 in ~~N', 'ucxl://a:b@c:d/~~9007199254740993', 'temporal_segment'],
    ['17 digits', 'ucxl://a:b@c:d/^^10000000000000000', 'temporal_segment'],
    ['300 digits', `ucxl://a:b@c:d/*~${'9'.repeat(300)}`, 'temporal_segment'],
    ['any as temporal', 'ucxl://a:b@c:d/any', 'temporal_segment'],
    // path
    ['trailing / with empty path', 'ucxl://a:b@c:d/*^/', 'path'],
    ['trailing / after path', 'ucxl://a:b@c:d/*^/x/', 'path'],
    ['// after temporal', 'ucxl://a:b@c:d/*^//x', 'path'],
    ['// inside path', 'ucxl://a:b@c:d/*^/x//y', 'path'],
    ['.. segment', 'ucxl://a:b@c:d/*^/..', 'path'],
    ['.. segment first', 'ucxl://a:b@c:d/*^/../x', 'path'],
    ['.. segment inside', 'ucxl://a:b@c:d/*^/x/../y', 'path'],
    ['.. segment last', 'ucxl://a:b@c:d/*^/x/..', 'path'],
    ['space in path', 'ucxl://a:b@c:d/*^/x y', 'path'],
    ['* in path', 'ucxl://a:b@c:d/*^/x*', 'path'],
    ['? in path', 'ucxl://a:b@c:d/*^/x?y=1', 'path'],
    ['# in path', 'ucxl://a:b@c:d/*^/x#y', 'path'],
    ['backslash in path', 'ucxl://a:b@c:d/*^/x\\y', 'path'],
    ['% in path', 'ucxl://a:b@c:d/*^/x%2F', 'path'],
    ['newline in path', 'ucxl://a:b@c:d/*^/x\n', 'path'],
    ['NUL in path', 'ucxl://a:b@c:d/*^/x\u0000', 'path'],
    ['non-ASCII in path', 'ucxl://a:b@c:d/*^/café', 'path'],
    ['emoji in path', 'ucxl://a:b@c:d/*^/x😀', 'path'],
    [': in path', 'ucxl://a:b@c:d/*^/x:y', 'path']
  ])('%s', (_name, input, field) => {
    expect(fieldOf(input)).toBe(field)
    const result = validate(input as string)
    expect(result.valid).toBe(false)
    expect(result.error?.field).toBe(field)
  })

  it.each([
    ['http://a:b@c:d/*^', "must start with 'ucxl://'"],
    ['ucxl://*:b@c:d/*^', "'*' is not valid in the agent; use 'any' for the wildcard"],
    ['ucxl://agent/role/project/task/path', 'accepted only by parseLenient'],
    ['ucxl://a:b@c:d/*~007', "leading zeros are not allowed in a count: write '*~7'"],
    ['ucxl://a:b@c:d/*~9007199254740992', 'larger than 9007199254740991'],
    ['ucxl://a:b@c:d/~~', "'~~' needs a count"],
    ['ucxl://a:b@c:d/*^/x/../y', "'..' segment"],
    ['ucxl://a:b@c:d/*^/x//y', "'//'"],
    ['ucxl://a:b@c:d/*^/x/', "must not end with '/'"],
    ['ucxl://a:b@c:d/*^/x y', "invalid character U+0020 at index 19"],
    ['ucxl://a:b@c', "expected ':' after the project"]
  ])('%s says what is wrong', (input, text) => {
    expect(() => parse(input)).toThrow(text)
  })

  it('names the type of a non-string input', () => {
    expect(() => parse(42 as any)).toThrow('UCXL address validation error in scheme: the address must be a string, got number (address: [number])')
    expect(() => parse(Symbol('x') as any)).toThrow(InvalidUcxlAddressError)
  })
})

describe('validate', () => {
  it('is { valid: true } for a valid address and has no error', () => {
    expect(validate(`${BASE}/*^/x`)).toEqual({ valid: true })
  })

  it('validates leniently on request', () => {
    expect(validate('ucxl://a/b/c/d/x').valid).toBe(false)
    expect(validate('ucxl://a/b/c/d/x', { lenient: true })).toEqual({ valid: true })
    expect(validate('ucxl://a/b/c/d/x//', { lenient: true }).error?.field).toBe('path')
  })
})
