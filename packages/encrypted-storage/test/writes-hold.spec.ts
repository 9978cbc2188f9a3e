import { createMockNetwork } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LEDGER_PREFIX, createEncryptedStorage, decodeRecord, recordReplacer, sha256Hex } from '../src/index.js'
import { WriteLedger } from '../src/write-ledger.js'
import { mockNode, roleKeys, roles, str, text } from './fixtures.js'
import type { PublishedEventDetail } from '../src/index.js'
import type { TestNode } from './fixtures.js'
import type { UCXLMetadata } from '@chorus-dht/types'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'

beforeAll(async () => { await roleKeys() })

const nodes: TestNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.storage.stop()
    await n.dht.stop()
  }
})

/** Every acknowledged content is at its acknowledged version, and no version was acknowledged twice. */
async function expectAcksHold (reader: TestNode, acks: Array<{ content: string, metadata: UCXLMetadata }>): Promise<void> {
  const versions = acks.map(a => a.metadata.version)
  expect(new Set(versions).size).toBe(versions.length)
  const history = await reader.storage.history(ADDR)
  const byVersion = new Map(history.map(m => [m.version, m]))
  for (const ack of acks) {
    const m = byVersion.get(ack.metadata.version)
    expect(m?.hash, `version ${ack.metadata.version}`).toBe(ack.metadata.hash)
    const got = await reader.storage.retrieveUCXLContent(ADDR.replace('*^', `*~${ack.metadata.version}`), { noCache: true })
    expect(str(got.content)).toBe(ack.content)
  }
}

describe('writes that hold', () => {
  it('gives 50 parallel stores of one address on one node 50 distinct versions, each holding its own content', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    const b = await mockNode({ network })
    nodes.push(a, b)
    const contents = Array.from({ length: 50 }, (_, i) => `content ${i}`)
    const acks = await Promise.all(contents.map(async content => ({
      content,
      metadata: await a.storage.storeUCXLContent(ADDR, text(content), 'backend_developer', 'text/plain')
    })))
    expect(acks.map(x => x.metadata.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    await expectAcksHold(b, acks)
  })

  it('never acknowledges one version twice when two nodes store one address at once (25 + 25)', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    const b = await mockNode({ network })
    const c = await mockNode({ network })
    nodes.push(a, b, c)
    const writes = Array.from({ length: 50 }, (_, i) => ({ node: i % 2 === 0 ? a : b, content: `content ${i}` }))
    const results = await Promise.allSettled(writes.map(async w => ({
      content: w.content,
      metadata: await w.node.storage.storeUCXLContent(ADDR, text(w.content), 'backend_developer', 'text/plain')
    })))
    const acks = results.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
    // a store that could not claim a version says so with a named, retryable error
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason.name).toBe('VersionConflictError')
    }
    expect(acks.length).toBeGreaterThan(25)
    await a.storage.reconcile()
    await b.storage.reconcile()
    for (const reader of [a, b, c]) await expectAcksHold(reader, acks)
  })

  it('finishes a store a killed process accepted but never acknowledged', async () => {
    const network = createMockNetwork()
    const datastore = new MemoryDatastore()
    const a = await mockNode({ network, datastore })
    const b = await mockNode({ network })
    nodes.push(a, b)
    await a.storage.storeUCXLContent(ADDR, text('before'), 'backend_developer', 'text/plain')
    // what a store leaves in the datastore before its first put: the process dies here
    const ciphertext = await a.crypto.encryptUCXLContent(text('accepted, then kill -9'), 'backend_developer')
    const ledger = new WriteLedger(datastore, DEFAULT_LEDGER_PREFIX)
    const base: UCXLMetadata = {
      address: ADDR,
      creatorRole: 'backend_developer',
      encryptedFor: [...roles.recipientsFor('backend_developer')],
      contentType: 'text/plain',
      timestamp: Date.now(),
      size: text('accepted, then kill -9').byteLength,
      hash: sha256Hex(ciphertext),
      dhtPeers: [],
      replicationFactor: 3,
      version: Number.MAX_SAFE_INTEGER,
      signer: a.signer.peerId
    }
    await ledger.put({ id: ledger.newId(Date.now()), state: 'pending', metadata: base, ciphertext, at: Date.now() })

    // the restarted process: a new storage over the same datastore
    const restarted = createEncryptedStorage({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore }, { reconcileInterval: 0 })
    const published = new Promise<PublishedEventDetail>(resolve => {
      restarted.addEventListener('published', evt => { resolve(evt.detail) }, { once: true })
    })
    restarted.start()
    try {
      const detail = await published
      expect(detail.metadata.version).toBe(2)
      expect(detail.records.map(r => r.key)).toEqual([versionKey(ADDR, 2), headKey(ADDR)])
      expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('accepted, then kill -9')
      expect((await ledger.all()).filter(e => e.state === 'pending')).toEqual([])
    } finally {
      restarted.stop()
    }
  })

  it('lists every version it acknowledged, also after a restart, for replication to track', async () => {
    const datastore = new MemoryDatastore()
    const a = await mockNode({ datastore })
    nodes.push(a)
    for (const v of ['one', 'two', 'three']) await a.storage.storeUCXLContent(ADDR, text(v), 'backend_developer', 'text/plain')
    const restarted = createEncryptedStorage({ dht: a.dht, crypto: a.crypto, roles, signer: a.signer, datastore })
    const keys: string[] = []
    for await (const r of restarted.ownRecords()) keys.push(r.key)
    expect(keys.sort()).toEqual([versionKey(ADDR, 1), versionKey(ADDR, 2), versionKey(ADDR, 3), headKey(ADDR)].sort())
  })

  it('refuses to roll a held head back to an older version', async () => {
    const a = await mockNode({})
    nodes.push(a)
    await a.storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    const older = await a.dht.getValue(headKey(ADDR))
    await a.storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')
    const newer = await a.dht.getValue(headKey(ADDR))
    expect(recordReplacer(headKey(ADDR), newer, older)).toBe(false)
    expect(recordReplacer(headKey(ADDR), older, newer)).toBe(true)
    await expect(a.dht.putValue(headKey(ADDR), older)).rejects.toMatchObject({ name: 'RecordConflictError' })
    expect(decodeRecord(await a.dht.getValue(headKey(ADDR))).metadata.version).toBe(2)
  })
})
