// The write ledger (the durable side of "Writes that hold") and the keyed
// lock that runs one claim at a time per address, on a real datastore.
import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { KeyedLock, WriteLedger } from '../src/write-ledger.js'
import type { LedgerEntry } from '../src/write-ledger.js'
import type { UCXLMetadata } from '@chorus-dht/types'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const PREFIX = '/test/ledger'

function meta (version: number, address = ADDR): UCXLMetadata {
  return { address, creatorRole: 'backend_developer', encryptedFor: ['admin'], contentType: 'text/plain', timestamp: 7, size: 3, hash: 'a'.repeat(64), dhtPeers: ['peer-1'], replicationFactor: 3, version, signer: 'signer' }
}

function entry (id: string, state: LedgerEntry['state'] = 'pending', version = 1): LedgerEntry {
  return { id, state, metadata: meta(version), ciphertext: new Uint8Array([1, 2, 250]), at: 42 }
}

async function keysIn (datastore: MemoryDatastore): Promise<string[]> {
  const keys: string[] = []
  for await (const k of datastore.queryKeys({})) keys.push(k.toString())
  return keys.sort()
}

describe('WriteLedger', () => {
  it('keeps an entry under <prefix>/writes/<id> with its ciphertext and metadata, without dhtPeers', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, PREFIX)
    await ledger.put(entry('0001', 'acked', 4))
    expect(await keysIn(datastore)).toEqual([`${PREFIX}/writes/0001`])
    const [got] = await ledger.all()
    expect(got).toEqual({ id: '0001', state: 'acked', metadata: { ...meta(4), dhtPeers: [] }, ciphertext: new Uint8Array([1, 2, 250]), at: 42 })
    expect(got.ciphertext).toBeInstanceOf(Uint8Array)
  })

  it('treats a prefix with a trailing slash as the same prefix', async () => {
    const datastore = new MemoryDatastore()
    await new WriteLedger(datastore, `${PREFIX}/`).put(entry('0001'))
    await new WriteLedger(datastore, `${PREFIX}/`).logVersion(meta(2))
    const ledger = new WriteLedger(datastore, PREFIX)
    expect((await ledger.all()).map(e => e.id)).toEqual(['0001'])
    expect(await ledger.latestOwnVersion(ADDR)).toBe(2)
    expect((await keysIn(datastore)).every(k => k.startsWith(`${PREFIX}/writes/`) || k.startsWith(`${PREFIX}/versions/`))).toBe(true)
  })

  it('lists entries oldest id first whatever the order they were written, skipping corrupt ones, and only its own prefix', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, PREFIX)
    for (const id of ['0003', '0001', '0004', '0002']) await ledger.put(entry(id))
    await datastore.put(new Key(`${PREFIX}/writes/0000`), new TextEncoder().encode('{not json'))
    await new WriteLedger(datastore, '/other').put(entry('0000'))
    expect((await ledger.all()).map(e => e.id)).toEqual(['0001', '0002', '0003', '0004'])
  })

  it('deletes an entry by id, and only that one', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, PREFIX)
    await ledger.put(entry('0001'))
    await ledger.put(entry('0002'))
    await ledger.delete('0001')
    expect((await ledger.all()).map(e => e.id)).toEqual(['0002'])
    expect(await keysIn(datastore)).toEqual([`${PREFIX}/writes/0002`])
  })

  it('makes ids ordered by time, then by creation within one ms, with a random tail', () => {
    const ledger = new WriteLedger(new MemoryDatastore(), PREFIX)
    const a = ledger.newId(1000)
    const b = ledger.newId(1000)
    const c = ledger.newId(999_999)
    expect(a).toMatch(/^000000000001000-000001-[0-9a-z]{1,6}$/)
    expect(b).toMatch(/^000000000001000-000002-[0-9a-z]{1,6}$/)
    expect(c).toMatch(/^000000000999999-000003-[0-9a-z]{1,6}$/)
    expect([c, b, a].sort()).toEqual([a, b, c])
    const tails = new Set(Array.from({ length: 50 }, () => ledger.newId(5).split('-')[2]))
    expect(tails.size).toBeGreaterThan(40)
  })

  it('logs versions under <prefix>/versions/<base64url(address)>/<padded version>, and lists them', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, PREFIX)
    const other = ADDR.replace('decision', 'decision2')
    await ledger.logVersion(meta(3))
    await ledger.logVersion(meta(12, other))
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url')
    expect(await keysIn(datastore)).toEqual([`${PREFIX}/versions/${b64(ADDR)}/0000000000000003`, `${PREFIX}/versions/${b64(other)}/0000000000000012`].sort())
    const listed = []
    for await (const v of ledger.ownVersions()) listed.push(v)
    expect(listed.sort((x, y) => x.version - y.version)).toEqual([{ address: ADDR, version: 3, size: 3 }, { address: other, version: 12, size: 3 }])
    // an address that is a prefix of another keeps its own numbering
    expect(await ledger.latestOwnVersion(ADDR)).toBe(3)
    expect(await ledger.latestOwnVersion(other)).toBe(12)
  })

  it('skips a corrupt or foreign version log entry', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, PREFIX)
    await ledger.logVersion(meta(2))
    await datastore.put(new Key(`${PREFIX}/versions/x/1`), new TextEncoder().encode('{torn'))
    await datastore.put(new Key(`${PREFIX}/versions/y/1`), new TextEncoder().encode('null'))
    await datastore.put(new Key(`${PREFIX}/versions/z/1`), new TextEncoder().encode(JSON.stringify({ address: ADDR, version: 'nine' })))
    await datastore.put(new Key(`${PREFIX}/versions/w/1`), new TextEncoder().encode(JSON.stringify({ address: 5, version: 9 })))
    const restarted = new WriteLedger(datastore, PREFIX)
    expect(await restarted.latestOwnVersion(ADDR)).toBe(2)
  })

  it('reads the log once even when asked concurrently', async () => {
    const datastore = new MemoryDatastore()
    await new WriteLedger(datastore, PREFIX).logVersion(meta(4))
    let queries = 0
    const counting = Object.create(datastore, { query: { value: (...args: any[]) => { queries++; return (datastore.query as any)(...args) } } })
    const ledger = new WriteLedger(counting, PREFIX)
    expect(await Promise.all([ledger.latestOwnVersion(ADDR), ledger.latestOwnVersion(ADDR), ledger.latestOwnVersion(ADDR)])).toEqual([4, 4, 4])
    expect(queries).toBe(1)
  })
})

