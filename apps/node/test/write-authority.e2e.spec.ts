/**
 * Write authority every peer enforces: one authority, node processes over
 * TCP. Certified nodes write; a node without a certificate cannot; a stock
 * `@libp2p/kad-dht` node pushing records without, with foreign, for other
 * peers', expired or read-only certificates, a head far in the future and a
 * replayed head changes nothing any honest reader sees; after a revocation
 * no honest node accepts the revoked peer's new records, and its older ones
 * stay readable.
 */
// first: the Node 20 shim libp2p needs (Promise.withResolvers)
import '@chorus-dht/dht-core/polyfill'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { certificateKey, generateAuthority, importAuthorityKey, signCertificate } from '@chorus-dht/authority'
import { decodeRecord, encodeRecord, recordSigningBytes, sha256Hex, signerFromPrivateKey } from '@chorus-dht/encrypted-storage'
import { headKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataDirLayout, ensureDataDir, loadOrCreatePeerKey } from '../src/data-dir.js'
import { joinStockNode, stockGet as sharedStockGet } from './stock-node.js'
import type { StockNode } from './stock-node.js'
import { enc, getJson, killAll, runCli, startNode, stopNode, waitFor } from './helpers.js'
import type { TestNode } from './helpers.js'
import type { ChorusRecord } from '@chorus-dht/encrypted-storage'
import type { PrivateKey } from '@libp2p/interface'

const PASSPHRASE = 'correct horse battery staple'
const AUTH_ENV = { CHORUS_AUTHORITY_PASSPHRASE: PASSPHRASE }
const ADDRESS = 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api'
const FRESH = 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/forged'
const BY_B = 'ucxl://agent2:backend_developer@proj:task1/*^/decisions/by-b'
const encoder = new TextEncoder()
const DAY = 86_400_000

let root: string
let authDir: string
let authorityId: string
let a: TestNode
let b: TestNode
let c: TestNode
let stockKey: PrivateKey
let stock: StockNode

const stockGet = async (key: string): Promise<Uint8Array> => await sharedStockGet(stock, key)

/** PUT_VALUE to every peer the stock node knows; the honest peers' refusals are expected. */
async function stockPut (key: string, value: Uint8Array): Promise<void> {
  try {
    for await (const _ of stock.services.dht.put(encoder.encode(key), value, { signal: AbortSignal.timeout(20_000) })) {
      // drain
    }
  } catch {
    // a put every honest peer refuses ends in an error; what they hold is checked below
  }
}

async function admin (args: string[]): Promise<any> {
  const r = await runCli(['authority', ...args, '--dir', authDir, '--json'], AUTH_ENV)
  expect(r.code, `authority ${args.join(' ')}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout)
}

async function authority (node: TestNode): Promise<any> {
  return (await getJson(`${node.api}/authority`)).body.response.data
}

async function recipientOf (node: TestNode): Promise<string> {
  return (await getJson(`${node.api}/status`)).body.response.data.node_recipient
}

async function put (node: TestNode, address: string, body: string, role = 'backend_developer'): Promise<{ status: number, body: any }> {
  const res = await fetch(`${node.api}/ucxl/${enc(address)}`, { method: 'PUT', body, headers: { 'content-type': 'text/plain', 'x-chorus-role': role } })
  return { status: res.status, body: await res.json() }
}

async function read (node: TestNode, address: string, role: string): Promise<{ status: number, version: string | null, body: string }> {
  const res = await fetch(`${node.api}/ucxl/${enc(address)}?raw=true`, { headers: { 'x-chorus-role': role } })
  return { status: res.status, version: res.headers.get('x-ucxl-version'), body: await res.text() }
}

async function history (node: TestNode, address: string): Promise<Array<[number, string]>> {
  const r = await getJson(`${node.api}/ucxl/${enc(address)}/history`, { 'x-chorus-role': 'admin' })
  return r.body.response.data.versions.map((v: any) => [v.version, v.signer])
}

/** `chorus_storage_rejected_records_total` of a node, by reason. */
async function rejected (node: TestNode): Promise<Record<string, number>> {
  const text = await (await fetch(`${node.api}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^chorus_storage_rejected_records_total\{reason="([^"]+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2])
  return out
}

