import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enc, getJson, killAll, runCli, startNode, stopNode, waitFor } from './helpers.js'
import type { TestNode } from './helpers.js'

const TOKEN = 'e2e-token-0123456789abcdef'
const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/decisions/api'

let root: string
let keys: string
let a: TestNode
let b: TestNode
let c: TestNode

async function connectedPeers (node: TestNode, token?: string): Promise<string[]> {
  const { body } = await getJson(`${node.api}/peers`, token != null ? { authorization: `Bearer ${token}` } : {})
  return body.response.data.peers.map((p: any) => p.id)
}

async function auditLines (node: TestNode): Promise<number> {
  const text = await readFile(join(node.dataDir, 'audit.log'), 'utf8').catch(() => '')
  return text.split('\n').filter(l => l.trim() !== '').length
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-node-e2e-'))
  keys = join(root, 'shared-keys')
  // every node shares one keystore, so content stored on one decrypts on the others
  for (const role of ['admin', 'backend_developer']) {
    const gen = await runCli(['keys', 'generate', role, '--keys-dir', keys])
    expect(gen.code, gen.stderr).toBe(0)
  }
  a = await startNode(join(root, 'a'), ['--keys-dir', keys], { CHORUS_API_MAX_BODY: '4096' })
  ;[b, c] = await Promise.all([
    startNode(join(root, 'b'), ['--keys-dir', keys, '--bootstrap', a.multiaddr]),
    startNode(join(root, 'c'), ['--keys-dir', keys, '--bootstrap', a.multiaddr], { CHORUS_API_TOKEN: TOKEN })
  ])
}, 120_000)

afterAll(async () => {
  await killAll()
  if (root != null) await rm(root, { recursive: true, force: true })
})

