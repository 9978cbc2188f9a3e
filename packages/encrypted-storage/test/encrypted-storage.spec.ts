import { createMockNetwork, hybridDHT, mergePolicies, mockDHT, probeRecordPolicy } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  chorusRecordPolicy,
  createEncryptedStorage,
  decodeRecord,
  encodeRecord,
  encryptedStorage,
  memoryAuditSink,
  recordSelector,
  recordSigningBytes,
  sha256Hex
} from '../src/index.js'
import { cryptoFor, manualClock, mockNode, newSigner, roleKeys, roles, str, text } from './fixtures.js'
import type { TestNode } from './fixtures.js'
import type { DHT } from '@chorus-dht/types'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const SLASH = 'ucxl://agent001/backend_developer/project123/task456/decision'

beforeAll(async () => { await roleKeys() })

const nodes: TestNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.storage.stop()
    await n.dht.stop()
  }
})

async function pair (heldB = ['backend_developer']): Promise<[TestNode, TestNode]> {
  const network = createMockNetwork()
  const a = await mockNode({ network })
  const b = await mockNode({ network, held: heldB })
  nodes.push(a, b)
  return [a, b]
}

function errorNamed (name: string, extra: Record<string, unknown> = {}): unknown {
  return expect.objectContaining({ name, ...extra })
}

