/**
 * Role keys across the network: one authority, three node processes with
 * their own keystores. The authority publishes the role directory and
 * grants roles to nodes; nodes read each other's content by role, a
 * rotation after an ungrant shuts the old holder out of new content only,
 * and forged or replayed authority records change nothing.
 */
// first: the Node 20 shim libp2p needs (Promise.withResolvers)
import '@chorus-dht/dht-core/polyfill'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { directoryKey, generateAuthority, grantKey, importAuthorityKey, signDirectory, signGrant } from '@chorus-dht/authority'
import { decodeRecord } from '@chorus-dht/encrypted-storage'
import { versionKey } from '@chorus-dht/ucxl'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinStockNode, stockGet as sharedStockGet } from './stock-node.js'
import type { StockNode } from './stock-node.js'
import { enc, getJson, killAll, runCli, startNode, waitFor } from './helpers.js'
import type { TestNode } from './helpers.js'

const exec = promisify(execFile)
const PASSPHRASE = 'correct horse battery staple'
const AUTH_ENV = { CHORUS_AUTHORITY_PASSPHRASE: PASSPHRASE }
const BEFORE = 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/before'
const AFTER = 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/after'
const encoder = new TextEncoder()

let root: string
let authDir: string
let authorityId: string
let a: TestNode
let b: TestNode
let c: TestNode
let stock: StockNode
const before = new Uint8Array(randomBytes(3000))

const stockGet = async (key: string): Promise<Uint8Array> => await sharedStockGet(stock, key)

async function stockPut (key: string, value: Uint8Array): Promise<void> {
  for await (const _ of stock.services.dht.put(encoder.encode(key), value, { signal: AbortSignal.timeout(20_000) })) {
    // drain
  }
}

async function authority (node: TestNode): Promise<any> {
  return (await getJson(`${node.api}/authority`)).body.response.data
}