/** A head (or version) record signed by `key`, carrying `certificate` (none: format 1). */
async function forge (base: ChorusRecord, key: PrivateKey, changes: { version?: number, creatorRole?: string, timestamp?: number, address?: string }, certificate?: Uint8Array): Promise<{ key: string, value: Uint8Array }> {
  const signer = signerFromPrivateKey(key)
  const ciphertext = encoder.encode(`age-encryption.org/v1 forged ${Math.random()}`)
  const metadata = {
    ...base.metadata,
    ...changes,
    signer: signer.peerId,
    hash: sha256Hex(ciphertext),
    timestamp: changes.timestamp ?? Date.now(),
    dhtPeers: []
  }
  const k = headKey(metadata.address)
  const signature = await signer.sign(recordSigningBytes('head', k, metadata, certificate))
  return { key: k, value: encodeRecord({ kind: 'head', key: k, metadata, ciphertext, signature, ...(certificate != null ? { certificate } : {}) }) }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-write-authority-e2e-'))
  authDir = join(root, 'authority')
  const init = await runCli(['authority', 'init', '--dir', authDir, '--work-factor', '10', '--json'], AUTH_ENV)
  expect(init.code, init.stderr).toBe(0)
  authorityId = JSON.parse(init.stdout).authority
  const env = { CHORUS_AUTHORITY_REFRESH_INTERVAL: '2s', CHORUS_AUTHORITY: authorityId }
  a = await startNode(join(root, 'a'), [], env)
  ;[b, c] = await Promise.all([
    startNode(join(root, 'b'), ['--bootstrap', a.multiaddr], env),
    startNode(join(root, 'c'), ['--bootstrap', a.multiaddr], env)
  ])
  stockKey = await generateKeyPair('Ed25519')
  stock = await joinStockNode([a, b, c], stockKey)

  await admin(['roles', 'publish', '--api', a.api])
  await admin(['grant', '--peer', a.peerId, '--to', await recipientOf(a), '--role', 'backend_developer', '--api', a.api])
  await admin(['grant', '--peer', b.peerId, '--to', await recipientOf(b), '--role', 'backend_developer', '--api', a.api])
  await admin(['grant', '--peer', b.peerId, '--to', await recipientOf(b), '--role', 'qa_engineer', '--api', a.api])
  await admin(['grant', '--peer', c.peerId, '--to', await recipientOf(c), '--role', 'qa_engineer', '--api', a.api])
  const issuedA = await admin(['issue', '--peer', a.peerId, '--role', 'backend_developer', '--expires', '1d', '--api', a.api])
  expect(issuedA).toMatchObject({ peer: a.peerId, roles: ['backend_developer'], sequence: 1 })
  await admin(['issue', '--peer', b.peerId, '--role', 'backend_developer', '--role', 'qa_engineer', '--expires', '1d', '--api', b.api])
  for (const [n, roles, cert] of [[a, ['backend_developer'], ['backend_developer']], [b, ['backend_developer', 'qa_engineer'], ['backend_developer', 'qa_engineer']], [c, ['qa_engineer'], null]] as const) {
    await waitFor(async () => {
      const s = await authority(n)
      if ((s.directory?.generation ?? 0) < 1) return false
      for (const role of roles) if (!(s.grants.find((g: any) => g.role === role)?.held_identities >= 1)) return false
      if (cert != null && JSON.stringify(s.certificate?.roles) !== JSON.stringify(cert)) return false
      return true
    }, `${n.peerId} to hold the directory, its grants and its certificate`, 60_000)
  }
}, 240_000)

afterAll(async () => {
  await stock?.stop()
  await killAll()
  if (root != null) await rm(root, { recursive: true, force: true })
})