describe('KeyedLock', () => {
  it('runs tasks of one key one after another, in order, and tasks of other keys alongside', async () => {
    const lock = new KeyedLock()
    const events: string[] = []
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const first = lock.run('a', async () => { events.push('a1 start'); await gate; events.push('a1 end'); return 1 })
    const second = lock.run('a', async () => { events.push('a2'); return 2 })
    const other = lock.run('b', async () => { events.push('b'); return 3 })
    expect(await other).toBe(3)
    expect(events).toEqual(['a1 start', 'b'])
    expect(lock.size).toBe(1)
    release()
    expect(await Promise.all([first, second])).toEqual([1, 2])
    expect(events).toEqual(['a1 start', 'b', 'a1 end', 'a2'])
    expect(lock.size).toBe(0)
  })

  it('runs the next task after one that failed, and passes the failure to its caller', async () => {
    const lock = new KeyedLock()
    const failed = lock.run('a', async () => { throw new Error('boom') })
    const next = lock.run('a', async () => 'next')
    await expect(failed).rejects.toThrow('boom')
    expect(await next).toBe('next')
    expect(lock.size).toBe(0)
  })

  it('does not start a waiting task whose signal aborted', async () => {
    const lock = new KeyedLock()
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const first = lock.run('a', async () => gate)
    const controller = new AbortController()
    let ran = false
    const waiting = lock.run('a', async () => { ran = true }, controller.signal)
    controller.abort(new Error('caller gave up'))
    release()
    await first
    await expect(waiting).rejects.toThrow('caller gave up')
    expect(ran).toBe(false)
    expect(lock.size).toBe(0)
  })

  it('keeps the key while a later task still waits', async () => {
    const lock = new KeyedLock()
    let releaseFirst!: () => void
    let releaseSecond!: () => void
    const first = lock.run('a', async () => new Promise<void>(resolve => { releaseFirst = resolve }))
    const second = lock.run('a', async () => new Promise<void>(resolve => { releaseSecond = resolve }))
    await new Promise(resolve => setImmediate(resolve))
    releaseFirst()
    await first
    expect(lock.size).toBe(1)
    await new Promise(resolve => setImmediate(resolve))
    releaseSecond()
    await second
    expect(lock.size).toBe(0)
  })
})
