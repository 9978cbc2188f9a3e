import { RecordConflictError } from '@chorus-dht/types'
import { Record } from '@libp2p/kad-dht'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { guardedDatastore, isRecordKey, RecordGuard } from '../src/record-guard.js'
import type { RecordGuardInit } from '../src/record-guard.js'
import type { Logger } from '@chorus-dht/types'

// The replacement rule at the datastore, alone, on a real MemoryDatastore
// with kad-dht's own record format. writes-hold.spec shows it across a
// network; these pin down each branch of admit() and the wrapper.
const silent = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {} }) as unknown as Logger
const enc = new TextEncoder()
const dsKeyOf = (key: string) => new Key(`/dht/record/${uint8ArrayToString(enc.encode(key), 'base32')}`, false)
const rec = (key: string, value: string) => new Record(enc.encode(key), enc.encode(value), new Date()).serialize()
const heldValue = (raw: Uint8Array) => new TextDecoder().decode(Record.deserialize(raw).value)

// values are numbers as text; higher wins; "bad" is invalid
const number = (v: Uint8Array) => Number(new TextDecoder().decode(v))
const policy: Partial<RecordGuardInit> = {
  validators: { N: async (_k, v) => { if (Number.isNaN(number(v))) throw new Error('not a number') } },
  selectors: { N: (_k, vs) => (number(vs[1]) > number(vs[0]) ? 1 : 0) }
}

function setup (init: Partial<RecordGuardInit> = policy) {
  const inner = new MemoryDatastore()
  const keys = new Set<string>()
  const guard = new RecordGuard({ validators: {}, selectors: {}, replacers: {}, log: silent, ...init })
  const claims: Array<[string, number]> = []
  const undone: string[] = []
  const released: string[] = []
  const writes = {
    claim: (dsKey: string, bytes: number) => { claims.push([dsKey, bytes]); return () => { undone.push(dsKey) } },
    release: (dsKey: string) => { released.push(dsKey) }
  }
  const ds = guardedDatastore(inner, keys, guard, writes)
  return { inner, ds, keys, guard, claims, undone, released }
}

describe('isRecordKey', () => {
  it('is true only under /dht/record/', () => {
    expect(isRecordKey(new Key('/dht/record/abc'))).toBe(true)
    expect(isRecordKey(new Key('/dht/record'))).toBe(false)
    expect(isRecordKey(new Key('/dht/recordx/abc'))).toBe(false)
    expect(isRecordKey(new Key('/peers/abc'))).toBe(false)
  })
})

