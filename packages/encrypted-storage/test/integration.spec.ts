import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createChorusDHT } from '@chorus-dht/dht-core'
import { createTestNetwork, TEST_NODE_DEFAULTS, waitForRoutingTables } from '@chorus-dht/dht-core/testing'
import { headKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  chorusRecordPolicy,
  createEncryptedStorage,
  decodeRecord,
  encodeRecord,
  fileAuditSink,
  memoryAuditSink,
  recordSelector,
  recordSigningBytes,
  signerFromPrivateKey
} from '../src/index.js'
import { cryptoFor, roleKeys, roles, str, text } from './fixtures.js'
import type { EncryptedStorage } from '../src/index.js'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'
import type { RecordSigner } from '@chorus-dht/types'

const N = 10
/** The roles each node holds identities for; the rest hold backend_developer. */
const HELD: Record<number, string[]> = { 7: ['frontend_developer'], 9: ['admin'] }

let net: TestNetwork
let keys: Awaited<ReturnType<typeof generateKeyPair>>[]
const storages: EncryptedStorage[] = []
const signers: RecordSigner[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-int-'))
  await roleKeys()
  keys = await Promise.all(Array.from({ length: N }, async () => generateKeyPair('Ed25519')))
  net = await createTestNetwork(N, chorusRecordPolicy(), { components: (i) => ({ privateKey: keys[i] }) })
  for (let i = 0; i < N; i++) {
    const signer = signerFromPrivateKey(keys[i])
    expect(signer.peerId).toBe(net.nodes[i].peerId)
    signers.push(signer)
    storages.push(createEncryptedStorage({
      dht: net.nodes[i],
      crypto: await cryptoFor(HELD[i] ?? ['backend_developer']),
      roles,
      signer,
      datastore: new MemoryDatastore(),
      audit: memoryAuditSink()
    }, { reconcileInterval: 0 }))
  }
})

afterAll(async () => {
  for (const s of storages) s.stop()
  await net?.stop()
  await rm(dir, { recursive: true, force: true })
})

const addr = (path: string): string => `ucxl://agent001:backend_developer@project123:task456/*^/${path}`

