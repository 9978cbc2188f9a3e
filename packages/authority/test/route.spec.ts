import type { RecordPolicy } from '@chorus-dht/types'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Authority, authorityRecordPolicy, generateAuthority, routeByPrefix, signDirectory } from '../src/index.js'
import { NOW, fixedClock, newAgeKey } from './fixtures.js'

/** A stand-in for the storage layer's policy: accepts values starting with 'U', prefers the longer. */
const ucxlPolicy: RecordPolicy = {
  validators: {
    CHORUS: (key, value) => {
      if (!key.startsWith('/CHORUS/ucxl/') || value[0] !== 0x55) throw new Error('not a ucxl record')
    }
  },
  selectors: { CHORUS: (_key, values) => values.reduce((best, v, i) => v.length > values[best].length ? i : best, 0) }
}

const U = (s: string): Uint8Array => new TextEncoder().encode(`U${s}`)

let authority: Authority
let directory: { key: string, value: Uint8Array }
let newer: { key: string, value: Uint8Array }

beforeAll(async () => {
  authority = await generateAuthority()
  const recipient = (await newAgeKey()).recipient
  directory = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: { admin: { recipient, generation: 1 } } })
  newer = await signDirectory(authority.privateKey, { generation: 2, issuedAt: NOW, roles: { admin: { recipient, generation: 1 } } })
})

function routed () {
  return routeByPrefix({
    '/CHORUS/authority/': authorityRecordPolicy({ authority: authority.id, clock: fixedClock(NOW) }),
    '/CHORUS/ucxl/': ucxlPolicy
  })
}

