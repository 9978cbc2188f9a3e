// README "Store rounds": which DHT operations a store makes, that each
// record's bytes are verified once, and that a node whose knowledge of an
// address is behind still claims a free number.
import { createMockNetwork } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LEDGER_PREFIX, createEncryptedStorage, decodeRecord, recordSigningBytes, encodeRecord, verifyRecord } from '../src/index.js'
import { headKeyOf, versionKeyOf } from '../src/keys.js'
import { VerifiedRecords } from '../src/verified-records.js'
import { WriteLedger } from '../src/write-ledger.js'
import { mockNode, roleKeys, roles, str, text } from './fixtures.js'
import type { TestNode } from './fixtures.js'
import type { DHT, UCXLMetadata } from '@chorus-dht/types'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'

beforeAll(async () => { await roleKeys() })

const nodes: TestNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.storage.stop()
    await n.dht.stop()
  }
})

/** A view of `dht` that logs each DHT operation the storage makes: `put head`, `get version`, … */
function logged (dht: DHT, calls: string[]): DHT {
  const kind = (key: string): string => key === headKey(ADDR) ? 'head' : 'version'
  return Object.create(dht, {
    putValue: { value: async (key: string, value: Uint8Array, o?: any) => { calls.push(`put ${kind(key)} ${decodeRecord(value).metadata.version}`); return dht.putValue(key, value, o) } },
    getValue: { value: async (key: string, o?: any) => { calls.push(`get ${kind(key)}`); return dht.getValue(key, o) } }
  })
}

