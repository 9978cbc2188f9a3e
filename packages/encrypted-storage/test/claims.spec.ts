// Tests that prove the README: each `it` names the README section and claim
// it holds the package to. Only the package's public API is used.
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMockNetwork } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_MAX_REPUBLISH_ATTEMPTS,
  createEncryptedStorage,
  decodeRecord,
  encodeRecord,
  fileAuditSink,
  recordSigningBytes
} from '../src/index.js'
import { manualClock, mockNode, newSigner, roleKeys, roles, str, text } from './fixtures.js'
import type { EncryptedStorage, EncryptedStorageInit, PublishedEventDetail } from '../src/index.js'
import type { TestNode } from './fixtures.js'
import type { AuditSink, DHT, PutResult, RecordSigner, UCXLMetadata } from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const at = (version: number): string => ADDR.replace('*^', `*~${version}`)
const named = (name: string): unknown => expect.objectContaining({ name })

beforeAll(async () => { await roleKeys() })

const nodes: TestNode[] = []
const storages: EncryptedStorage[] = []
afterEach(async () => {
  for (const s of storages.splice(0)) s.stop()
  for (const n of nodes.splice(0)) {
    n.storage.stop()
    await n.dht.stop()
  }
})

/** A second storage on `node`'s signer and crypto, over another DHT view, datastore or audit sink. */
function storageOn (node: TestNode, parts: { dht?: DHT, datastore?: Datastore, audit?: AuditSink, clock?: { now(): number } }, init: EncryptedStorageInit = {}): EncryptedStorage {
  const storage = createEncryptedStorage({
    dht: parts.dht ?? node.dht,
    crypto: node.crypto,
    roles,
    signer: node.signer,
    datastore: parts.datastore ?? new MemoryDatastore(),
    audit: parts.audit,
    clock: parts.clock
  }, { reconcileInterval: 0, ...init })
  storages.push(storage)
  return storage
}

/** Collects the `published` events of a storage. */
function published (storage: EncryptedStorage): PublishedEventDetail[] {
  const seen: PublishedEventDetail[] = []
  storage.addEventListener('published', evt => { seen.push(evt.detail) })
  return seen
}

async function ownKeys (storage: EncryptedStorage): Promise<string[]> {
  const keys: string[] = []
  for await (const r of storage.ownRecords()) keys.push(r.key)
  return keys.sort()
}

const isVersionRecord = (value: Uint8Array): boolean => {
  try {
    return decodeRecord(value).kind === 'version'
  } catch {
    return false
  }
}

/** A validly signed version record of another writer for the same key, content and version, one second earlier (so it ranks better). */
async function rivalRecord (rival: RecordSigner, value: Uint8Array): Promise<Uint8Array> {
  const ours = decodeRecord(value)
  const metadata: UCXLMetadata = { ...ours.metadata, signer: rival.peerId, timestamp: ours.metadata.timestamp - 1000 }
  const signature = await rival.sign(recordSigningBytes('version', ours.key, metadata))
  return encodeRecord({ kind: 'version', key: ours.key, metadata, ciphertext: ours.ciphertext, signature })
}

describe('README "Audit sinks": an audit sink that fails does not fail the operation', () => {
  const failures: Array<[string, AuditSink['append']]> = [
    ['throws', () => { throw new Error('audit disk full') }],
    ['rejects', async () => { throw new Error('audit disk full') }]
  ]
  for (const [how, fail] of failures) {
    it(`store and retrieve resolve their normal result when the sink's append ${how}`, async () => {
      const network = createMockNetwork()
      const a = await mockNode({ network })
      const b = await mockNode({ network })
      nodes.push(a, b)
      let appends = 0
      const broken: AuditSink = { append: (entry) => { appends++; return fail(entry) } }
      const storage = storageOn(a, { audit: broken })

      const stored = await storage.storeUCXLContent(ADDR, text('use postgres'), 'backend_developer', 'text/plain')
      expect(stored).toMatchObject({ address: ADDR, version: 1, creatorRole: 'backend_developer', signer: a.signer.peerId })
      expect(appends).toBe(1)

      const fromCache = await storage.retrieveUCXLContent(ADDR)
      expect(fromCache.fromCache).toBe(true)
      expect(str(fromCache.content)).toBe('use postgres')
      const fromDht = await storage.retrieveUCXLContent(ADDR, { noCache: true })
      expect(fromDht.fromCache).toBe(false)
      expect(str(fromDht.content)).toBe('use postgres')
      expect(fromDht.metadata).toMatchObject({ version: 1, hash: stored.hash })
      // every operation did consult the failing sink
      expect(appends).toBe(3)
      // the store really went out, and nothing counted as a failed operation
      expect(str((await b.storage.retrieveUCXLContent(ADDR)).content)).toBe('use postgres')
      expect(storage.getMetrics()).toMatchObject({ storedItems: 1, retrievedItems: 2, errors: 0 })
    })
  }
})

