import { describe, expect, it } from 'vitest'
import {
  format, fromJSON, InvalidUcxlAddressError, isUcxlAddress, matches, parse, parseLenient, toJSON, type UcxlField, withTemporal
} from '../src/index.js'

const ADDRESS = 'ucxl://agent1:backend_developer@proj:task1/*~3/decisions/api'

describe('format', () => {
  it('rebuilds the canonical string from the fields, ignoring raw', () => {
    const { raw: _raw, ...fields } = parse(ADDRESS)
    expect(format(fields)).toBe(ADDRESS)
    expect(format({ ...fields, raw: 'nonsense' })).toBe(ADDRESS)
  })

  it('writes no trailing slash for an empty path', () => {
    expect(format({ agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'any' }, path: '' })).toBe('ucxl://a:b@c:d/*~')
  })

  it.each<[string, Record<string, unknown>, UcxlField]>([
    ['* agent', { agent: '*' }, 'agent'],
    ['empty role', { role: '' }, 'role'],
    ['numeric project', { project: 1 }, 'project'],
    ['task with /', { task: 'a/b' }, 'task'],
    ['bad temporal', { temporal_segment: { type: 'specific', count: -1 } }, 'temporal_segment'],
    ['missing temporal', { temporal_segment: undefined }, 'temporal_segment'],
    ['path with ..', { path: 'a/../b' }, 'path'],
    ['path undefined', { path: undefined }, 'path'],
    ['path with leading /', { path: '/a' }, 'path'],
    ['too long overall', { path: 'p'.repeat(2040) }, 'scheme']
  ])('rejects %s', (_name, change, field) => {
    expect(() => format({ ...parse(ADDRESS), ...change } as any)).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError', field }))
  })

  it('rejects a non-object with field scheme', () => {
    expect(() => format(null as any)).toThrow(expect.objectContaining({ field: 'scheme' }))
    expect(() => format('ucxl://a:b@c:d/*^' as any)).toThrow(expect.objectContaining({ field: 'scheme' }))
  })
})

describe('withTemporal', () => {
  it('replaces the temporal segment and the raw string', () => {
    const latest = withTemporal(ADDRESS, { type: 'latest' })
    expect(latest).toEqual(parse('ucxl://agent1:backend_developer@proj:task1/*^/decisions/api'))
    expect(withTemporal(parse(ADDRESS), '~~2').raw).toBe('ucxl://agent1:backend_developer@proj:task1/~~2/decisions/api')
    expect(withTemporal('ucxl://a/b/c/d', '*~1').raw).toBe('ucxl://a:b@c:d/*~1')
  })

  it('does not change its input', () => {
    const address = parse(ADDRESS)
    withTemporal(address, '*^')
    expect(address.raw).toBe(ADDRESS)
    expect(address.temporal_segment).toEqual({ type: 'specific', count: 3 })
  })

  it('rejects a malformed segment', () => {
    expect(() => withTemporal(ADDRESS, '*')).toThrow(expect.objectContaining({ field: 'temporal_segment' }))
  })
})