describe('RecordGuard with its datastore wrapper', () => {
  it('stores a first record, counts its key and charges the write', async () => {
    const { ds, inner, keys, claims, undone } = setup()
    const k = dsKeyOf('/N/a')
    const raw = rec('/N/a', '1')
    await ds.put(k, raw)
    expect(heldValue(await inner.get(k))).toBe('1')
    expect([...keys]).toEqual([k.toString()])
    expect(claims).toEqual([[k.toString(), raw.byteLength]])
    expect(undone).toEqual([])
  })

  it('lets the selector\'s choice replace the held record and refuses the other, storing nothing and undoing the charge', async () => {
    const { ds, inner, undone } = setup()
    const k = dsKeyOf('/N/a')
    await ds.put(k, rec('/N/a', '5'))
    await ds.put(k, rec('/N/a', '7'))
    expect(heldValue(await inner.get(k))).toBe('7')
    const err = await Promise.resolve(ds.put(k, rec('/N/a', '6'))).catch((e: Error) => e)
    expect(err).toBeInstanceOf(RecordConflictError)
    expect((err as Error).message).toBe('the record held for /N/a is preferred by the selector of namespace N')
    expect(heldValue(await inner.get(k))).toBe('7')
    expect(undone).toEqual([k.toString()])
  })

  it('the replacer, when there is one, decides instead of the selector', async () => {
    const { ds, inner } = setup({
      ...policy,
      // keeps the held record unless the new one is exactly one more
      replacers: { N: (_k, held, incoming) => number(incoming) === number(held) + 1 }
    })
    const k = dsKeyOf('/N/a')
    await ds.put(k, rec('/N/a', '5'))
    const err = await Promise.resolve(ds.put(k, rec('/N/a', '9'))).catch((e: Error) => e)
    expect(err).toBeInstanceOf(RecordConflictError)
    expect((err as Error).message).toBe('the record held for /N/a is kept by the replacement rule of namespace N')
    await ds.put(k, rec('/N/a', '6'))
    expect(heldValue(await inner.get(k))).toBe('6')
  })

  it('a re-put of the held value always passes (it refreshes the record)', async () => {
    const { ds, inner } = setup({ ...policy, replacers: { N: () => false } })
    const k = dsKeyOf('/N/a')
    await ds.put(k, rec('/N/a', '5'))
    const again = rec('/N/a', '5')
    await ds.put(k, again)
    expect(await inner.get(k)).toEqual(again)
  })

  it('a held record its validator now refuses is replaced by anything', async () => {
    const { ds, inner } = setup({ ...policy, replacers: { N: () => false } })
    const k = dsKeyOf('/N/a')
    await inner.put(k, rec('/N/a', 'bad'))
    await ds.put(k, rec('/N/a', '1'))
    expect(heldValue(await inner.get(k))).toBe('1')
  })

  it('a namespace without a validator, or with a validator and no order, is last write wins', async () => {
    const { ds, inner } = setup({ ...policy, selectors: {} })
    await ds.put(dsKeyOf('/N/a'), rec('/N/a', '5'))
    await ds.put(dsKeyOf('/N/a'), rec('/N/a', '1'))
    expect(heldValue(await inner.get(dsKeyOf('/N/a')))).toBe('1')
    await ds.put(dsKeyOf('/other/a'), rec('/other/a', '5'))
    await ds.put(dsKeyOf('/other/a'), rec('/other/a', '1'))
    expect(heldValue(await inner.get(dsKeyOf('/other/a')))).toBe('1')
  })

  it('a held or incoming value that is not a kad-dht record is not guarded', async () => {
    const { ds, inner } = setup({ ...policy, replacers: { N: () => false } })
    const k = dsKeyOf('/N/a')
    await inner.put(k, new Uint8Array([0xff, 0xff]))
    await ds.put(k, rec('/N/a', '1'))
    expect(heldValue(await inner.get(k))).toBe('1')
    await ds.put(k, new Uint8Array([0xff, 0xff]))
    expect(await inner.get(k)).toEqual(new Uint8Array([0xff, 0xff]))
  })

  it('a datastore failure other than not-found fails the write and undoes the charge', async () => {
    const { inner, guard } = setup()
    const undone: string[] = []
    const broken = Object.assign(Object.create(inner), {
      get: async () => { throw Object.assign(new Error('disk gone'), { name: 'IOError' }) },
      put: inner.put.bind(inner)
    })
    const ds = guardedDatastore(broken, new Set(), guard, { claim: (k) => () => { undone.push(k) }, release: () => {} })
    const k = dsKeyOf('/N/a')
    await expect(ds.put(k, rec('/N/a', '1'))).rejects.toThrow('disk gone')
    expect(undone).toEqual([k.toString()])
    expect(await inner.has(k)).toBe(false)
  })

  it('a quota refusal in claim() stores nothing', async () => {
    const inner = new MemoryDatastore()
    const keys = new Set<string>()
    const guard = new RecordGuard({ validators: {}, selectors: {}, replacers: {}, log: silent })
    const ds = guardedDatastore(inner, keys, guard, { claim: () => { throw new Error('quota') }, release: () => {} })
    const k = dsKeyOf('/N/a')
    await expect(ds.put(k, rec('/N/a', '1'))).rejects.toThrow('quota')
    expect(await inner.has(k)).toBe(false)
    expect(keys.size).toBe(0)
  })

  it('passes other keys straight through, unguarded and uncounted', async () => {
    const { ds, inner, keys, claims, released } = setup()
    const k = new Key('/peers/abc')
    await ds.put(k, new Uint8Array([1]))
    expect(await inner.get(k)).toEqual(new Uint8Array([1]))
    await ds.delete(k)
    expect(keys.size).toBe(0)
    expect(claims).toEqual([])
    expect(released).toEqual([])
    // and the other methods reach the datastore, bound to it
    await ds.put(k, new Uint8Array([2]))
    expect(await ds.has(k)).toBe(true)
  })

  it('delete() of a record forgets its key and releases its charge', async () => {
    const { ds, keys, released } = setup()
    const k = dsKeyOf('/N/a')
    await ds.put(k, rec('/N/a', '1'))
    await ds.delete(k)
    expect(keys.size).toBe(0)
    expect(released).toEqual([k.toString()])
    expect(await ds.has(k)).toBe(false)
  })

  it('serialises the writes of one key: of two racing records, the one the selector prefers is held, and neither is lost silently', async () => {
    const { ds, inner } = setup()
    const k = dsKeyOf('/N/a')
    await ds.put(k, rec('/N/a', '1'))
    const results = await Promise.allSettled([ds.put(k, rec('/N/a', '3')), ds.put(k, rec('/N/a', '2'))])
    expect(results.map(r => r.status)).toEqual(['fulfilled', 'rejected'])
    expect(heldValue(await inner.get(k))).toBe('3')
  })

  it('exclusive() runs one key\'s calls in order, other keys at once, survives a failure, and forgets idle keys', async () => {
    const guard = new RecordGuard({ validators: {}, selectors: {}, replacers: {}, log: silent })
    const order: string[] = []
    let releaseFirst!: () => void
    const first = guard.exclusive('a', async () => { await new Promise<void>(resolve => { releaseFirst = resolve }); order.push('a1'); throw new Error('a1 failed') })
    const second = guard.exclusive('a', async () => { order.push('a2'); return 2 })
    const other = guard.exclusive('b', async () => { order.push('b'); return 'b' })
    await expect(other).resolves.toBe('b')
    expect(order).toEqual(['b'])
    releaseFirst()
    await expect(first).rejects.toThrow('a1 failed')
    await expect(second).resolves.toBe(2)
    expect(order).toEqual(['b', 'a1', 'a2'])
    expect((guard as any).locks.size).toBe(0)
  })
})