describe('routeByPrefix', () => {
  it('puts one dispatcher per namespace', () => {
    const policy = routed()
    expect(Object.keys(policy.validators)).toEqual(['CHORUS'])
    expect(Object.keys(policy.selectors)).toEqual(['CHORUS'])
    expect(Object.keys(policy.replacers)).toEqual(['CHORUS'])
  })

  it('validates each key with the policy of its prefix', async () => {
    const { validators } = routed()
    await expect(validators.CHORUS(directory.key, directory.value)).resolves.toBeUndefined()
    await expect(Promise.resolve(validators.CHORUS('/CHORUS/ucxl/abc', U('x')))).resolves.toBeUndefined()
    // An authority record under a ucxl key goes to the ucxl validator, and fails there.
    await expect((async () => { await validators.CHORUS('/CHORUS/ucxl/abc', directory.value) })()).rejects.toThrow('not a ucxl record')
    // A ucxl-looking value under an authority key fails the authority validator.
    await expect((async () => { await validators.CHORUS(directory.key, U('x')) })()).rejects.toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'unparsable' })
  })

  it('rejects a key that matches no prefix', async () => {
    const { validators, selectors, replacers } = routed()
    await expect((async () => { await validators.CHORUS('/CHORUS/other/x', U('x')) })()).rejects.toMatchObject({ name: 'UnroutedKeyError', key: '/CHORUS/other/x' })
    await expect((async () => { await validators.CHORUS('/CHORUS/ucxlfoo', U('x')) })()).rejects.toMatchObject({ name: 'UnroutedKeyError' })
    expect(selectors.CHORUS('/CHORUS/other/x', [U('a'), U('bb')])).toBe(0)
    expect(replacers.CHORUS('/CHORUS/other/x', U('a'), U('bb'))).toBe(false)
  })

  it('selects and replaces with the policy of the prefix', () => {
    const { selectors, replacers } = routed()
    expect(selectors.CHORUS(directory.key, [directory.value, newer.value])).toBe(1)
    expect(replacers.CHORUS(directory.key, newer.value, directory.value)).toBe(false)
    expect(replacers.CHORUS(directory.key, directory.value, newer.value)).toBe(true)
    expect(selectors.CHORUS('/CHORUS/ucxl/k', [U('aaa'), U('a')])).toBe(0)
    // No replacer in the ucxl policy: its selector decides.
    expect(replacers.CHORUS('/CHORUS/ucxl/k', U('aaa'), U('a'))).toBe(false)
    expect(replacers.CHORUS('/CHORUS/ucxl/k', U('a'), U('aaa'))).toBe(true)
  })

  it('lets the longest prefix win', async () => {
    const policy = routeByPrefix({
      '/CHORUS/': { validators: { CHORUS: () => { throw new Error('general') } } },
      '/CHORUS/special/': { validators: { CHORUS: () => {} } }
    })
    await expect(Promise.resolve(policy.validators.CHORUS('/CHORUS/special/x', U('')))).resolves.toBeUndefined()
    expect(() => policy.validators.CHORUS('/CHORUS/plain', U(''))).toThrow('general')
  })

  it('handles several namespaces', async () => {
    const policy = routeByPrefix({
      '/CHORUS/ucxl/': ucxlPolicy,
      '/other/': { validators: { other: () => {} } }
    })
    expect(Object.keys(policy.validators).sort()).toEqual(['CHORUS', 'other'])
    await expect(Promise.resolve(policy.validators.other('/other/x', U('')))).resolves.toBeUndefined()
    // No selector and no replacer: the first value wins, and an incoming record replaces.
    expect(policy.selectors.other('/other/x', [U('a'), U('b')])).toBe(0)
    expect(policy.replacers.other('/other/x', U('a'), U('b'))).toBe(true)
  })

  it('refuses malformed routes', () => {
    expect(() => routeByPrefix({ 'CHORUS/ucxl/': ucxlPolicy })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => routeByPrefix({ '//x': ucxlPolicy })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => routeByPrefix({ '/other/': ucxlPolicy })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('routeByPrefix edges', () => {
  it('names what is wrong with the routes', () => {
    const fails = (routes: unknown, message: string) => {
      expect(() => routeByPrefix(routes as Record<string, RecordPolicy>)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message }))
    }
    fails(null, 'routes must be an object of prefix → RecordPolicy')
    fails('/CHORUS/', 'routes must be an object of prefix → RecordPolicy')
    fails({ '': ucxlPolicy }, 'prefix "" must start with "/" and a namespace, e.g. "/CHORUS/ucxl/"')
    fails({ 'CHORUS/ucxl/': ucxlPolicy }, 'prefix "CHORUS/ucxl/" must start with "/" and a namespace, e.g. "/CHORUS/ucxl/"')
    fails({ '/': ucxlPolicy }, 'prefix "/" must start with "/" and a namespace, e.g. "/CHORUS/ucxl/"')
    fails({ '/other/': ucxlPolicy }, 'the policy for prefix "/other/" has no validator for namespace other')
    fails({ '/CHORUS/x/': null }, 'the policy for prefix "/CHORUS/x/" has no validator for namespace CHORUS')
    fails({ '/CHORUS/x/': {} }, 'the policy for prefix "/CHORUS/x/" has no validator for namespace CHORUS')
    expect(routeByPrefix({})).toEqual({ validators: {}, selectors: {}, replacers: {} })
  })

  it('treats a key that is not a string as unrouted', async () => {
    const { validators, selectors, replacers } = routed()
    const key = undefined as unknown as string
    expect(() => validators.CHORUS(key, U('x'))).toThrow(expect.objectContaining({ name: 'UnroutedKeyError', key: 'undefined' }))
    expect(selectors.CHORUS(key, [U('a'), U('bb')])).toBe(0)
    expect(replacers.CHORUS(key, U('a'), U('bb'))).toBe(false)
  })

  it('uses a route\'s own replacer over its selector, and hands it the key and both values', () => {
    const calls: unknown[] = []
    const policy = routeByPrefix({
      '/CHORUS/ucxl/': {
        ...ucxlPolicy,
        replacers: { CHORUS: (key, held, incoming) => { calls.push([key, held, incoming]); return held.length > incoming.length } }
      }
    })
    const [short, long] = [U('a'), U('aaa')]
    // The selector prefers the longer value; the replacer the opposite, and it decides.
    expect(policy.selectors.CHORUS('/CHORUS/ucxl/k', [short, long])).toBe(1)
    expect(policy.replacers.CHORUS('/CHORUS/ucxl/k', long, short)).toBe(true)
    expect(policy.replacers.CHORUS('/CHORUS/ucxl/k', short, long)).toBe(false)
    expect(calls).toEqual([['/CHORUS/ucxl/k', long, short], ['/CHORUS/ucxl/k', short, long]])
  })

  it('hands the selector the key and the values, and returns its answer', () => {
    const seen: unknown[] = []
    const policy = routeByPrefix({
      '/CHORUS/a/': { validators: { CHORUS: () => {} }, selectors: { CHORUS: (key, values) => { seen.push([key, values.length]); return 2 } } }
    })
    expect(policy.selectors.CHORUS('/CHORUS/a/k', [U('1'), U('2'), U('3')])).toBe(2)
    expect(seen).toEqual([['/CHORUS/a/k', 3]])
    // A selector answering 2 for [held, incoming] does not prefer the incoming one.
    expect(policy.replacers.CHORUS('/CHORUS/a/k', U('1'), U('2'))).toBe(false)
  })

  it('lets the longest prefix win whatever order the routes are given in', () => {
    const named = (name: string): RecordPolicy => ({ validators: { CHORUS: () => { throw new Error(name) } } })
    const policy = routeByPrefix({ '/CHORUS/special/': named('special'), '/CHORUS/': named('general'), '/CHORUS/spec/': named('spec') })
    expect(() => policy.validators.CHORUS('/CHORUS/special/x', U(''))).toThrow(/^special$/)
    expect(() => policy.validators.CHORUS('/CHORUS/spec/x', U(''))).toThrow(/^spec$/)
    expect(() => policy.validators.CHORUS('/CHORUS/specia', U(''))).toThrow(/^general$/)
    expect(() => policy.validators.CHORUS('/CHORUS/x', U(''))).toThrow(/^general$/)
  })
})
