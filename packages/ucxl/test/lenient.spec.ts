import { describe, expect, it } from 'vitest'
import { InvalidUcxlAddressError, parse, parseLenient, type UcxlField } from '../src/index.js'

describe('parseLenient: accepted forms return the canonical address', () => {
  it.each([
    // the slash form of the CHORUS DHT docs
    ['ucxl://agent001/backend_developer/project123/task456/decision', 'ucxl://agent001:backend_developer@project123:task456/*^/decision'],
    ['ucxl://a/b/c/d', 'ucxl://a:b@c:d/*^'],
    ['ucxl://a/b/c/d/', 'ucxl://a:b@c:d/*^'],
    ['ucxl://a/b/c/d/x/y.md', 'ucxl://a:b@c:d/*^/x/y.md'],
    ['ucxl://a/b/c/d/*~3/x', 'ucxl://a:b@c:d/*~3/x'],
    ['ucxl://a/b/c/d/~~2', 'ucxl://a:b@c:d/~~2'],
    ['ucxl://*/b/*/d/x', 'ucxl://any:b@any:d/*^/x'],
    // missing temporal segment
    ['ucxl://a:b@c:d', 'ucxl://a:b@c:d/*^'],
    ['ucxl://a:b@c:d/', 'ucxl://a:b@c:d/*^'],
    ['ucxl://a:b@c:d/decisions/api', 'ucxl://a:b@c:d/*^/decisions/api'],
    ['ucxl://a:b@c:d/.hidden', 'ucxl://a:b@c:d/*^/.hidden'],
    // * as any
    ['ucxl://*:*@*:*/*^', 'ucxl://any:any@any:any/*^'],
    ['ucxl://*:b@c:*/x', 'ucxl://any:b@c:any/*^/x'],
    // CHORUS-tolerated variants
    ['ucxl://a:b@c:d/*~007/x', 'ucxl://a:b@c:d/*~7/x'],
    ['ucxl://a:b@c:d/~~00', 'ucxl://a:b@c:d/~~0'],
    ['ucxl://a:b@c:d/*^/', 'ucxl://a:b@c:d/*^'],
    // scheme case and whitespace
    ['UCXL://a:b@c:d/*^', 'ucxl://a:b@c:d/*^'],
    ['  ucxl://a/b/c/d/x\n', 'ucxl://a:b@c:d/*^/x'],
    // canonical input is returned unchanged
    ['ucxl://agent1:backend_developer@proj:task1/^^4/decisions/api', 'ucxl://agent1:backend_developer@proj:task1/^^4/decisions/api']
  ])('%s → %s', (input, canonical) => {
    const address = parseLenient(input)
    expect(address.raw).toBe(canonical)
    expect(address).toEqual(parse(canonical))
  })
})

describe('parseLenient: rejected input names the field', () => {
  it.each<[string, unknown, UcxlField]>([
    ['not a string', 7, 'scheme'],
    ['too long', `ucxl://a/b/c/d/${'x'.repeat(2100)}`, 'scheme'],
    ['wrong scheme', 'ucxl:/a/b/c/d', 'scheme'],
    ['slash form, empty agent', 'ucxl:///b/c/d', 'agent'],
    ['slash form, one component', 'ucxl://a', 'role'],
    ['slash form, two components', 'ucxl://a/b', 'project'],
    ['slash form, three components', 'ucxl://a/b/c', 'task'],
    ['slash form, empty task', 'ucxl://a/b/c/', 'task'],
    ['slash form, bad role', 'ucxl://a/b:x/c/d', 'role'],
    ['slash form, partial * in project', 'ucxl://a/b/c*/d', 'project'],
    ['slash form, ** task', 'ucxl://a/b/c/**', 'task'],
    ['canonical, missing @ (so no project)', 'ucxl://a:b/c/d', 'project'],
    ['slash form with @ in the role', 'ucxl://a/b@c:d', 'role'],
    ['canonical, missing task', 'ucxl://a:b@c/x', 'task'],
    ['canonical, bad task', 'ucxl://a:b@c:d!/x', 'task'],
    ['bad temporal', 'ucxl://a:b@c:d/*x/x', 'temporal_segment'],
    ['bad temporal in slash form', 'ucxl://a/b/c/d/~~/x', 'temporal_segment'],
    ['count too big', 'ucxl://a/b/c/d/*~9007199254740992', 'temporal_segment'],
    ['path rules are not relaxed: ..', 'ucxl://a/b/c/d/x/../y', 'path'],
    ['path rules are not relaxed: //', 'ucxl://a:b@c:d/*^/x//y', 'path'],
    ['path rules are not relaxed: trailing /', 'ucxl://a/b/c/d/x/', 'path'],
    ['path rules are not relaxed: charset', 'ucxl://a:b@c:d/x y', 'path']
  ])('%s', (_name, input, field) => {
    let error: unknown
    try {
      parseLenient(input as string)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidUcxlAddressError)
    expect((error as InvalidUcxlAddressError).field).toBe(field)
  })

  it('explains that * is only a whole component', () => {
    expect(() => parseLenient('ucxl://a*:b@c:d')).toThrow("'*' is only accepted as the whole agent (meaning 'any')")
  })
})
