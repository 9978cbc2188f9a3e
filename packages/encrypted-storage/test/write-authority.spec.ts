import { createWriteAuthority, generateAuthority, signCertificate, signRevocations } from '@chorus-dht/authority'
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core/memory'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chorusRecordPolicy, createEncryptedStorage, decodeRecord, encodeRecord, recordSigningBytes } from '../src/index.js'
import { cryptoFor, newSigner, roleKeys, roles, str, text } from './fixtures.js'
import type { Authority, FollowedWriteAuthority } from '@chorus-dht/authority'
import type { MockNetwork } from '@chorus-dht/hybrid-mock'
import type { DHT, RecordSigner, UCXLMetadata } from '@chorus-dht/types'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const HOUR = 3_600_000

let authority: Authority
let otherAuthority: Authority
beforeAll(async () => {
  await roleKeys()
  authority = await generateAuthority()
  otherAuthority = await generateAuthority()
})

const stops: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

interface Honest {
  signer: RecordSigner
  dht: DHT
  authority: FollowedWriteAuthority
  storage: ReturnType<typeof createEncryptedStorage>
}

async function certificate (issuer: Authority, peer: string, roleNames: string[], validity: { from?: number, until?: number } = {}): Promise<Uint8Array> {
  const now = Date.now()
  const { value } = await signCertificate(issuer.privateKey, { peer, roles: roleNames, sequence: 1, issuedAt: validity.from ?? now - HOUR, expiresAt: validity.until ?? now + HOUR })
  return value
}

/** An honest node: its DHT refuses uncertified records on the PUT path, its storage writes certified ones. */
async function honest (network: MockNetwork, roleNames: string[] = ['backend_developer']): Promise<Honest> {
  const signer = await newSigner()
  const wa = createWriteAuthority(signer.peerId, { authority: authority.id, canStore: r => roles.canStore(r) })
  if (roleNames.length > 0) await wa.addCertificate(await certificate(authority, signer.peerId, roleNames))
  const dht = mockDHT({ peerId: signer.peerId, ...chorusRecordPolicy({ writeAuthority: wa }) })({ network })
  await dht.start()
  const storage = createEncryptedStorage({ dht, crypto: await cryptoFor(['backend_developer', 'senior_architect']), roles, signer, datastore: new MemoryDatastore(), writeAuthority: wa }, { reconcileInterval: 0 })
  stops.push(async () => { storage.stop(); await dht.stop() })
  return { signer, dht, authority: wa, storage }
}

/** A hostile peer on the same network: its own DHT accepts anything, so it pushes whatever it signs to the honest peers. */
async function hostile (network: MockNetwork): Promise<{ signer: RecordSigner, dht: DHT }> {
  const signer = await newSigner()
  const dht = mockDHT({ peerId: signer.peerId, validators: { CHORUS: () => {} }, selectors: { CHORUS: () => 0 }, replacers: { CHORUS: () => true } })({ network })
  await dht.start()
  stops.push(async () => { await dht.stop() })
  return { signer, dht }
}

/** A validly signed record of `kind` for `metadata`, carrying `cert` (format 2) or none (format 1). */
async function forge (signer: RecordSigner, kind: 'head' | 'version', metadata: UCXLMetadata, ciphertext: Uint8Array, cert?: Uint8Array): Promise<{ key: string, value: Uint8Array }> {
  const key = kind === 'head' ? headKey(metadata.address) : versionKey(metadata.address, metadata.version)
  const signature = await signer.sign(recordSigningBytes(kind, key, metadata, cert))
  return { key, value: encodeRecord({ kind, key, metadata, ciphertext, signature, ...(cert != null ? { certificate: cert } : {}) }) }
}