describe('README "Store rounds"', () => {
  it('a store is a put of the version, its read-back and a put of the head: no read of the head first', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    const b = await mockNode({ network })
    nodes.push(a, b)
    const calls: string[] = []
    const storage = createEncryptedStorage({ dht: logged(a.dht, calls), crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
    await storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    await storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')
    expect(calls).toEqual(['put version 1', 'get version', 'put head 1', 'put version 2', 'get version', 'put head 2'])
    expect(str((await b.storage.retrieveUCXLContent(ADDR)).content)).toBe('two')

    calls.length = 0
    const fast = createEncryptedStorage({ dht: logged(a.dht, calls), crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0, confirmWrites: false })
    const third = await fast.storeUCXLContent(ADDR, text('three'), 'backend_developer', 'text/plain')
    // a fresh datastore, yet the node's own DHT copy of the head numbers it
    expect(third.version).toBe(3)
    expect(calls).toEqual(['put version 3', 'put head 3'])
  })

  it('a node that joined after an address was written claims 1, is refused, and claims the number after the network head', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    const b = await mockNode({ network })
    nodes.push(a, b)
    for (const v of ['one', 'two', 'three']) await a.storage.storeUCXLContent(ADDR, text(v), 'backend_developer', 'text/plain')
    const late = await mockNode({ network })
    nodes.push(late)
    const calls: string[] = []
    const storage = createEncryptedStorage({ dht: logged(late.dht, calls), crypto: late.crypto, roles, signer: late.signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
    const stored = await storage.storeUCXLContent(ADDR, text('four'), 'backend_developer', 'text/plain')
    expect(stored.version).toBe(4)
    expect(calls.filter(c => c.startsWith('put version'))).toEqual(['put version 1', 'put version 1', 'put version 4'])
    expect(calls).toContain('get head')
    // the refused claim left a's version 1 in place everywhere
    for (const n of [a, b, late]) {
      expect(decodeRecord((await n.dht.getValueFromPeer(n.dht.peerId, versionKey(ADDR, 1)))!).metadata.signer).toBe(a.signer.peerId)
    }
    const history = await b.storage.history(ADDR)
    expect(history.map(m => [m.version, m.signer])).toEqual([[1, a.signer.peerId], [2, a.signer.peerId], [3, a.signer.peerId], [4, late.signer.peerId]])
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('four')
  })
})

describe('each record is verified once', () => {
  it('remembers a verified record by key and exact bytes, and only those bytes', async () => {
    const a = await mockNode({})
    nodes.push(a)
    const stored = await a.storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    const value = await a.dht.getValue(versionKey(ADDR, stored.version))
    const record = await verifyRecord(versionKey(ADDR, 1), value)
    expect(record.metadata.hash).toBe(stored.hash)
    // same header and signature, one ciphertext byte changed: checked again, and refused
    const tampered = encodeRecord({ ...record, ciphertext: record.ciphertext.map((b, i) => i === 0 ? b ^ 1 : b) })
    await expect(verifyRecord(versionKey(ADDR, 1), tampered)).rejects.toMatchObject({ name: 'IntegrityError' })
    // the genuine bytes under another key: checked again, and refused
    await expect(verifyRecord(versionKey(ADDR, 2), value)).rejects.toMatchObject({ name: 'InvalidRecordError' })
    // a re-signed header with the same length: not the remembered bytes
    const forged = encodeRecord({ ...record, signature: await a.signer.sign(recordSigningBytes('version', record.key, { ...record.metadata, contentType: 'text/plaim' })) })
    await expect(verifyRecord(versionKey(ADDR, 1), forged)).rejects.toMatchObject({ name: 'IntegrityError' })
  })

  it('VerifiedRecords: a result only for identical bytes under the same key, a copy of the bytes, bounded by keys and values per key', () => {
    const cache = new VerifiedRecords<string>(2, 2, 100)
    const bytes = new Uint8Array([1, 2, 3])
    cache.add('k1', bytes, 'one')
    bytes[0] = 9 // the caller reuses its buffer
    expect(cache.get('k1', new Uint8Array([1, 2, 3]))).toBe('one')
    expect(cache.get('k1', new Uint8Array([9, 2, 3]))).toBeUndefined()
    expect(cache.get('k1', new Uint8Array([1, 2]))).toBeUndefined()
    expect(cache.get('k2', new Uint8Array([1, 2, 3]))).toBeUndefined()
    // values per key: the oldest goes
    cache.add('k1', new Uint8Array([4]), 'four')
    cache.add('k1', new Uint8Array([5]), 'five')
    expect(cache.get('k1', new Uint8Array([1, 2, 3]))).toBeUndefined()
    expect(cache.get('k1', new Uint8Array([4]))).toBe('four')
    expect(cache.get('k1', new Uint8Array([5]))).toBe('five')
    // keys: the least recently used goes
    cache.add('k2', new Uint8Array([6]), 'six')
    expect(cache.get('k1', new Uint8Array([4]))).toBe('four')
    cache.add('k3', new Uint8Array([7]), 'seven')
    expect(cache.size).toBe(2)
    expect(cache.get('k2', new Uint8Array([6]))).toBeUndefined()
    expect(cache.get('k1', new Uint8Array([5]))).toBe('five')
    expect(cache.get('k3', new Uint8Array([7]))).toBe('seven')
    expect(cache.bytes).toBe(3)
  })

  it('VerifiedRecords: bounded by bytes, least recently used key first; a value over the bound is not kept', () => {
    const cache = new VerifiedRecords<string>(10, 2, 10)
    cache.add('a', new Uint8Array(4), 'a')
    cache.add('b', new Uint8Array(4), 'b')
    expect(cache.bytes).toBe(8)
    expect(cache.get('a', new Uint8Array(4))).toBe('a')
    cache.add('c', new Uint8Array(4), 'c')
    // b was the least recently used
    expect(cache.get('b', new Uint8Array(4))).toBeUndefined()
    expect(cache.get('a', new Uint8Array(4))).toBe('a')
    expect(cache.get('c', new Uint8Array(4))).toBe('c')
    expect(cache.bytes).toBe(8)
    cache.add('a', new Uint8Array([1, 1, 1]), 'a2')
    cache.add('a', new Uint8Array([2, 2, 2]), 'a3')
    // per key: the oldest value of a went, and its bytes with it
    expect(cache.get('a', new Uint8Array(4))).toBeUndefined()
    expect(cache.bytes).toBeLessThanOrEqual(10)
    cache.add('big', new Uint8Array(11), 'big')
    expect(cache.get('big', new Uint8Array(11))).toBeUndefined()
    expect(cache.bytes).toBeLessThanOrEqual(10)
  })

  it('remembered keys are the keys of @chorus-dht/ucxl, for many addresses and versions', () => {
    for (let i = 0; i < 1100; i++) {
      const address = ADDR.replace('decision', `d${i}`)
      expect(headKeyOf(address)).toBe(headKey(address))
      expect(versionKeyOf(address, i + 1)).toBe(versionKey(address, i + 1))
    }
    for (let v = 1; v < 100; v++) expect(versionKeyOf(ADDR, v)).toBe(versionKey(ADDR, v))
    expect(headKeyOf(ADDR)).toBe(headKey(ADDR))
    expect(() => versionKeyOf(ADDR, -1)).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError' }))
  })
})

describe('the ledger numbers from its own versions', () => {
  it('reads the version log once, keeps it current, and a new ledger over the same datastore reads it again', async () => {
    const datastore = new MemoryDatastore()
    const ledger = new WriteLedger(datastore, DEFAULT_LEDGER_PREFIX)
    const meta = (version: number, address = ADDR): UCXLMetadata => ({ address, creatorRole: 'backend_developer', encryptedFor: [], contentType: 'text/plain', timestamp: 1, size: 1, hash: '0'.repeat(64), dhtPeers: [], replicationFactor: 3, version, signer: 'x' })
    expect(await ledger.latestOwnVersion(ADDR)).toBe(0)
    await ledger.logVersion(meta(2))
    await ledger.logVersion(meta(5))
    await ledger.logVersion(meta(3))
    const other = ADDR.replace('decision', 'other')
    await ledger.logVersion(meta(7, other))
    expect(await ledger.latestOwnVersion(ADDR)).toBe(5)
    expect(await ledger.latestOwnVersion(other)).toBe(7)
    let queries = 0
    const counting = Object.create(datastore, { query: { value: (...args: any[]) => { queries++; return (datastore.query as any)(...args) } } })
    const restarted = new WriteLedger(counting, DEFAULT_LEDGER_PREFIX)
    expect(await restarted.latestOwnVersion(ADDR)).toBe(5)
    expect(await restarted.latestOwnVersion(other)).toBe(7)
    expect(await restarted.latestOwnVersion(ADDR.replace('decision', 'none'))).toBe(0)
    await restarted.logVersion(meta(6))
    expect(await restarted.latestOwnVersion(ADDR)).toBe(6)
    expect(queries).toBe(1)
  })
})