describe('store and retrieve', () => {
  it('stores on one node and retrieves on another holding a reader role', async () => {
    const [a, b] = await pair()
    const stored = await a.storage.storeUCXLContent(ADDR, text('use postgres'), 'backend_developer', 'text/plain')
    expect(stored).toMatchObject({
      address: ADDR,
      creatorRole: 'backend_developer',
      encryptedFor: roles.recipientsFor('backend_developer'),
      contentType: 'text/plain',
      size: 12,
      version: 1,
      replicationFactor: 3,
      signer: a.signer.peerId
    })
    expect(stored.dhtPeers).toEqual([b.dht.peerId])
    const onWire = decodeRecord(await b.dht.getValue(headKey(ADDR)))
    expect(stored.hash).toBe(sha256Hex(onWire.ciphertext))

    const got = await b.storage.retrieveUCXLContent(ADDR)
    expect(str(got.content)).toBe('use postgres')
    expect(got.fromCache).toBe(false)
    expect(got.metadata).toMatchObject({ version: 1, hash: stored.hash, signer: a.signer.peerId })
    const again = await b.storage.retrieveUCXLContent(ADDR)
    expect(again.fromCache).toBe(true)
    expect(b.storage.getMetrics()).toMatchObject({ cacheHits: 1, cacheMisses: 1, retrievedItems: 2, decryptionOps: 1 })
    expect(a.storage.getMetrics()).toMatchObject({ storedItems: 1, encryptionOps: 1, errors: 0 })
    expect(a.storage.getMetrics().averageStoreTime).toBeGreaterThan(0)
    expect(b.storage.getMetrics().averageRetrieveTime).toBeGreaterThan(0)
  })

  it('accepts the slash form and the canonical form for the same content', async () => {
    const [a, b] = await pair()
    const stored = await a.storage.storeUCXLContent(SLASH, text('x'), 'backend_developer', 'text/plain')
    expect(stored.address).toBe(ADDR)
    expect(str((await b.storage.retrieveUCXLContent(ADDR)).content)).toBe('x')
    expect(str((await b.storage.retrieveUCXLContent(SLASH, { noCache: true })).content)).toBe('x')
  })

  it('names the field of an invalid address', async () => {
    const [a] = await pair()
    await expect(a.storage.storeUCXLContent('ucxl://ag*nt:backend_developer@p:t/*^/x', text('x'), 'backend_developer', 'text/plain'))
      .rejects.toThrow(errorNamed('InvalidUcxlAddressError', { field: 'agent' }))
    await expect(a.storage.retrieveUCXLContent('ucxl://a:b@p:t/*^/../x')).rejects.toThrow(errorNamed('InvalidUcxlAddressError', { field: 'path' }))
    await expect(a.storage.storeUCXLContent('ucxl://a:backend_developer@p:t/*~2/x', text('x'), 'backend_developer', 'text/plain'))
      .rejects.toThrow(errorNamed('InvalidUcxlAddressError', { field: 'temporal_segment' }))
    await expect(a.storage.history('http://nope')).rejects.toThrow(errorNamed('InvalidUcxlAddressError', { field: 'scheme' }))
  })

  it('refuses a read-only or unknown role, audited as a failure, and writes nothing', async () => {
    const [a, b] = await pair()
    await expect(a.storage.storeUCXLContent(ADDR, text('x'), 'observer', 'text/plain')).rejects.toThrow(errorNamed('AccessDeniedError'))
    await expect(a.storage.storeUCXLContent(ADDR, text('x'), 'intruder', 'text/plain')).rejects.toThrow(errorNamed('AccessDeniedError'))
    const audit = await a.audit.read()
    expect(audit).toHaveLength(2)
    expect(audit.map(e => [e.operation, e.role, e.success])).toEqual([['store', 'observer', false], ['store', 'intruder', false]])
    expect(audit[0].error).toMatch(/^AccessDeniedError/)
    await expect(b.storage.retrieveUCXLContent(ADDR)).rejects.toThrow(errorNamed('NotFoundError'))
    expect(a.storage.getMetrics().errors).toBe(2)
  })

  it('refuses oversized content before encrypting it', async () => {
    const signer = await newSigner()
    const dht = mockDHT({ peerId: signer.peerId, validators: { CHORUS: () => {} }, selectors: { CHORUS: recordSelector } })()
    await dht.start()
    const crypto = await cryptoFor(['backend_developer'])
    let encryptions = 0
    const spy = Object.create(crypto, {
      encryptForMultipleRoles: { value: async (...args: Parameters<typeof crypto.encryptForMultipleRoles>) => { encryptions++; return crypto.encryptForMultipleRoles(...args) } }
    })
    const storage = createEncryptedStorage({ dht, crypto: spy, roles, signer, datastore: new MemoryDatastore() }, { maxRecordSize: 4096 })
    await expect(storage.storeUCXLContent(ADDR, new Uint8Array(4096), 'backend_developer', 'text/plain'))
      .rejects.toThrow(errorNamed('RecordTooLargeError', { limit: expect.any(Number) }))
    expect(encryptions).toBe(0)
    // just under the computed limit fits in a record of at most maxRecordSize bytes
    const err: any = await storage.storeUCXLContent(ADDR, new Uint8Array(4096), 'backend_developer', 'text/plain').catch(e => e)
    const stored = await storage.storeUCXLContent(ADDR, new Uint8Array(err.limit), 'backend_developer', 'text/plain')
    expect((await dht.getValue(headKey(ADDR))).byteLength).toBeLessThanOrEqual(4096)
    expect(stored.size).toBe(err.limit)
    await dht.stop()
  })

  it('says NotFoundError for a missing address', async () => {
    const [, b] = await pair()
    await expect(b.storage.retrieveUCXLContent(ADDR)).rejects.toThrow(errorNamed('NotFoundError'))
    await expect(b.storage.history(ADDR)).rejects.toThrow(errorNamed('NotFoundError'))
  })

  it('says AccessDeniedError to a reader without a matching identity, and caches nothing', async () => {
    const [a, b] = await pair(['frontend_developer'])
    await a.storage.storeUCXLContent(ADDR, text('secret'), 'backend_developer', 'text/plain')
    await expect(b.storage.retrieveUCXLContent(ADDR)).rejects.toThrow(errorNamed('AccessDeniedError'))
    expect(b.storage.getMetrics()).toMatchObject({ cacheEntries: 0, errors: 1 })
    const audit = await b.audit.read()
    expect(audit.at(-1)).toMatchObject({ operation: 'retrieve', success: false, address: ADDR })
  })
  it('reads as a given role: refuses a role that may not read, from the cache too, and audits the reader', async () => {
    // b holds the keys of a reader (backend_developer) and of a role that may not read (frontend_developer)
    const [a, b] = await pair(['backend_developer', 'frontend_developer'])
    await a.storage.storeUCXLContent(ADDR, text('api design'), 'backend_developer', 'text/plain')

    await expect(b.storage.retrieveUCXLContent(ADDR, { role: 'frontend_developer' })).rejects.toThrow(errorNamed('AccessDeniedError'))
    expect(b.storage.getMetrics()).toMatchObject({ cacheEntries: 0, decryptionOps: 0 })

    const got = await b.storage.retrieveUCXLContent(ADDR, { role: 'backend_developer' })
    expect(str(got.content)).toBe('api design')
    // now cached: the cache must not serve a role that may not read it
    await expect(b.storage.retrieveUCXLContent(ADDR, { role: 'frontend_developer' })).rejects.toThrow(errorNamed('AccessDeniedError'))
    await expect(b.storage.retrieveUCXLContent(ADDR, { role: 'no_such_role' })).rejects.toThrow(errorNamed('AccessDeniedError'))
    expect((await b.storage.retrieveUCXLContent(ADDR, { role: 'backend_developer' })).fromCache).toBe(true)

    const entries = (await b.audit.read()).filter((e) => e.operation === 'retrieve')
    expect(entries.map((e) => [e.role, e.success])).toEqual([
      ['frontend_developer', false],
      ['backend_developer', true],
      ['frontend_developer', false],
      ['no_such_role', false],
      ['backend_developer', true]
    ])
  })

  it('reads as a role whose identity this node does not hold: AccessDeniedError', async () => {
    // senior_architect may read everything, but b holds only the backend_developer key
    const [a, b] = await pair(['backend_developer'])
    await a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')
    await expect(b.storage.retrieveUCXLContent(ADDR, { role: 'senior_architect', noCache: true })).rejects.toThrow(errorNamed('AccessDeniedError'))
  })
})