describe('write authority every peer enforces', () => {
  it('stores certified records that every honest peer accepts, and refuses a store for a role without a certificate', async () => {
    const network = createMockNetwork()
    const a = await honest(network)
    const b = await honest(network, [])
    const stored = await a.storage.storeUCXLContent(ADDR, text('certified'), 'backend_developer', 'text/plain')
    expect(stored.dhtPeers).toEqual([b.signer.peerId])
    const record = decodeRecord(await b.dht.getValue(headKey(ADDR)))
    expect(record.certificate).toBeInstanceOf(Uint8Array)
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('certified')
    await expect(a.storage.storeUCXLContent(ADDR, text('x'), 'senior_architect', 'text/plain')).rejects.toMatchObject({ name: 'AccessDeniedError' })
  })

  it('every honest peer refuses each kind of uncertified or wrongly certified record, and honest readers are unaffected', async () => {
    const network = createMockNetwork()
    const a = await honest(network)
    const b = await honest(network)
    const attacker = await hostile(network)
    await a.storage.storeUCXLContent(ADDR, text('genuine'), 'backend_developer', 'text/plain')
    const genuine = decodeRecord(await b.dht.getValue(headKey(ADDR)))
    const base = { ...genuine.metadata, signer: attacker.signer.peerId, version: 2, timestamp: Date.now() }
    const now = Date.now()
    const cases: Array<[string, UCXLMetadata, Uint8Array | undefined]> = [
      ['no certificate', base, undefined],
      ['a certificate from another authority', base, await certificate(otherAuthority, attacker.signer.peerId, ['backend_developer'])],
      ['an expired certificate', base, await certificate(authority, attacker.signer.peerId, ['backend_developer'], { from: now - 3 * HOUR, until: now - HOUR })],
      ['a certificate for a different peer', base, await certificate(authority, a.signer.peerId, ['backend_developer'])],
      ['a read_only role storing', { ...base, creatorRole: 'observer' }, await certificate(authority, attacker.signer.peerId, ['observer'])],
      ['a creator role the certificate does not name', { ...base, creatorRole: 'admin' }, await certificate(authority, attacker.signer.peerId, ['backend_developer'])]
    ]
    for (const [what, metadata, cert] of cases) {
      for (const kind of ['version', 'head'] as const) {
        const { key, value } = await forge(attacker.signer, kind, metadata, genuine.ciphertext, cert)
        const put = await attacker.dht.putValue(key, value)
        expect(put.peers, `${what} (${kind}) accepted by`).toEqual([])
      }
    }
    for (const n of [a, b]) {
      const history = await n.storage.history(ADDR)
      expect(history.map(m => [m.version, m.signer])).toEqual([[1, a.signer.peerId]])
      expect(str((await n.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('genuine')
    }
    // honest writers are unaffected
    expect((await b.storage.storeUCXLContent(ADDR, text('next'), 'backend_developer', 'text/plain')).version).toBe(2)
  })

  it('refuses records a revoked writer makes after its revocation, keeps those made before, and the owner stores again', async () => {
    const network = createMockNetwork()
    const a = await honest(network)
    const b = await honest(network)
    const rogue = await honest(network)
    const first = await rogue.storage.storeUCXLContent(ADDR, text('before the revocation'), 'backend_developer', 'text/plain')
    const { value: list } = await signRevocations(authority.privateKey, { generation: 1, revoked: [{ peer: rogue.signer.peerId, at: Date.now() }] })
    for (const n of [a, b, rogue]) expect(await n.authority.setRevocations(list)).toBe(true)
    // an older list never replaces a newer one
    const { value: older } = await signRevocations(authority.privateKey, { generation: 1, revoked: [] })
    expect(await a.authority.setRevocations(older)).toBe(false)

    const genuine = decodeRecord(await b.dht.getValue(versionKey(ADDR, 1)))
    const after = { ...genuine.metadata, version: 2, timestamp: Date.now() + 1 }
    const cert = rogue.authority.certificateFor('backend_developer')!
    const attacker = await hostile(network)
    for (const kind of ['version', 'head'] as const) {
      const { key, value } = await forge(rogue.signer, kind, after, genuine.ciphertext, cert)
      expect((await attacker.dht.putValue(key, value)).peers, `${kind} after the revocation`).toEqual([])
    }
    // made before the revocation: still valid
    expect(str((await a.storage.retrieveUCXLContent(ADDR.replace('*^', '*~1'), { noCache: true })).content)).toBe('before the revocation')
    expect(first.version).toBe(1)
    const next = await a.storage.storeUCXLContent(ADDR, text('the owner again'), 'backend_developer', 'text/plain')
    expect(next.version).toBe(2)
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { noCache: true })).content)).toBe('the owner again')
  })

  it('a certified writer cannot rewrite history with a back-dated version record (timestamp 0), and reconcile spreads nothing', async () => {
    const network = createMockNetwork()
    const a = await honest(network)
    const b = await honest(network)
    await a.storage.storeUCXLContent(ADDR, text('genuine version 1'), 'backend_developer', 'text/plain')
    const genuine = decodeRecord(await b.dht.getValue(versionKey(ADDR, 1)))
    const attacker = await hostile(network)
    const cert = await certificate(authority, attacker.signer.peerId, ['backend_developer'])
    // the selector prefers the earlier timestamp: without the certificate's validity window this would win
    const rewrite = await forge(attacker.signer, 'version', { ...genuine.metadata, signer: attacker.signer.peerId, timestamp: 0 }, genuine.ciphertext, cert)
    expect((await attacker.dht.putValue(rewrite.key, rewrite.value)).peers).toEqual([])
    expect(await a.storage.reconcile()).toEqual([])
    for (const n of [a, b]) {
      const v1 = decodeRecord(await n.dht.getValue(versionKey(ADDR, 1)))
      expect(v1.metadata.signer).toBe(a.signer.peerId)
      expect(str((await n.storage.retrieveUCXLContent(ADDR.replace('*^', '*~1'), { noCache: true })).content)).toBe('genuine version 1')
    }
  })

  it('a certified writer cannot end an address with a huge head version, nor roll a head back by replay', async () => {
    const network = createMockNetwork()
    const a = await honest(network)
    const b = await honest(network)
    await a.storage.storeUCXLContent(ADDR, text('one'), 'backend_developer', 'text/plain')
    const oldHead = await b.dht.getValue(headKey(ADDR))
    await a.storage.storeUCXLContent(ADDR, text('two'), 'backend_developer', 'text/plain')
    const attacker = await hostile(network)
    const cert = await certificate(authority, attacker.signer.peerId, ['backend_developer'])
    const head = decodeRecord(oldHead)
    const squat = await forge(attacker.signer, 'head', { ...head.metadata, signer: attacker.signer.peerId, version: Number.MAX_SAFE_INTEGER, timestamp: Date.now() }, head.ciphertext, cert)
    expect((await attacker.dht.putValue(squat.key, squat.value)).peers).toEqual([])
    expect((await attacker.dht.putValue(headKey(ADDR), oldHead)).peers).toEqual([])
    for (const n of [a, b]) {
      expect((await n.storage.history(ADDR)).map(m => m.version)).toEqual([1, 2])
    }
    expect((await b.storage.storeUCXLContent(ADDR, text('three'), 'backend_developer', 'text/plain')).version).toBe(3)
  })

  it('without an authority, records of format 1 are accepted as before', async () => {
    const network = createMockNetwork()
    const signer = await newSigner()
    const dht = mockDHT({ peerId: signer.peerId, ...chorusRecordPolicy() })({ network })
    await dht.start()
    const storage = createEncryptedStorage({ dht, crypto: await cryptoFor(['backend_developer']), roles, signer, datastore: new MemoryDatastore() })
    stops.push(async () => { await dht.stop() })
    await storage.storeUCXLContent(ADDR, text('plain'), 'backend_developer', 'text/plain')
    const record = decodeRecord(await dht.getValue(headKey(ADDR)))
    expect(record.certificate).toBeUndefined()
  })
})