describe('encrypted storage on a 10-node dht-core memory network', () => {
  it('stores on one node and retrieves on another with a reader role; refuses the wrong role', async () => {
    const address = addr('decision')
    const stored = await storages[0].storeUCXLContent(address, text('use postgres'), 'backend_developer', 'text/plain')
    expect(stored.version).toBe(1)
    expect(stored.dhtPeers.length).toBeGreaterThan(0)

    const got = await storages[5].retrieveUCXLContent(address)
    expect(str(got.content)).toBe('use postgres')
    expect(got).toMatchObject({ fromCache: false, metadata: { signer: signers[0].peerId, creatorRole: 'backend_developer' } })
    expect(str((await storages[9].retrieveUCXLContent(address)).content)).toBe('use postgres') // admin reads everything
    await expect(storages[7].retrieveUCXLContent(address)).rejects.toThrow(expect.objectContaining({ name: 'AccessDeniedError' }))
  })

  it('navigates versions written on one node from another', async () => {
    const address = addr('versions')
    for (const v of ['v1', 'v2', 'v3']) await storages[1].storeUCXLContent(address, text(v), 'backend_developer', 'text/plain')
    const reader = storages[4]
    const at = async (t: string): Promise<string> => str((await reader.retrieveUCXLContent(address.replace('*^', t))).content)
    expect(await at('*^')).toBe('v3')
    expect(await at('*~')).toBe('v1')
    expect(await at('*~2')).toBe('v2')
    expect(await at('~~2')).toBe('v1')
    expect(await at('^^1')).toBe('v2')
    expect((await reader.history(address)).map(m => [m.version, m.signer])).toEqual([1, 2, 3].map(v => [v, signers[1].peerId]))
  })

  it('converges when two nodes write the same address at once', async () => {
    const address = addr('race')
    await Promise.all([
      storages[3].storeUCXLContent(address, text('from 3'), 'backend_developer', 'text/plain'),
      storages[6].storeUCXLContent(address, text('from 6'), 'backend_developer', 'text/plain')
    ])
    await storages[3].reconcile()
    await storages[6].reconcile()
    const history = await storages[8].history(address)
    expect(history.map(m => m.version)).toEqual([1, 2])
    expect(history.map(m => m.signer).sort()).toEqual([signers[3].peerId, signers[6].peerId].sort())
    expect((await storages[0].history(address)).map(m => [m.version, m.signer])).toEqual(history.map(m => [m.version, m.signer]))
  })

  it('rejects a forged record injected by a peer everywhere', async () => {
    const address = addr('forged')
    await storages[2].storeUCXLContent(address, text('genuine'), 'backend_developer', 'text/plain')
    const key = headKey(address)
    const genuine = await net.nodes[2].getValue(key)

    // a peer that validates nothing joins and pushes records of its own
    const rogueKey = await generateKeyPair('Ed25519')
    const rogue: ChorusDHT = await createChorusDHT({
      ...TEST_NODE_DEFAULTS,
      validators: { CHORUS: () => {} },
      selectors: { CHORUS: recordSelector }
    }, { privateKey: rogueKey })
    try {
      await rogue.libp2p.dial(net.nodes[0].libp2p.getMultiaddrs()[0])
      await rogue.libp2p.dial(net.nodes[5].libp2p.getMultiaddrs()[0])
      await waitForRoutingTables([rogue], 2)
      const record = decodeRecord(genuine)
      // 1. a newer version with another ciphertext, re-using the genuine signature
      const forgedCiphertext = await (await cryptoFor(['backend_developer'])).encryptUCXLContent(text('forged'), 'backend_developer')
      const tampered = encodeRecord({ ...record, metadata: { ...record.metadata, version: 9 }, ciphertext: forgedCiphertext })
      // 2. a record properly signed by the rogue, but claiming the genuine node as signer
      const metadata = { ...record.metadata, version: 10, timestamp: Date.now() }
      const impersonation = encodeRecord({ ...record, metadata, signature: await signerFromPrivateKey(rogueKey).sign(recordSigningBytes('head', key, metadata)) })
      for (const forged of [tampered, impersonation]) {
        // the rogue keeps it, every honest peer it reaches refuses it
        const put = await rogue.putValue(key, forged)
        expect(put.remotePeers).toBe(0)
        expect(await rogue.getValueFromPeer(rogue.peerId, key)).toEqual(forged)
      }
      for (let i = 0; i < N; i++) {
        expect(await net.nodes[i].getValueFromPeer(net.nodes[i].peerId, key)).toSatisfy((v: Uint8Array | undefined) =>
          v == null || Buffer.from(v).equals(Buffer.from(genuine)))
      }
      for (const i of [0, 3, 5, 8]) {
        const got = await storages[i].retrieveUCXLContent(address, { noCache: true })
        expect(str(got.content)).toBe('genuine')
        expect(got.metadata.version).toBe(1)
      }
    } finally {
      await rogue.stop()
    }
  })

  it('keeps the index and the audit trail across a restart, and the verifier catches tampering', async () => {
    const datastore = new MemoryDatastore()
    const path = join(dir, 'audit.jsonl')
    const make = (): { storage: EncryptedStorage, audit: ReturnType<typeof fileAuditSink> } => {
      const audit = fileAuditSink(path)
      const storage = createEncryptedStorage({ dht: net.nodes[3], crypto: storagesCrypto, roles, signer: signers[3], datastore, audit }, { reconcileInterval: 0 })
      return { storage, audit }
    }
    const storagesCrypto = await cryptoFor(['backend_developer'])
    const first = make()
    first.storage.start()
    await first.storage.storeUCXLContent(addr('kept'), text('kept'), 'backend_developer', 'application/json')
    await first.storage.retrieveUCXLContent(addr('decision'))
    first.storage.stop()
    await first.audit.close()

    const second = make()
    second.storage.start()
    const listed = await second.storage.searchContent({ agent: 'agent001' })
    expect(listed.map(m => m.address).sort()).toEqual([addr('decision'), addr('kept')])
    expect((await second.storage.listContentByRole('backend_developer', { limit: 1 }))).toHaveLength(1)
    await second.storage.announceContent(addr('kept'))
    second.storage.stop()
    await second.audit.close()

    const trail = fileAuditSink(path)
    expect((await trail.read()).map(e => [e.operation, e.address, e.success])).toEqual([
      ['store', addr('kept'), true],
      ['retrieve', addr('decision'), true],
      ['announce', addr('kept'), true]
    ])
    expect(await trail.verify()).toEqual({ valid: true, entries: 3 })
    const lines = (await readFile(path, 'utf8')).split('\n')
    await writeFile(path, lines.join('\n').replace('"success":true', '"success":false'))
    expect(await trail.verify()).toMatchObject({ valid: false, line: 2 })
  })
})