describe('deadlines', () => {
  it('times out by default and honours the caller signal', async () => {
    const network = createMockNetwork({ latency: 60_000 })
    const a = await mockNode({ network, init: { timeout: 100 } })
    const b = await mockNode({ network })
    nodes.push(a, b)
    await expect(a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')).rejects.toThrow(errorNamed('TimeoutError'))
    await expect(a.storage.retrieveUCXLContent(ADDR)).rejects.toThrow(errorNamed('TimeoutError'))
    const controller = new AbortController()
    const pending = b.storage.history(ADDR, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toThrow(errorNamed('AbortError'))
  })
})

describe('versions', () => {
  it('navigates *^, *~, *~N, ~~N and ^^N across nodes', async () => {
    const [a, b] = await pair()
    for (const v of ['one', 'two', 'three']) await a.storage.storeUCXLContent(ADDR, text(v), 'backend_developer', 'text/plain')
    const at = async (temporal: string): Promise<string> =>
      str((await b.storage.retrieveUCXLContent(ADDR.replace('*^', temporal), { noCache: true })).content)
    expect(await at('*^')).toBe('three')
    expect(await at('*~')).toBe('one')
    expect(await at('*~2')).toBe('two')
    expect(await at('~~1')).toBe('two')
    expect(await at('~~2')).toBe('one')
    expect(await at('^^1')).toBe('two')
    expect(await at('^^2')).toBe('three')
    await expect(at('~~3')).rejects.toThrow(errorNamed('NotFoundError'))
    await expect(at('^^3')).rejects.toThrow(errorNamed('NotFoundError'))
    await expect(at('*~4')).rejects.toThrow(errorNamed('NotFoundError'))
    const history = await b.storage.history(SLASH)
    expect(history.map(m => m.version)).toEqual([1, 2, 3])
    expect(history.every(m => m.address === ADDR)).toBe(true)
  })

  it('leaves no version and no head when the version write fails', async () => {
    const [a, b] = await pair()
    await a.storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    const failing: DHT = Object.create(a.dht, {
      putValue: { value: async () => { throw Object.assign(new Error('network down'), { name: 'BackendUnavailableError' }) } }
    })
    const storage = createEncryptedStorage({ dht: failing, crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore(), audit: a.audit })
    await expect(storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')).rejects.toThrow(errorNamed('BackendUnavailableError'))
    expect((await b.storage.history(ADDR)).map(m => m.version)).toEqual([1])
    await expect(b.dht.getValue(versionKey(ADDR, 2))).rejects.toThrow(errorNamed('NotFoundError'))
    expect((await a.audit.read()).at(-1)).toMatchObject({ operation: 'store', success: false })
  })

  it('fails, leaving no head, when fewer than replicationFactor peers accept the version', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    nodes.push(a)
    const refusing = mockDHT({ validators: { CHORUS: () => { throw new Error('refused') } }, selectors: { CHORUS: recordSelector } })({ network })
    await refusing.start()
    try {
      await expect(a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')).rejects.toThrow(errorNamed('BackendUnavailableError'))
      await expect(a.dht.getValue(headKey(ADDR))).rejects.toThrow(errorNamed('NotFoundError'))
    } finally {
      await refusing.stop()
    }
  })

  it('moves the head only after the version record is written', async () => {
    const [a] = await pair()
    const puts: string[] = []
    const watched: DHT = Object.create(a.dht, {
      putValue: { value: async (key: string, value: Uint8Array, o: any) => { puts.push(decodeRecord(value).kind); return a.dht.putValue(key, value, o) } }
    })
    const storage = createEncryptedStorage({ dht: watched, crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore() })
    await storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    await storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')
    expect(puts).toEqual(['version', 'head', 'version', 'head'])
  })
})

describe('on a hybrid DHT running on its fallback', () => {
  it('accepts a store while the head cannot be read, numbering it from the local index', async () => {
    const signer = await newSigner()
    const merge = mergePolicies(chorusRecordPolicy(), probeRecordPolicy)
    const real = mockDHT({ peerId: signer.peerId, ...merge })({ network: createMockNetwork() })
    const mock = mockDHT({ peerId: signer.peerId, ...merge })({})
    const dht = hybridDHT({ useRealDHT: true, selectors: merge.selectors })({ real, mock })
    await dht.start()
    try {
      dht.switchBackend('mock')
      // the premise: the hybrid cannot say whether the head exists
      await expect(dht.getValue(headKey(ADDR))).rejects.toThrow(errorNamed('BackendUnavailableError'))
      const storage = createEncryptedStorage({ dht, crypto: await cryptoFor(['backend_developer']), roles, signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
      const first = await storage.storeUCXLContent(ADDR, text('v1'), 'backend_developer', 'text/plain')
      const second = await storage.storeUCXLContent(ADDR, text('v2'), 'backend_developer', 'text/plain')
      expect([first.version, second.version]).toEqual([1, 2])
      expect(str((await storage.retrieveUCXLContent(`${ADDR.replace('*^', '*~1')}`, { noCache: true })).content)).toBe('v1')
    } finally {
      await dht.stop()
    }
  })
})

describe('concurrent writers', () => {
  it('converges when two nodes write the same address at once', async () => {
    const [a, b] = await pair(['backend_developer'])
    await Promise.all([
      a.storage.storeUCXLContent(ADDR, text('from a'), 'backend_developer', 'text/plain'),
      b.storage.storeUCXLContent(ADDR, text('from b'), 'backend_developer', 'text/plain')
    ])
    await a.storage.reconcile()
    await b.storage.reconcile()
    const ha = await a.storage.history(ADDR)
    const hb = await b.storage.history(ADDR)
    expect(ha).toEqual(hb)
    expect(ha.map(m => m.version)).toEqual([1, 2])
    const contents = await Promise.all([1, 2].map(async v => str((await a.storage.retrieveUCXLContent(ADDR.replace('*^', `*~${v}`), { noCache: true })).content)))
    expect(contents.sort()).toEqual(['from a', 'from b'])
  })

  it('re-publishes a version lost in a partition as a later version once it heals', async () => {
    const network = createMockNetwork()
    const clockA = manualClock(1_800_000_000_000)
    const clockB = manualClock(1_800_000_000_000 + 1000)
    const a = await mockNode({ network, clock: clockA })
    const b = await mockNode({ network, clock: clockB })
    nodes.push(a, b)
    await b.dht.stop()
    await a.storage.storeUCXLContent(ADDR, text('a wrote first'), 'backend_developer', 'text/plain')
    await a.dht.stop()
    await b.dht.start()
    const lost = await b.storage.storeUCXLContent(ADDR, text('b wrote second'), 'backend_developer', 'text/plain')
    expect(lost.version).toBe(1)
    await a.dht.start() // the partition heals

    expect(await a.storage.reconcile()).toEqual([])
    const reports = await b.storage.reconcile()
    expect(reports).toHaveLength(1)
    expect(reports[0].lost.version).toBe(1)
    expect(reports[0].republished.version).toBe(2)

    for (const n of [a, b]) {
      const history = await n.storage.history(ADDR)
      expect(history.map(m => [m.version, m.signer])).toEqual([[1, a.signer.peerId], [2, b.signer.peerId]])
      expect(str((await n.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('b wrote second')
      expect(str((await n.storage.retrieveUCXLContent(ADDR.replace('*^', '*~1'), { noCache: true })).content)).toBe('a wrote first')
    }
    // nothing left to reconcile
    expect(await b.storage.reconcile()).toEqual([])
  })
})

describe('background reconcile', () => {
  it('re-publishes a lost version by itself while started, and stops cleanly', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network, clock: manualClock(1_800_000_000_000) })
    const b = await mockNode({ network, clock: manualClock(1_800_000_000_000 + 1000), init: { reconcileInterval: 10 } })
    nodes.push(a, b)
    await b.dht.stop()
    await a.storage.storeUCXLContent(ADDR, text('first'), 'backend_developer', 'text/plain')
    await a.dht.stop()
    await b.dht.start()
    await b.storage.storeUCXLContent(ADDR, text('second'), 'backend_developer', 'text/plain')
    await a.dht.start()
    b.storage.start()
    const deadline = Date.now() + 10_000
    let versions: number[] = []
    while (Date.now() < deadline) {
      versions = (await a.storage.history(ADDR)).map(m => m.version)
      if (versions.length === 2) break
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    b.storage.stop()
    expect(versions).toEqual([1, 2])
    expect(str((await a.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('second')
  })
})

describe('tampered records', () => {
  it('rejects a tampered record from a DHT that does not validate, never caches it and drops the cached copy', async () => {
    const signer = await newSigner()
    const network = createMockNetwork()
    // a DHT without the chorus validator and replacement rule accepts anything
    const naive = mockDHT({ peerId: signer.peerId, validators: { CHORUS: () => {} }, selectors: { CHORUS: () => 0 }, replacers: { CHORUS: () => true } })({ network })
    await naive.start()
    const crypto = await cryptoFor(['backend_developer'])
    const storage = createEncryptedStorage({ dht: naive, crypto, roles, signer, datastore: new MemoryDatastore() })
    await storage.storeUCXLContent(ADDR, text('genuine'), 'backend_developer', 'text/plain')
    expect((await storage.retrieveUCXLContent(ADDR)).fromCache).toBe(true)

    const record = decodeRecord(await naive.getValue(headKey(ADDR)))
    const ciphertext = record.ciphertext.slice()
    ciphertext[ciphertext.length - 1] ^= 1
    await naive.putValue(headKey(ADDR), encodeRecord({ ...record, ciphertext }))

    await expect(storage.retrieveUCXLContent(ADDR, { noCache: true })).rejects.toThrow(errorNamed('IntegrityError'))
    // the cached plaintext of the address was dropped and the bad record not cached
    expect(storage.getMetrics().cacheEntries).toBe(0)
    await expect(storage.retrieveUCXLContent(ADDR)).rejects.toThrow(errorNamed('IntegrityError'))
    await naive.stop()
  })
})

describe('hostile heads', () => {
  it('bounds history when a peer signs a head with a huge version', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network, init: { historyLimit: 5 } })
    nodes.push(a)
    await a.storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    const rogue = await newSigner()
    const record = decodeRecord(await a.dht.getValue(headKey(ADDR)))
    const metadata = { ...record.metadata, version: 1e12, signer: rogue.peerId }
    const key = headKey(ADDR)
    const huge = encodeRecord({ ...record, metadata, signature: await rogue.sign(recordSigningBytes('head', key, metadata)) })
    // a node holding the head refuses a jump that far past it
    await expect(a.dht.putValue(key, huge)).rejects.toThrow(errorNamed('RecordConflictError'))
    expect((await a.storage.history(ADDR)).map(m => m.version)).toEqual([1])
    // a node that held no head takes it; its history is still bounded
    const b = await mockNode({ network: createMockNetwork(), init: { historyLimit: 5 } })
    nodes.push(b)
    await b.dht.putValue(key, huge)
    const history = await b.storage.history(ADDR)
    expect(history.map(m => m.version)).toEqual([1e12])
  })
})

describe('cache', () => {
  it('expires entries after the TTL and cleans them up', async () => {
    const clock = manualClock()
    const a = await mockNode({ clock })
    nodes.push(a)
    await a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')
    expect(a.storage.getMetrics().cacheEntries).toBe(2) // the address and its version
    clock.advance(10 * 60_000 - 1)
    expect(a.storage.cleanupCache()).toBe(0)
    clock.advance(1)
    expect(a.storage.cleanupCache()).toBe(2)
    expect((await a.storage.retrieveUCXLContent(ADDR)).fromCache).toBe(false)
  })

  it('is bounded by entries and bytes, least recently used first', async () => {
    const a = await mockNode({ init: { cacheMaxBytes: 100, cacheMaxEntries: 3 } })
    nodes.push(a)
    for (let i = 0; i < 4; i++) await a.storage.storeUCXLContent(ADDR.replace('decision', `doc${i}`), new Uint8Array(30), 'backend_developer', 'text/plain')
    const m = a.storage.getMetrics()
    expect(m.cacheEntries).toBeLessThanOrEqual(3)
    expect(m.cacheBytes).toBeLessThanOrEqual(100)
    expect((await a.storage.retrieveUCXLContent(ADDR.replace('decision', 'doc3'))).fromCache).toBe(true)
    expect((await a.storage.retrieveUCXLContent(ADDR.replace('decision', 'doc0'))).fromCache).toBe(false)
  })

  it('keeps its own copy of cached content', async () => {
    const a = await mockNode()
    nodes.push(a)
    const buffer = text('original')
    await a.storage.storeUCXLContent(ADDR, buffer, 'backend_developer', 'text/plain')
    buffer.fill(0)
    const first = await a.storage.retrieveUCXLContent(ADDR)
    expect(first.fromCache).toBe(true)
    first.content.fill(0)
    expect(str((await a.storage.retrieveUCXLContent(ADDR)).content)).toBe('original')
  })

  it('runs the cleanup loop while started and leaves no timer after stop', async () => {
    const a = await mockNode()
    nodes.push(a)
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] })
    try {
      const storage = createEncryptedStorage({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore() })
      storage.stop() // safe before start
      storage.start()
      storage.start()
      expect(vi.getTimerCount()).toBe(2) // cache cleanup and reconcile
      storage.stop()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('index, search, announce and audit', () => {
  it('lists by role and searches newest first with a limit, surviving a restart', async () => {
    const clock = manualClock(1_800_000_000_000)
    const datastore = new MemoryDatastore()
    const a = await mockNode({ clock, datastore, held: ['backend_developer', 'devops_engineer'] })
    nodes.push(a)
    const store = async (addr: string, role: string, type: string): Promise<void> => {
      clock.advance(1000)
      await a.storage.storeUCXLContent(addr, text(addr), role, type)
    }
    await store('ucxl://alice:backend_developer@proj:t1/*^/a', 'backend_developer', 'text/plain')
    await store('ucxl://bob:devops_engineer@proj:t2/*^/b', 'devops_engineer', 'application/json')
    await store('ucxl://alice:backend_developer@other:t1/*^/c', 'backend_developer', 'application/json')
    await store('ucxl://alice:backend_developer@proj:t1/*^/a', 'backend_developer', 'text/plain') // version 2 of a

    const restarted = createEncryptedStorage({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore, clock })
    const byRole = await restarted.listContentByRole('backend_developer')
    expect(byRole.map(m => [m.address, m.version])).toEqual([
      ['ucxl://alice:backend_developer@proj:t1/*^/a', 2],
      ['ucxl://alice:backend_developer@other:t1/*^/c', 1]
    ])
    expect(await restarted.listContentByRole('backend_developer', { limit: 1 })).toHaveLength(1)
    expect((await restarted.searchContent({ agent: 'alice', project: 'proj' })).map(m => m.address)).toEqual(['ucxl://alice:backend_developer@proj:t1/*^/a'])
    expect((await restarted.searchContent({ contentType: 'application/json' })).map(m => m.address)).toEqual([
      'ucxl://alice:backend_developer@other:t1/*^/c',
      'ucxl://bob:devops_engineer@proj:t2/*^/b'
    ])
    const t0 = 1_800_000_000_000
    expect((await restarted.searchContent({ createdAfter: t0 + 2000, createdBefore: t0 + 3000 })).map(m => m.address)).toEqual([
      'ucxl://alice:backend_developer@other:t1/*^/c',
      'ucxl://bob:devops_engineer@proj:t2/*^/b'
    ])
    expect(await restarted.searchContent({ role: 'qa_engineer' })).toEqual([])
    await expect(restarted.searchContent({ limit: -1 })).rejects.toThrow(errorNamed('InvalidParametersError'))

    expect(await restarted.forget('ucxl://alice:backend_developer@other:t1/*^/c')).toBe(true)
    expect((await restarted.listContentByRole('backend_developer')).map(m => m.address)).toEqual(['ucxl://alice:backend_developer@proj:t1/*^/a'])
  })

  it('announces content and finds the peers that announced it', async () => {
    const [a, b] = await pair()
    await a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')
    await a.storage.announceContent(SLASH)
    expect((await b.storage.discoverContentPeers(ADDR)).map(p => p.id)).toContain(a.dht.peerId)
    const audit = await a.audit.read()
    expect(audit.map(e => [e.operation, e.success])).toEqual([['store', true], ['announce', true]])
    expect(audit[1]).toMatchObject({ nodeId: a.signer.peerId, address: ADDR, role: 'backend_developer', contentType: 'text/plain', size: 1 })
    expect(await a.audit.verify()).toEqual({ valid: true, entries: 2 })
  })

  it('offers the libp2p-style factory', async () => {
    const a = await mockNode()
    nodes.push(a)
    const storage = encryptedStorage({ cacheTtl: 1000 })({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore(), audit: memoryAuditSink() })
    await storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')
    expect(str((await storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('x')
    expect(() => encryptedStorage({ headQuorum: 0 })({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore: new MemoryDatastore() }))
      .toThrow(errorNamed('InvalidParametersError'))
  })
})