// generous ceilings for a loaded CI machine; nothing here waits a fixed time
describe('a network of node processes', { timeout: 120_000 }, () => {
  it('three nodes join through the first one', async () => {
    await waitFor(async () => (await connectedPeers(a)).length >= 2, 'A to see B and C')
    expect(await connectedPeers(a)).toEqual(expect.arrayContaining([b.peerId, c.peerId]))
    await waitFor(async () => (await connectedPeers(b)).includes(a.peerId), 'B to see A')
    await waitFor(async () => (await connectedPeers(c, TOKEN)).includes(a.peerId), 'C to see A')
    const status = await getJson(`${a.api}/status`)
    expect(status.body.response.data.dht.active_backend).toBe('real')
  })

  it('a put over HTTP on one node is read with the CLI on another', async () => {
    const put = await fetch(`${a.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: 'use gRPC for the API', headers: { 'content-type': 'text/plain' } })
    expect(put.status).toBe(201)
    const created: any = await put.json()
    expect(created.response.code).toBe('UCXL-201-CREATED')
    expect(created.response.data).toMatchObject({ address: ADDRESS, version: 1, creator_role: 'admin', content_type: 'text/plain', signer: a.peerId })

    const got = await waitFor(async () => {
      const r = await runCli(['get', ADDRESS, '--api', c.api, '--token', TOKEN])
      return r.code === 0 ? r : undefined
    }, 'the CLI on C to read the content')
    expect(got.stdout).toBe('use gRPC for the API')

    const raw = await fetch(`${b.api}/ucxl/${enc(ADDRESS)}?raw=true`)
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('text/plain')
    expect(raw.headers.get('x-ucxl-version')).toBe('1')
    expect(await raw.text()).toBe('use gRPC for the API')

    const history = await runCli(['history', ADDRESS, '--api', b.api, '--json'])
    expect(history.code, history.stderr).toBe(0)
    expect(JSON.parse(history.stdout).response.data.versions.map((v: any) => v.version)).toEqual([1])

    // the operator commands of the seed operations, against the real node
    const replication = await runCli(['replication', ADDRESS, '--api', a.api, '--json'])
    expect(replication.code, replication.stderr).toBe(0)
    const keys = JSON.parse(replication.stdout).response.data.keys
    expect(keys.map((k: any) => k.kind).sort()).toEqual(['head', 'version'])
    const replicationText = await runCli(['replication', ADDRESS, '--api', a.api])
    expect(replicationText.code, replicationText.stderr).toBe(0)
    expect(replicationText.stdout).toMatch(/^head\t/m)
    expect(replicationText.stdout).toMatch(/^v1\t/m)
    const check = await runCli(['replication', 'repair', ADDRESS, '--check', '--api', a.api, '--json'])
    expect(check.code, check.stderr).toBe(0)
    expect(JSON.parse(check.stdout).response.data.action).toBe('check')

    const peers = await runCli(['roles', 'peers', 'admin', '--api', b.api, '--json'])
    expect(peers.code, peers.stderr).toBe(0)
    expect(Array.isArray(JSON.parse(peers.stdout).response.data.peers)).toBe(true)

    const backend = await runCli(['backend', '--api', b.api])
    expect(backend.code, backend.stderr).toBe(0)
    expect(backend.stdout).toMatch(/^active backend: real /)
    const toMock = await runCli(['backend', 'mock', '--api', b.api, '--token', TOKEN, '--json'])
    expect(toMock.code, toMock.stderr).toBe(0)
    expect(JSON.parse(toMock.stdout).response.data.active_backend).toBe('mock')
    const toReal = await runCli(['backend', 'real', '--api', b.api, '--token', TOKEN])
    expect(toReal.code, toReal.stderr).toBe(0)
    expect(toReal.stdout).toMatch(/^active backend: real /)
  })

  it('refuses bad requests with the right code and changes nothing', async () => {
    const before = await getJson(`${a.api}/ucxl/${enc(ADDRESS)}/history`)
    const auditBefore = await auditLines(a)

    const invalid = await fetch(`${a.api}/ucxl/${enc('ucxl://bad agent:admin@proj:task1/*^/x')}`, { method: 'PUT', body: 'x' })
    expect(invalid.status).toBe(400)
    const invalidBody: any = await invalid.json()
    expect(invalidBody.error).toMatchObject({ code: 'UCXL-400-INVALID_ADDRESS', details: { field: 'agent' }, source: 'chorus-dht-node' })
    expect(invalidBody.error.request_id).toBe(invalid.headers.get('x-request-id'))

    const oversize = await fetch(`${a.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: new Uint8Array(5000) })
    expect(oversize.status).toBe(413)
    expect(((await oversize.json()) as any).error.code).toBe('UCXL-413-TOO_LARGE')

    const unknownRole = await fetch(`${a.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: 'x', headers: { 'x-chorus-role': 'space_pirate' } })
    expect(unknownRole.status).toBe(403)
    expect(((await unknownRole.json()) as any).error.code).toBe('UCXL-403-FORBIDDEN')

    const readOnly = await fetch(`${a.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: 'x', headers: { 'x-chorus-role': 'observer' } })
    expect(readOnly.status).toBe(403)

    const noToken = await fetch(`${c.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: 'x' })
    expect(noToken.status).toBe(401)
    expect(((await noToken.json()) as any).error.code).toBe('UCXL-401-UNAUTHORIZED')
    const wrongToken = await fetch(`${c.api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: 'x', headers: { authorization: 'Bearer not-the-token' } })
    expect(wrongToken.status).toBe(403)
    const cliNoToken = await runCli(['get', ADDRESS, '--api', c.api])
    expect(cliNoToken.code).toBe(1)
    expect(cliNoToken.stderr).toContain('UCXL-401-UNAUTHORIZED')

    const after = await getJson(`${a.api}/ucxl/${enc(ADDRESS)}/history`)
    expect(after.body.response.data.versions).toEqual(before.body.response.data.versions)
    expect(await auditLines(a)).toBe(auditBefore)

    const missing = await runCli(['get', 'ucxl://agent1:admin@proj:task1/*^/never/stored', '--api', a.api])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('UCXL-404-NOT_FOUND')
    const content = await runCli(['get', ADDRESS, '--api', a.api])
    expect(content.stdout).toBe('use gRPC for the API')

    // a role that may not read admin content is refused, and the refusal is audited under that role
    const linesBefore = await auditLines(a)
    const forbidden = await fetch(`${a.api}/ucxl/${enc(ADDRESS)}`, { headers: { 'x-chorus-role': 'frontend_developer' } })
    expect(forbidden.status).toBe(403)
    expect(((await forbidden.json()) as any).error.code).toBe('UCXL-403-FORBIDDEN')
    const log = (await readFile(join(a.dataDir, 'audit.log'), 'utf8')).split('\n').filter(l => l.trim() !== '')
    expect(log.length).toBe(linesBefore + 1)
    expect(JSON.parse(log.at(-1)!)).toMatchObject({ operation: 'retrieve', role: 'frontend_developer', success: false })
  })

  it('refuses a second node on a data directory in use; client commands find the running one', async () => {
    const second = await runCli(['start', '--data-dir', a.dataDir, '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('already running')
    const status = await runCli(['status', '--data-dir', a.dataDir])
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).peer_id).toBe(a.peerId)
  })

  it('announces content on one node and discovers it from another', async () => {
    const announce = await fetch(`${a.api}/announce/${enc(ADDRESS)}`, { method: 'POST' })
    expect(announce.status).toBe(200)
    expect(((await announce.json()) as any).response.code).toBe('UCXL-200-OK')
    const peers = await waitFor(async () => {
      const r = await getJson(`${b.api}/discover/${enc(ADDRESS)}`)
      const ids: string[] = r.body.response.data.peers.map((p: any) => p.id)
      return ids.includes(a.peerId) ? ids : undefined
    }, 'B to discover A as a provider')
    expect(peers).toContain(a.peerId)
  })

  it('serves health, Prometheus metrics and status', async () => {
    const health = await getJson(`${c.api}/health`)
    expect(health.status).toBe(200)
    expect(health.body.response.data.status).toBe('healthy')
    const metrics = await fetch(`${a.api}/metrics`)
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    expect(text).toMatch(/^chorus_dht_active_backend\{backend="real"\} 1$/m)
    expect(text).toMatch(/^chorus_storage_stored_items_total [1-9]/m)
    expect(text).toMatch(/^chorus_replication_keys \d+/m)
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m)
    const status = await runCli(['status', '--api', b.api])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ peer_id: b.peerId, state: 'started' })
    expect(JSON.parse(status.stdout).audit.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('keeps records, peer id and audit chain across kill -9 and restart', async () => {
    const address = 'ucxl://agent2:backend_developer@proj:task2/*^/notes/persist'
    for (const text of ['first', 'second']) {
      const put = await fetch(`${b.api}/ucxl/${enc(address)}`, { method: 'PUT', body: text, headers: { 'x-chorus-role': 'backend_developer' } })
      expect(put.status).toBe(201)
    }
    const auditBefore = await auditLines(b)
    expect(auditBefore).toBeGreaterThanOrEqual(2)

    b.proc.kill('SIGKILL')
    await b.exited
    const verify = await runCli(['audit', 'verify', '--data-dir', b.dataDir])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)

    // restarted alone: what it serves comes from its own data directory
    const restarted = await startNode(b.dataDir, ['--keys-dir', keys])
    expect(restarted.peerId).toBe(b.peerId)
    // alone while it reads: no peer (A and C still run) could have served the content.
    // /peers shows the active backend's peers; /ready shows libp2p's own connections
    const alone = async (): Promise<void> => {
      expect(await connectedPeers(restarted)).toEqual([])
      const ready = await getJson(`${restarted.api}/ready`)
      const checks = ready.status === 200 ? ready.body.response.data.checks : ready.body.error.details.checks
      expect(checks.dht.connected_peers, JSON.stringify(checks.dht)).toBe(0)
      expect((await getJson(`${restarted.api}/status`)).body.response.data.dht.routing_table_peers).toBe(0)
    }
    await alone()
    const got = await runCli(['get', address, '--api', restarted.api, '--role', 'backend_developer'])
    expect(got.code, got.stderr).toBe(0)
    expect(got.stdout).toBe('second')
    const history = await getJson(`${restarted.api}/ucxl/${enc(address)}/history`, { 'x-chorus-role': 'backend_developer' })
    expect(history.body.response.data.versions.map((v: any) => v.version)).toEqual([1, 2])
    // pages of one: the CLI shows the first and names the next; --all follows every page
    const firstPage = await runCli(['history', address, '--limit', '1', '--api', restarted.api, '--role', 'backend_developer'])
    expect(firstPage.stdout.trim().split('\n').map(l => l.split('\t')[0])).toEqual(['v1'])
    expect(firstPage.stderr).toMatch(/2 in all; next page: --cursor \S+/)
    const allPages = await runCli(['history', address, '--limit', '1', '--all', '--api', restarted.api, '--role', 'backend_developer', '--json'])
    expect(allPages.code, allPages.stderr).toBe(0)
    expect(JSON.parse(allPages.stdout)).toMatchObject({ total: 2, versions: [{ version: 1 }, { version: 2 }] })
    const older = await runCli(['get', 'ucxl://agent2:backend_developer@proj:task2/*~1/notes/persist', '--api', restarted.api, '--role', 'backend_developer'])
    expect(older.stdout).toBe('first')
    const search = await runCli(['search', '--agent', 'agent2', '--api', restarted.api, '--json'])
    expect(JSON.parse(search.stdout).response.data.results.length).toBeGreaterThanOrEqual(1)
    // the two role filters, as the CLI names them, reach the node (its answer echoes the query)
    const byRoles = await runCli(['search', '--agent', 'agent2', '--address-role', 'backend_developer', '--creator-role', 'backend_developer', '--api', restarted.api, '--json'])
    expect(byRoles.code, byRoles.stderr).toBe(0)
    expect(JSON.parse(byRoles.stdout).response.data.query).toMatchObject({ agent: 'agent2', address_role: 'backend_developer', creator_role: 'backend_developer' })
    const otherRole = await runCli(['search', '--agent', 'agent2', '--address-role', 'admin', '--api', restarted.api, '--json'])
    expect(JSON.parse(otherRole.stdout).response.data).toMatchObject({ results: [], total: 0 })
    await alone()

    const verifyAfter = await runCli(['audit', 'verify', '--data-dir', b.dataDir, '--json'])
    expect(verifyAfter.code).toBe(0)
    expect(JSON.parse(verifyAfter.stdout)).toMatchObject({ valid: true })
    expect(JSON.parse(verifyAfter.stdout).entries).toBeGreaterThan(auditBefore)

    expect(await stopNode(restarted, 'SIGTERM')).toBe(0)
    // a tampered line is found
    const log = join(b.dataDir, 'audit.log')
    const lines = (await readFile(log, 'utf8')).split('\n')
    lines[0] = lines[0].replace('"success":true', '"success":false')
    await writeFile(log, lines.join('\n'))
    const tampered = await runCli(['audit', 'verify', '--data-dir', b.dataDir])
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toContain('BROKEN at line')
  })

  it('reloads the roles file and the bootstrap list on SIGHUP', async () => {
    const dir = join(root, 'd')
    const configFile = join(root, 'd.yaml')
    const rolesFile = join(root, 'roles.yaml')
    await writeFile(rolesFile, 'roles: []\n')
    await writeFile(configFile, `rolesFile: ${rolesFile}\nkeysDir: ${keys}\n`)
    const d = await startNode(dir, ['--config', configFile])
    const rolesBefore = await getJson(`${d.api}/roles`)
    expect(rolesBefore.body.response.data.roles.map((r: any) => r.name)).not.toContain('data_scientist')
    expect(await connectedPeers(d)).toEqual([])

    await writeFile(rolesFile, 'roles:\n  - name: data_scientist\n    authority: suggestion\n    canDecrypt: [data_scientist]\n')
    await writeFile(configFile, `rolesFile: ${rolesFile}\nkeysDir: ${keys}\np2p:\n  bootstrap:\n    - ${a.multiaddr}\n`)
    d.proc.kill('SIGHUP')

    await waitFor(async () => (await getJson(`${d.api}/roles`)).body.response.data.roles.some((r: any) => r.name === 'data_scientist'), 'the new role after SIGHUP')
    await waitFor(async () => (await connectedPeers(d)).includes(a.peerId), 'D to join A after SIGHUP')
    const status = await getJson(`${d.api}/status`)
    expect(status.body.response.data.bootstrap).toEqual({ source: 'config', peers: [a.multiaddr] })

    // a broken roles file is refused and the previous table kept
    await writeFile(rolesFile, 'roles:\n  - name: bad\n    authority: boss\n')
    d.proc.kill('SIGHUP')
    await waitFor(() => d.stderr().includes('reload failed'), 'the failed reload to be logged')
    expect((await getJson(`${d.api}/roles`)).body.response.data.roles.map((r: any) => r.name)).toContain('data_scientist')
    expect(await stopNode(d, 'SIGINT')).toBe(0)
  })
})