describe('README "Writes that hold" 4 / Errors: VersionConflictError after maxRepublishAttempts', () => {
  it('a store whose every claim is refused locally (RecordConflictError) rejects after exactly maxRepublishAttempts + 1 claims', async () => {
    const a = await mockNode({})
    nodes.push(a)
    const claims: number[] = []
    const refusing: DHT = Object.create(a.dht, {
      putValue: {
        value: async (key: string, value: Uint8Array, options?: any): Promise<PutResult> => {
          if (isVersionRecord(value)) {
            claims.push(decodeRecord(value).metadata.version)
            throw Object.assign(new Error(`${key} is held by another record`), { name: 'RecordConflictError' })
          }
          return a.dht.putValue(key, value, options)
        }
      }
    })
    const storage = storageOn(a, { dht: refusing }, { maxRepublishAttempts: 3 })
    const events = published(storage)

    const err = await storage.storeUCXLContent(ADDR, text('never lands'), 'backend_developer', 'text/plain').catch(e => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('VersionConflictError')
    expect(claims).toHaveLength(3 + 1)
    // each lost claim moved on to the next number
    expect(claims).toEqual([1, 2, 3, 4])
    // nothing was acknowledged
    expect(events).toEqual([])
    expect(await ownKeys(storage)).toEqual([])
    await expect(a.dht.getValue(headKey(ADDR))).rejects.toThrow(named('NotFoundError'))
  })

  it('a store whose every claim a peer refuses while the network holds another record rejects after exactly the default 8 + 1 claims', async () => {
    const a = await mockNode({})
    nodes.push(a)
    const rival = await newSigner()
    const rivals = new Map<string, Uint8Array>()
    const claims: number[] = []
    const contested: DHT = Object.create(a.dht, {
      putValue: {
        value: async (key: string, value: Uint8Array, options?: any): Promise<PutResult> => {
          if (isVersionRecord(value) && decodeRecord(value).metadata.signer === a.signer.peerId) {
            // our claim: a peer keeps another writer's record for the key
            claims.push(decodeRecord(value).metadata.version)
            rivals.set(key, await rivalRecord(rival, value))
            return { remotePeers: 0, peers: [], refusedPeers: 1 }
          }
          return a.dht.putValue(key, value, options)
        }
      },
      getValue: {
        value: async (key: string, options?: any): Promise<Uint8Array> => rivals.get(key) ?? a.dht.getValue(key, options)
      }
    })
    const storage = storageOn(a, { dht: contested })
    const events = published(storage)

    const err = await storage.storeUCXLContent(ADDR, text('never lands'), 'backend_developer', 'text/plain').catch(e => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('VersionConflictError')
    expect(DEFAULT_MAX_REPUBLISH_ATTEMPTS).toBe(8)
    expect(claims).toHaveLength(DEFAULT_MAX_REPUBLISH_ATTEMPTS + 1)
    expect(new Set(claims).size).toBe(claims.length)
    expect(events).toEqual([])
    expect(await ownKeys(storage)).toEqual([])
  })
})

describe('README "Versions": a head write that fails after its version write', () => {
  it('rejects the store, leaves the version record, and the next store claims the same number, loses it to the orphan and is re-published as the next', async () => {
    const network = createMockNetwork()
    const clock = manualClock(1_800_000_000_000)
    const a = await mockNode({ network, clock })
    const b = await mockNode({ network, clock })
    nodes.push(a, b)
    let failHead = false
    const claims: Array<{ version: number, hash: string }> = []
    const flaky: DHT = Object.create(a.dht, {
      putValue: {
        value: async (key: string, value: Uint8Array, options?: any): Promise<PutResult> => {
          const record = decodeRecord(value)
          if (record.kind === 'version') claims.push({ version: record.metadata.version, hash: record.metadata.hash })
          if (record.kind === 'head' && failHead) {
            failHead = false
            throw Object.assign(new Error('network down'), { name: 'BackendUnavailableError' })
          }
          return a.dht.putValue(key, value, options)
        }
      }
    })
    const storage = storageOn(a, { dht: flaky, clock })

    const first = await storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    expect(first.version).toBe(1)

    clock.advance(1000)
    failHead = true
    await expect(storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')).rejects.toThrow(named('BackendUnavailableError'))
    expect(failHead).toBe(false) // the head write was attempted, after the version write
    // the orphan version record exists on the network; no head names it
    expect(decodeRecord(await b.dht.getValue(versionKey(ADDR, 2))).metadata).toMatchObject({ version: 2, signer: a.signer.peerId })
    expect(str((await b.storage.retrieveUCXLContent(at(2), { noCache: true })).content)).toBe('two')
    expect(decodeRecord(await b.dht.getValue(headKey(ADDR), { quorum: 2 })).metadata.version).toBe(1)
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('one')

    clock.advance(1000)
    claims.length = 0
    const third = await storage.storeUCXLContent(ADDR, text('three'), 'backend_developer', 'text/plain')
    // it claims the same number first; the orphan (earlier) keeps it; re-published as a later version
    expect(claims.filter(c => c.hash === third.hash).map(c => c.version)).toEqual([2, 3])
    expect(third.version).toBe(3)

    // the history is consistent: contiguous, every version readable, the head names the newest
    const history = await b.storage.history(ADDR)
    expect(history.map(m => m.version)).toEqual([1, 2, 3])
    expect(history[0].hash).toBe(first.hash)
    expect(history[2].hash).toBe(third.hash)
    const contents = await Promise.all([1, 2, 3].map(async v => str((await b.storage.retrieveUCXLContent(at(v), { noCache: true })).content)))
    expect(contents).toEqual(['one', 'two', 'three'])
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('three')
    // only what was acknowledged is tracked as this node's own
    expect(await ownKeys(storage)).toEqual([versionKey(ADDR, 1), versionKey(ADDR, 3), headKey(ADDR)].sort())
  })
})

describe('README "Writes that hold" 1: a store that fails and tells its caller leaves nothing to finish', () => {
  it('a new storage over the same datastore, started, publishes nothing for it', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    const b = await mockNode({ network })
    nodes.push(a, b)
    const datastore = new MemoryDatastore()
    const failing: DHT = Object.create(a.dht, {
      putValue: { value: async () => { throw Object.assign(new Error('network down'), { name: 'BackendUnavailableError' }) } }
    })
    const first = storageOn(a, { dht: failing, datastore })
    await expect(first.storeUCXLContent(ADDR, text('failed'), 'backend_developer', 'text/plain')).rejects.toThrow(named('BackendUnavailableError'))
    first.stop()

    // the next process on the same datastore
    const restarted = storageOn(a, { datastore })
    const events = published(restarted)
    restarted.start()
    // reconcile() finishes leftovers too; a leftover start() already took holds the address's lock
    expect(await restarted.reconcile()).toEqual([])
    expect(await ownKeys(restarted)).toEqual([])
    // a store of the address queues behind any write of it still running here
    const next = await restarted.storeUCXLContent(ADDR, text('next'), 'backend_developer', 'text/plain')
    expect(next.version, 'no leftover of the failed store took a version first').toBe(1)
    expect(events.map(e => e.metadata.version), 'published events').toEqual([1])
    expect(events[0].metadata.hash).toBe(next.hash)
    expect((await b.storage.history(ADDR)).map(m => m.hash)).toEqual([next.hash])
    expect(str((await b.storage.retrieveUCXLContent(ADDR)).content)).toBe('next')
  })
})

describe('README "Audit sinks": fileAuditSink', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'es-claims-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates its file with mode 0600', async () => {
    // a permissive umask, so the mode seen is the mode the sink asked for
    const umask = process.umask(0)
    try {
      const path = join(dir, 'audit.jsonl')
      const sink = fileAuditSink(path)
      const a = await mockNode({})
      nodes.push(a)
      const storage = storageOn(a, { audit: sink })
      await storage.storeUCXLContent(ADDR, text('audited'), 'backend_developer', 'text/plain')
      await sink.close()
      expect((await sink.verify?.())?.entries).toBe(1)
      expect((await stat(path)).mode & 0o777).toBe(0o600)
    } finally {
      process.umask(umask)
    }
  })
})