async function admin (args: string[]): Promise<any> {
  const r = await runCli(['authority', ...args, '--dir', authDir, '--json'], AUTH_ENV)
  expect(r.code, `authority ${args.join(' ')}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout)
}

async function recipientOf (node: TestNode): Promise<string> {
  return (await getJson(`${node.api}/status`)).body.response.data.node_recipient
}

async function put (node: TestNode, address: string, body: Uint8Array, role: string): Promise<Response> {
  return await fetch(`${node.api}/ucxl/${enc(address)}`, { method: 'PUT', body: Buffer.from(body), headers: { 'content-type': 'application/octet-stream', 'x-chorus-role': role } })
}

async function read (node: TestNode, address: string, role: string): Promise<{ status: number, body: Buffer }> {
  const res = await fetch(`${node.api}/ucxl/${enc(address)}?raw=true`, { headers: { 'x-chorus-role': role } })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

/** Waits until `node` holds at least `generation` of the directory and the grant of each role is applied. */
async function synced (node: TestNode, generation: number, grants: Record<string, (g: any) => boolean> = {}): Promise<any> {
  return await waitFor(async () => {
    const s = await authority(node)
    if ((s.directory?.generation ?? 0) < generation) return false
    for (const [role, ok] of Object.entries(grants)) {
      const g = s.grants.find((x: any) => x.role === role)
      if (g == null || !ok(g)) return false
    }
    return s
  }, `${node.peerId} to hold directory generation ${generation} and grants ${Object.keys(grants).join(', ')}`, 60_000)
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-authority-e2e-'))
  authDir = join(root, 'authority')
  const init = await runCli(['authority', 'init', '--dir', authDir, '--work-factor', '10', '--json'], AUTH_ENV)
  expect(init.code, init.stderr).toBe(0)
  authorityId = JSON.parse(init.stdout).authority
  const env = { CHORUS_AUTHORITY_REFRESH_INTERVAL: '2s' }
  a = await startNode(join(root, 'a'), ['--authority', authorityId], env)
  ;[b, c] = await Promise.all([
    startNode(join(root, 'b'), ['--authority', authorityId, '--bootstrap', a.multiaddr], env),
    startNode(join(root, 'c'), ['--bootstrap', a.multiaddr], { ...env, CHORUS_AUTHORITY: authorityId })
  ])
  stock = await joinStockNode([a, b, c])
}, 180_000)

afterAll(async () => {
  await stock?.stop()
  await killAll()
  if (root != null) await rm(root, { recursive: true, force: true })
})

describe('role keys across the network', { timeout: 180_000 }, () => {
  it('roles read each other\'s content once the directory is published and roles are granted', async () => {
    // every record carries a certificate under an authority (write-authority.e2e.spec.ts): A writes as backend_developer
    await admin(['issue', '--peer', a.peerId, '--role', 'backend_developer', '--expires', '1d', '--api', a.api])
    await waitFor(async () => (await authority(a)).certificate?.roles?.includes('backend_developer') === true, 'A to hold its certificate')
    // no directory yet: a reader role has no recipient, so the store is refused
    const early = await put(a, BEFORE, before, 'backend_developer')
    expect(early.status).toBe(503)
    const earlyBody: any = await early.json()
    expect(earlyBody.error.details).toMatchObject({ error: 'MissingRecipientError', role: expect.any(String) })

    const status = (await getJson(`${a.api}/status`)).body.response.data
    expect(status.authority).toMatchObject({ id: authorityId, directory_generation: 0, certificate: { roles: ['backend_developer'] }, revocations: { generation: 0 } })
    expect(status.node_recipient).toMatch(/^age1/)
    const cliStatus = await runCli(['status', '--api', b.api])
    expect(JSON.parse(cliStatus.stdout).node_recipient).toBe(await recipientOf(b))

    const published = await admin(['roles', 'publish', '--api', a.api])
    expect(published.generation).toBe(1)
    await admin(['grant', '--peer', a.peerId, '--to', await recipientOf(a), '--role', 'backend_developer', '--api', a.api])
    await admin(['grant', '--peer', b.peerId, '--to', await recipientOf(b), '--role', 'qa_engineer', '--api', a.api])
    await admin(['grant', '--peer', c.peerId, '--to', await recipientOf(c), '--role', 'senior_architect', '--api', b.api])
    await admin(['grant', '--peer', c.peerId, '--to', await recipientOf(c), '--role', 'frontend_developer', '--api', c.api])

    const held = (g: any): boolean => !g.withdrawn && g.held_identities >= 1
    await synced(a, 1, { backend_developer: held })
    await synced(b, 1, { qa_engineer: held })
    const cs = await synced(c, 1, { senior_architect: held, frontend_developer: held })
    expect(Object.keys(cs.directory.roles).sort()).toEqual(['admin', 'backend_developer', 'devops_engineer', 'frontend_developer', 'observer', 'qa_engineer', 'senior_architect'])

    const stored = await put(a, BEFORE, before, 'backend_developer')
    expect(stored.status).toBe(201)
    const meta = ((await stored.json()) as any).response.data
    expect(meta.encrypted_for).toEqual(expect.arrayContaining(['admin', 'backend_developer', 'devops_engineer', 'qa_engineer', 'senior_architect']))

    // B and C never stored it: they read it from the network
    const fromB = await waitFor(async () => { const r = await read(b, BEFORE, 'qa_engineer'); return r.status === 200 ? r : undefined }, 'B to read as qa_engineer')
    expect(Buffer.compare(fromB.body, Buffer.from(before))).toBe(0)
    const fromC = await read(c, BEFORE, 'senior_architect')
    expect(fromC.status).toBe(200)
    expect(Buffer.compare(fromC.body, Buffer.from(before))).toBe(0)
    expect((await read(c, BEFORE, 'frontend_developer')).status).toBe(403)
  })

  it('the raw ciphertext opens with the age CLI and an identity from keys export; keys import works offline', async () => {
    const record = decodeRecord(await stockGet(versionKey(BEFORE, 1)))
    await writeFile(join(root, 'content.age'), record.ciphertext)
    await exec('age-keygen', ['-o', join(root, 'auditor.key')])
    const auditor = (await exec('age-keygen', ['-y', join(root, 'auditor.key')])).stdout.trim()
    const exported = await runCli(['keys', 'export', '--role', 'qa_engineer', '--to', auditor, '--out', join(root, 'qa.age'), '--data-dir', b.dataDir])
    expect(exported.code, exported.stderr).toBe(0)
    await exec('age', ['-d', '-i', join(root, 'auditor.key'), '-o', join(root, 'qa.key'), join(root, 'qa.age')])
    await exec('age', ['-d', '-i', join(root, 'qa.key'), '-o', join(root, 'content.bin'), join(root, 'content.age')])
    expect(Buffer.compare(await readFile(join(root, 'content.bin')), Buffer.from(before))).toBe(0)

    // offline: A's backend_developer identities, exported to C's own recipient, imported by C
    expect((await read(c, BEFORE, 'backend_developer')).status).toBe(403)
    const toC = await runCli(['keys', 'export', '--role', 'backend_developer', '--to', await recipientOf(c), '--out', join(root, 'bd.age'), '--data-dir', a.dataDir])
    expect(toC.code, toC.stderr).toBe(0)
    const imported = await runCli(['keys', 'import', join(root, 'bd.age'), '--data-dir', c.dataDir, '--json'])
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ role: 'backend_developer', imported: 1 })
    c.proc.kill('SIGHUP')
    const got = await waitFor(async () => { const r = await read(c, BEFORE, 'backend_developer'); return r.status === 200 ? r : undefined }, 'C to read as backend_developer after the import')
    expect(Buffer.compare(got.body, Buffer.from(before))).toBe(0)

    const refused = await runCli(['keys', 'generate', 'qa_engineer', '--data-dir', c.dataDir])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/published by the authority's role directory/)
    expect((await runCli(['keys', 'generate', 'space_pirate', '--data-dir', c.dataDir])).stderr).toMatch(/not in the role table/)
  })

  it('after ungrant and rotate, the old holder cannot read new content and still reads old content', async () => {
    const oldGrant = await stockGet(grantKey(authorityId, b.peerId, 'qa_engineer'))
    await admin(['ungrant', '--peer', b.peerId, '--role', 'qa_engineer', '--api', a.api])
    const rotated = await admin(['rotate', '--role', 'qa_engineer', '--api', a.api])
    expect(rotated).toMatchObject({ role: 'qa_engineer', roleGeneration: 2, directoryGeneration: 2, regranted: [] })
    const qaNow = (s: any): boolean => s.directory.roles.qa_engineer.recipient === rotated.recipient
    for (const n of [a, b, c]) expect(qaNow(await synced(n, 2))).toBe(true)
    await synced(b, 2, { qa_engineer: g => g.withdrawn === true && g.sequence === 2 })

    const after = new Uint8Array(randomBytes(2000))
    const stored = await put(a, AFTER, after, 'backend_developer')
    expect(stored.status).toBe(201)
    const fromC = await waitFor(async () => { const r = await read(c, AFTER, 'senior_architect'); return r.status === 200 ? r : undefined }, 'C to read the new content')
    expect(Buffer.compare(fromC.body, Buffer.from(after))).toBe(0)
    expect((await read(b, AFTER, 'qa_engineer')).status).toBe(403)
    const old = await read(b, BEFORE, 'qa_engineer')
    expect(old.status).toBe(200)
    expect(Buffer.compare(old.body, Buffer.from(before))).toBe(0)

    // the withdrawn grant cannot be rolled back by replaying the old one
    await stockPut(grantKey(authorityId, b.peerId, 'qa_engineer'), oldGrant)
    const post = await fetch(`${a.api}/authority/records`, { method: 'POST', body: JSON.stringify({ key: grantKey(authorityId, b.peerId, 'qa_engineer'), value: Buffer.from(oldGrant).toString('base64') }) })
    expect(post.status).toBe(409)
    const mark = (await authority(b)).last_refresh.at
    b.proc.kill('SIGHUP')
    const s = await waitFor(async () => { const x = await authority(b); return x.last_refresh.at !== mark ? x : undefined }, 'B to refresh')
    expect(s.grants.find((g: any) => g.role === 'qa_engineer')).toMatchObject({ withdrawn: true, sequence: 2 })
  })

  it('refuses forged and replayed directories and grants', async () => {
    const other = await generateAuthority()
    const genuine = await importAuthorityKey(await readFile(join(authDir, 'authority.age')), PASSPHRASE)
    expect(genuine.id).toBe(authorityId)
    const attackerRole = (await exec('age-keygen', [])).stdout.match(/age1[a-z0-9]+/)![0]
    const roles = { qa_engineer: { recipient: attackerRole, generation: 9 } }

    const postRecord = async (key: string, value: Uint8Array): Promise<{ status: number, body: any }> => {
      const res = await fetch(`${a.api}/authority/records`, { method: 'POST', body: JSON.stringify({ key, value: Buffer.from(value).toString('base64') }) })
      return { status: res.status, body: await res.json() }
    }
    // signed by another authority, under our authority's key
    const foreign = await signDirectory(other.privateKey, { generation: 99, roles })
    const r1 = await postRecord(directoryKey(authorityId), foreign.value)
    expect(r1.status).toBe(403)
    expect(r1.body.error.details).toMatchObject({ error: 'InvalidAuthorityRecordError', reason: 'foreign-authority' })
    // a bad signature: our authority's body, the signature flipped
    const real = await signDirectory(genuine.privateKey, { generation: 50, roles })
    const tampered = new Uint8Array(real.value)
    tampered[tampered.length - 1] ^= 1
    const r2 = await postRecord(real.key, tampered)
    expect(r2.status).toBe(403)
    expect(r2.body.error.details.reason).toBe('bad-signature')
    // an older generation, validly signed
    const older = await signDirectory(genuine.privateKey, { generation: 1, roles })
    const r3 = await postRecord(older.key, older.value)
    expect(r3.status).toBe(409)
    expect(r3.body.error.details.reason).toBe('stale')
    // a grant signed by another authority
    const forgedGrant = await signGrant(other.privateKey, { peer: b.peerId, role: 'qa_engineer', sequence: 7, to: attackerRole, identities: null })
    const r4 = await postRecord(grantKey(authorityId, b.peerId, 'qa_engineer'), forgedGrant.value)
    expect(r4.status).toBe(403)
    const r5 = await postRecord('/CHORUS/elsewhere/x', older.value)
    expect(r5.status).toBe(400)

    // a stock peer puts them straight into the DHT: the honest nodes keep what they hold
    await stockPut(directoryKey(authorityId), foreign.value)
    await stockPut(directoryKey(authorityId), tampered)
    await stockPut(directoryKey(authorityId), older.value)
    await stockPut(grantKey(authorityId, b.peerId, 'qa_engineer'), forgedGrant.value)
    for (const n of [a, b, c]) {
      const mark = (await authority(n)).last_refresh.at
      n.proc.kill('SIGHUP')
      const s = await waitFor(async () => { const x = await authority(n); return x.last_refresh.at !== mark ? x : undefined }, `${n.peerId} to refresh`)
      expect(s.directory.generation).toBe(2)
      expect(s.directory.roles.qa_engineer.recipient).not.toBe(attackerRole)
      const st = (await getJson(`${n.api}/status`)).body.response.data
      expect(st.authority.directory_generation).toBe(2)
    }
    expect((await authority(b)).grants.find((g: any) => g.role === 'qa_engineer')).toMatchObject({ withdrawn: true, sequence: 2 })
    // content stored now is still encrypted for the genuine qa_engineer key
    const res = await put(a, AFTER, new Uint8Array([1, 2, 3]), 'backend_developer')
    expect(res.status).toBe(201)
  })
})