describe('write authority every peer enforces', { timeout: 240_000 }, () => {
  it('certified nodes write and others read; a node without a certificate cannot write', async () => {
    const s = await authority(a)
    expect(s.certificate).toMatchObject({ sequence: 1, roles: ['backend_developer'], expired: false, revoked: false })
    expect(Date.parse(s.certificate.expires_at) - Date.now()).toBeGreaterThan(DAY - 600_000)
    expect(s.revocations).toEqual({ generation: 0, revoked: [] })
    expect((await authority(c)).certificate).toBeNull()

    const stored = await put(a, ADDRESS, 'use gRPC')
    expect(stored.status, JSON.stringify(stored.body)).toBe(201)
    // on the wire: format 2, carrying A's certificate
    const head = await stockGet(headKey(ADDRESS))
    expect(head[0]).toBe(2)
    expect(decodeRecord(head).certificate).toBeDefined()

    const fromB = await waitFor(async () => { const r = await read(b, ADDRESS, 'backend_developer'); return r.status === 200 ? r : undefined }, 'B to read')
    expect(fromB.body).toBe('use gRPC')
    const fromC = await waitFor(async () => { const r = await read(c, ADDRESS, 'qa_engineer'); return r.status === 200 ? r : undefined }, 'C to read')
    expect(fromC.body).toBe('use gRPC')

    const refused = await put(c, ADDRESS, 'C was here')
    expect(refused.status).toBe(403)
    expect(refused.body.error.details).toMatchObject({ error: 'AccessDeniedError', reason: 'no-certificate', role: 'backend_developer' })
    // B holds no certificate for senior_architect either
    expect((await put(b, ADDRESS, 'B as architect', 'senior_architect')).status).toBe(403)
  })

  it('a stock kad-dht node pushing forged, uncertified and replayed records changes nothing readers see', async () => {
    const v1Head = await stockGet(headKey(ADDRESS))
    expect(decodeRecord(v1Head).metadata.version).toBe(1)
    expect((await put(a, ADDRESS, 'use gRPC, v2')).status).toBe(201)
    const genuine = decodeRecord(await stockGet(headKey(ADDRESS)))
    expect(genuine.metadata.version).toBe(2)
    for (const n of [b, c]) {
      await waitFor(async () => (await history(n, ADDRESS)).length === 2, `${n.peerId} to see version 2`)
    }
    const before = await Promise.all([a, b, c].map(async n => await rejected(n)))

    const attacker = stock.peerId.toString()
    const genuineKey = await importAuthorityKey(await readFile(join(authDir, 'authority.age')), PASSPHRASE)
    const other = await generateAuthority()
    // a valid certificate for the attacker's own peer id, issued offline
    const certFile = join(root, 'attacker.cert')
    await admin(['issue', '--peer', attacker, '--role', 'backend_developer', '--expires', '1d', '--out', certFile])
    const attackerCert = new Uint8Array(await readFile(certFile))
    const foreignCert = (await signCertificate(other.privateKey, { peer: attacker, roles: ['backend_developer'], sequence: 1, expiresAt: Date.now() + DAY })).value
    const certOfA = await stockGet(certificateKey(authorityId, a.peerId))
    const expiredCert = (await signCertificate(genuineKey.privateKey, { peer: attacker, roles: ['backend_developer'], sequence: 2, issuedAt: Date.now() - 2 * 3_600_000, expiresAt: Date.now() - 3_600_000 })).value
    const observerCert = (await signCertificate(genuineKey.privateKey, { peer: attacker, roles: ['observer'], sequence: 3, expiresAt: Date.now() + DAY })).value

    const forged = [
      await forge(genuine, stockKey, { version: 3 }),
      await forge(genuine, stockKey, { version: 1, address: FRESH }),
      await forge(genuine, stockKey, { version: 3 }, foreignCert),
      await forge(genuine, stockKey, { version: 3 }, certOfA),
      await forge(genuine, stockKey, { version: 3 }, expiredCert),
      await forge(genuine, stockKey, { version: 3, creatorRole: 'observer' }, observerCert),
      { key: headKey(ADDRESS), value: v1Head },
      // validly certified, but far past the head every honest node holds; pushed last, so the stock node serves it
      await forge(genuine, stockKey, { version: Number.MAX_SAFE_INTEGER }, attackerCert)
    ]
    for (const f of forged) await stockPut(f.key, f.value)

    const expected = ['certificate-missing', 'certificate-foreign-authority', 'certificate-wrong-peer', 'certificate-expired', 'certificate-read-only', 'stale-head', 'head-jump']
    for (const [i, n] of [a, b, c].entries()) {
      const counts = await waitFor(async () => {
        const now = await rejected(n)
        return expected.every(r => (now[r] ?? 0) > (before[i][r] ?? 0)) ? now : undefined
      }, `${n.peerId} to count every kind of refused record`)
      expect(Object.keys(counts)).toEqual(expect.arrayContaining(expected))
    }
    const metrics = await (await fetch(`${b.api}/metrics`)).text()
    expect(metrics).toMatch(/^# TYPE chorus_storage_rejected_records_total counter$/m)
    expect(metrics).toMatch(/^chorus_storage_rejected_records_total\{reason="certificate-missing"\} [1-9]\d*$/m)
    expect((await getJson(`${b.api}/status`)).body.response.data.storage.rejected_records['certificate-wrong-peer']).toBeGreaterThan(0)

    for (const n of [a, b, c]) {
      expect(await history(n, ADDRESS), `history on ${n.peerId}`).toEqual([[1, a.peerId], [2, a.peerId]])
      const role = n === c ? 'qa_engineer' : 'backend_developer'
      expect(await read(n, ADDRESS.replace('*^', '*~2'), role)).toMatchObject({ status: 200, version: '2', body: 'use gRPC, v2' })
      expect(await read(n, ADDRESS.replace('*^', '*~1'), role)).toMatchObject({ status: 200, version: '1', body: 'use gRPC' })
      expect((await read(n, FRESH, role)).status, `the uncertified address on ${n.peerId}`).toBe(404)
    }
    // the network goes on: A's next version is 3, as every honest node expected
    const next = await put(a, ADDRESS, 'use gRPC, v3')
    expect(next.status).toBe(201)
    expect(next.body.response.data.version).toBe(3)
    await waitFor(async () => { const r = await read(c, ADDRESS.replace('*^', '*~3'), 'qa_engineer'); return r.status === 200 && r.body === 'use gRPC, v3' }, 'C to read version 3')
  })

  it('after authority revoke, no honest node accepts the revoked peer\'s new records; its old ones stay readable', async () => {
    const stored = await put(b, BY_B, 'written by B before its revocation')
    expect(stored.status, JSON.stringify(stored.body)).toBe(201)
    for (const n of [a, c]) {
      await waitFor(async () => (await read(n, BY_B, n === c ? 'qa_engineer' : 'backend_developer')).status === 200, `${n.peerId} to read B's record`)
    }
    const revoked = await admin(['revoke', '--peer', b.peerId, '--api', a.api])
    expect(revoked).toMatchObject({ peer: b.peerId, generation: 1 })
    for (const n of [a, b, c]) {
      await waitFor(async () => (await authority(n)).revocations.generation === 1, `${n.peerId} to apply the revocation list`, 60_000)
    }
    expect((await authority(b)).certificate.revoked).toBe(true)
    const before = await Promise.all([a, b, c].map(async n => await rejected(n)))

    // B itself: its own validator refuses what it would write now
    const refused = await put(b, BY_B, 'written by B after its revocation')
    expect(refused.status, JSON.stringify(refused.body)).toBe(403)
    expect(refused.body.error.details).toMatchObject({ error: 'CertificateError', reason: 'revoked' })

    // B's key, B's valid certificate, a record made after the revocation, pushed by the stock node
    const bKey = await loadOrCreatePeerKey(dataDirLayout(b.dataDir).peerKey)
    expect(bKey.peerId).toBe(b.peerId)
    const genuine = decodeRecord(await stockGet(headKey(BY_B)))
    const certOfB = await stockGet(certificateKey(authorityId, b.peerId))
    const late = await forge(genuine, bKey.privateKey, { version: 2 }, certOfB)
    await stockPut(late.key, late.value)
    for (const [i, n] of [a, b, c].entries()) {
      await waitFor(async () => ((await rejected(n))['certificate-revoked'] ?? 0) > (before[i]['certificate-revoked'] ?? 0), `${n.peerId} to refuse B's record`)
    }
    for (const n of [a, c]) {
      expect(await history(n, BY_B), `history on ${n.peerId}`).toEqual([[1, b.peerId]])
      const r = await read(n, BY_B.replace('*^', '*~1'), n === c ? 'qa_engineer' : 'backend_developer')
      expect(r).toMatchObject({ status: 200, body: 'written by B before its revocation' })
    }

    // A goes on writing; re-issuing to the revoked peer is refused by the operator's tool
    const again = await put(a, ADDRESS, 'use gRPC, v4')
    expect(again.status).toBe(201)
    expect(again.body.response.data.version).toBe(4)
    await waitFor(async () => { const r = await read(b, ADDRESS.replace('*^', '*~4'), 'backend_developer'); return r.status === 200 && r.body === 'use gRPC, v4' }, 'B to read version 4')
    const reissue = await runCli(['authority', 'issue', '--dir', authDir, '--peer', b.peerId, '--role', 'backend_developer', '--expires', '1d', '--api', a.api], AUTH_ENV)
    expect(reissue.code).toBe(2)
    expect(reissue.stderr).toMatch(/was revoked/)
  })

  it('a certificate file lets a node write that was never issued one through the DHT; a restart without the network still writes', async () => {
    // D's peer key made before D first starts, so its certificate can be issued offline
    const dDir = join(root, 'd')
    await ensureDataDir(dataDirLayout(dDir))
    const dKey = await loadOrCreatePeerKey(dataDirLayout(dDir).peerKey)
    const certFile = join(root, 'd.cert')
    const issued = await admin(['issue', '--peer', dKey.peerId, '--role', 'backend_developer', '--expires', '2h', '--out', certFile])
    expect(issued.key).toBe(certificateKey(authorityId, dKey.peerId))
    const d = await startNode(dDir, ['--bootstrap', a.multiaddr, '--certificate', certFile], { CHORUS_AUTHORITY: authorityId, CHORUS_AUTHORITY_REFRESH_INTERVAL: '2s' })
    expect(d.peerId).toBe(dKey.peerId)
    await waitFor(async () => (await authority(d)).directory?.generation === 1, 'D to hold the directory')
    expect((await authority(d)).certificate).toMatchObject({ sequence: 1, roles: ['backend_developer'] })
    const fromD = 'ucxl://agent4:backend_developer@proj:task1/*^/decisions/by-d'
    const stored = await put(d, fromD, 'written by D')
    expect(stored.status, JSON.stringify(stored.body)).toBe(201)
    await waitFor(async () => { const r = await read(a, fromD, 'backend_developer'); return r.status === 200 && r.body === 'written by D' }, 'A to read D\'s record')

    // D alone, no bootstrap and no certificate file: what it applied was persisted
    await stopNode(d)
    const alone = await startNode(dDir, [], { CHORUS_AUTHORITY: authorityId })
    expect((await authority(alone)).certificate).toMatchObject({ sequence: 1, roles: ['backend_developer'] })
    expect((await authority(alone)).revocations.generation).toBe(1)
    const offline = await put(alone, 'ucxl://agent4:backend_developer@proj:task1/*^/decisions/offline', 'written offline')
    expect(offline.status, JSON.stringify(offline.body)).toBe(201)
    await stopNode(alone)
  })
})