describe('matches', () => {
  it.each<[string, string, string, boolean]>([
    ['identical', ADDRESS, ADDRESS, true],
    ['any agent', 'ucxl://any:backend_developer@proj:task1/*~3/decisions/api', ADDRESS, true],
    ['any everywhere and *~', 'ucxl://any:any@any:any/*~/decisions/api', ADDRESS, true],
    ['* is any in a lenient pattern', 'ucxl://*/*/proj/*/*~/decisions/api', ADDRESS, true],
    ['*~ matches latest', 'ucxl://a:b@c:d/*~/x', 'ucxl://a:b@c:d/*^/x', true],
    ['*~ matches relative', 'ucxl://a:b@c:d/*~/x', 'ucxl://a:b@c:d/^^2/x', true],
    ['other agent', 'ucxl://agent2:backend_developer@proj:task1/*~3/decisions/api', ADDRESS, false],
    ['case-sensitive', 'ucxl://Agent1:backend_developer@proj:task1/*~3/decisions/api', ADDRESS, false],
    ['other version', 'ucxl://agent1:backend_developer@proj:task1/*~4/decisions/api', ADDRESS, false],
    ['latest does not match a version', 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api', ADDRESS, false],
    ['~~2 does not match ^^2', 'ucxl://a:b@c:d/~~2/x', 'ucxl://a:b@c:d/^^2/x', false],
    ['path is exact', 'ucxl://agent1:backend_developer@proj:task1/*~3/decisions', ADDRESS, false],
    ['path is exact (empty)', 'ucxl://any:any@any:any/*~', ADDRESS, false],
    ['any in the address is not a wildcard', 'ucxl://agent1:b@c:d/*^', 'ucxl://any:b@c:d/*^', false]
  ])('%s', (_name, pattern, address, expected) => {
    expect(matches(pattern, address)).toBe(expected)
    expect(matches(parseLenient(pattern), parseLenient(address))).toBe(expected)
  })

  it('rejects a malformed pattern', () => {
    expect(() => matches('ucxl://a:b@c:d/*^/..', ADDRESS)).toThrow(InvalidUcxlAddressError)
  })
})

describe('toJSON / fromJSON', () => {
  it('round-trips through JSON text in the CHORUS shape', () => {
    const address = parse('ucxl://a:b@c:d/~~2/x/y')
    const text = JSON.stringify(toJSON(address))
    expect(JSON.parse(text)).toEqual({
      agent: 'a', role: 'b', project: 'c', task: 'd',
      temporal_segment: { type: 'relative', direction: 'backward', count: 2 },
      path: 'x/y', raw: 'ucxl://a:b@c:d/~~2/x/y'
    })
    expect(fromJSON(text)).toEqual(address)
    expect(fromJSON(JSON.parse(text))).toEqual(address)
  })

  it('toJSON returns a copy', () => {
    const address = parse(ADDRESS)
    const json = toJSON(address)
    json.temporal_segment.count = 99
    expect(address.temporal_segment.count).toBe(3)
  })

  it('reads CHORUS JSON: omitted count is 0, empty direction is none, raw may be non-canonical', () => {
    expect(fromJSON({ agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'specific' }, path: '', raw: 'ucxl://a:b@c:d/*~0' }).raw).toBe('ucxl://a:b@c:d/*~0')
    expect(fromJSON({ agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest', direction: '', count: 0 }, path: 'x' }).raw).toBe('ucxl://a:b@c:d/*^/x')
    expect(fromJSON({ agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'specific', count: 7 }, path: '', raw: 'ucxl://a:b@c:d/*~007/' }).raw).toBe('ucxl://a:b@c:d/*~7')
  })

  it.each<[string, unknown, UcxlField]>([
    ['not JSON text', '{nope', 'scheme'],
    ['a number', 5, 'scheme'],
    ['null', null, 'scheme'],
    ['an array', [], 'scheme'],
    ['missing agent', { role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '' }, 'agent'],
    ['bad task', { agent: 'a', role: 'b', project: 'c', task: 'd d', temporal_segment: { type: 'latest' }, path: '' }, 'task'],
    ['bad temporal', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'relative', count: 1 }, path: '' }, 'temporal_segment'],
    ['bad path', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: 'x//y' }, 'path'],
    ['raw not a string', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '', raw: 1 }, 'scheme'],
    ['raw names another role', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '', raw: 'ucxl://a:x@c:d/*^' }, 'role'],
    ['raw names another version', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '', raw: 'ucxl://a:b@c:d/*~1' }, 'temporal_segment'],
    ['raw names another path', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '', raw: 'ucxl://a:b@c:d/*^/x' }, 'path'],
    ['raw is malformed', { agent: 'a', role: 'b', project: 'c', task: 'd', temporal_segment: { type: 'latest' }, path: '', raw: 'http://x' }, 'scheme']
  ])('fromJSON rejects %s with field %s', (_name, json, field) => {
    expect(() => fromJSON(json)).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError', field }))
  })
})

describe('isUcxlAddress', () => {
  it('accepts parsed addresses and rejects everything else', () => {
    expect(isUcxlAddress(parse(ADDRESS))).toBe(true)
    expect(isUcxlAddress(ADDRESS)).toBe(false)
    expect(isUcxlAddress(null)).toBe(false)
    expect(isUcxlAddress({ ...parse(ADDRESS), raw: undefined })).toBe(false)
    expect(isUcxlAddress({ ...parse(ADDRESS), agent: '*' })).toBe(false)
    expect(isUcxlAddress({ ...parse(ADDRESS), temporal_segment: { type: 'specific' } })).toBe(false)
  })
})