describe('a node on the mock DHT only', { timeout: 120_000 }, () => {
  it('stores and reads without a network and says so', async () => {
    const m = await startNode(join(root, 'm'), ['--mock'])
    expect(m.stdout()).toMatch(/^backend:\s+mock$/m)
    const address = 'ucxl://agent3:admin@proj:task3/*^/offline'
    const put = await runCli(['put', address, 'kept locally', '--api', m.api])
    expect(put.code, put.stderr).toBe(0)
    const got = await runCli(['get', address, '--api', m.api])
    expect(got.stdout).toBe('kept locally')
    const status = await getJson(`${m.api}/status`)
    expect(status.body.response.data.dht).toMatchObject({ active_backend: 'mock', use_real_dht: false })
    expect(await (await fetch(`${m.api}/metrics`)).text()).toMatch(/^chorus_dht_active_backend\{backend="mock"\} 1$/m)
    expect(await stopNode(m)).toBe(0)
  })
})

describe('start refuses bad configuration', { timeout: 120_000 }, () => {
  it('exits 2 naming the key for a malformed config file, and touches no data', async () => {
    const bad = join(root, 'bad.yaml')
    await writeFile(bad, 'api:\n  port: not-a-port\n')
    const dataDir = join(root, 'never-created')
    const run = await runCli(['start', '--config', bad, '--data-dir', dataDir])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('api.port')
    await expect(readFile(join(dataDir, 'peer-key'))).rejects.toThrow()

    await writeFile(bad, 'api: [unclosed\n')
    expect((await runCli(['start', '--config', bad, '--data-dir', dataDir])).code).toBe(2)
  })

  it('exits 2 when the API would bind off loopback without a token', async () => {
    const run = await runCli(['start', '--api-host', '0.0.0.0', '--data-dir', join(root, 'never-created')])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('api.token')
  })

  it('exits 2 for an unknown default role', async () => {
    const run = await runCli(['start', '--role', 'space_pirate', '--data-dir', join(root, 'pirate'), '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('space_pirate')
  })
})
