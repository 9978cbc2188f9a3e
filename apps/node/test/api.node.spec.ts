import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient, listAll } from '../src/client.js'
import { loadConfig } from '../src/config.js'
import { ChorusNode } from '../src/node.js'
import { enc, waitFor } from './helpers.js'
import type { NodeInfo } from '../src/node.js'

/**
 * The node's HTTP API against two real nodes in this process (libp2p over
 * loopback TCP, LevelDB data directories): every route, the new operation
 * endpoints, pagination, ETag, CORS, the metrics listener, and every
 * response checked against the OpenAPI document the node serves.
 */

const TOKEN = 'api-test-token-0123456789'
const ORIGIN = 'https://console.example'
const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/notes'
const OTHER = 'ucxl://agent2:backend_developer@proj:task2/*^/design'
const FORGET = 'ucxl://agent1:admin@proj:task1/*^/scratch'

let root: string
let a: ChorusNode
let b: ChorusNode
let infoA: NodeInfo
let infoB: NodeInfo

/** Every answer a test saw, to check against the OpenAPI document. */
const seen: Array<{ method: string, url: string, status: number, type: string, body: unknown }> = []

async function makeNode (name: string, bootstrap: string[]): Promise<ChorusNode> {
  const config = await loadConfig({
    env: {},
    cwd: root,
    flags: { dataDir: join(root, name), apiPort: '0', apiToken: TOKEN, listen: ['/ip4/127.0.0.1/tcp/0'], keysDir: join(root, 'keys'), bootstrap }
  })
  config.roles = ['admin', 'backend_developer']
  // the optional settings this app reads (api.cors, api.metricsListen)
  Object.assign(config.api, { cors: [ORIGIN], metricsListen: '127.0.0.1:0' })
  return new ChorusNode(config, pino({ level: 'silent' }))
}

/** A request to a node's API with the token; the answer is recorded for the OpenAPI check. */
async function call (info: NodeInfo, method: string, path: string, init: { body?: string, headers?: Record<string, string>, token?: boolean } = {}): Promise<{ status: number, headers: Headers, body: any, text: string }> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.token !== false) headers.authorization = `Bearer ${TOKEN}`
  const res = await fetch(`${info.api}${path}`, { method, headers, body: init.body, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  const body = type.includes('application/json') && text !== '' ? JSON.parse(text) : text
  seen.push({ method, url: path, status: res.status, type, body })
  return { status: res.status, headers: res.headers, body, text }
}

const data = (r: { body: any }): any => r.body.response.data

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-api-node-'))
  a = await makeNode('a', [])
  infoA = await a.start()
  b = await makeNode('b', [infoA.multiaddrs[0]])
  infoB = await b.start()
  await waitFor(async () => data(await call(infoB, 'GET', '/peers')).peers.length > 0, 'B to connect to A')
}, 120_000)

afterAll(async () => {
  await b?.stop()
  await a?.stop()
  if (root != null) await rm(root, { recursive: true, force: true })
})

describe('content: one naming convention, ETag, pagination', () => {
  it('stores and reads with snake_case metadata, ETag = version and 304 on If-None-Match', async () => {
    const v1 = await call(infoA, 'PUT', `/ucxl/${enc(ADDRESS)}`, { body: 'first', headers: { 'content-type': 'text/plain' } })
    expect(v1.status).toBe(201)
    expect(data(v1)).toMatchObject({ address: ADDRESS, version: 1, creator_role: 'admin', content_type: 'text/plain', signer: infoA.peerId })
    expect(Object.keys(data(v1)).filter(k => /[A-Z]/.test(k))).toEqual([])
    const v2 = await call(infoA, 'PUT', `/ucxl/${enc(ADDRESS)}`, { body: 'second', headers: { 'content-type': 'text/plain' } })
    expect(data(v2).version).toBe(2)

    const read = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}`)
    expect(read.status).toBe(200)
    expect(read.headers.get('etag')).toBe('"2"')
    expect(Buffer.from(data(read).content, 'base64').toString()).toBe('second')
    expect(data(read).metadata).toMatchObject({ creator_role: 'admin', encrypted_for: expect.arrayContaining(['admin']) })

    const same = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}`, { headers: { 'if-none-match': '"2"' } })
    expect(same.status).toBe(304)
    expect(same.text).toBe('')
    const weak = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}?raw=true`, { headers: { 'if-none-match': 'W/"1", W/"2"' } })
    expect(weak.status).toBe(304)
    const older = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}?raw=true`, { headers: { 'if-none-match': '"1"' } })
    expect(older.status).toBe(200)
    expect(older.text).toBe('second')
    expect(older.headers.get('etag')).toBe('"2"')

    const head = await call(infoA, 'HEAD', `/ucxl/${enc(ADDRESS)}?raw=true`)
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
    expect(head.headers.get('etag')).toBe('"2"')
    expect(head.headers.get('content-length')).toBe(String('second'.length))

    const stored = await call(infoA, 'PUT', `/ucxl/${enc(OTHER)}`, { body: '{"a":1}', headers: { 'content-type': 'application/json', 'x-chorus-role': 'backend_developer' } })
    expect(stored.status).toBe(201)
    expect(data(stored).creator_role).toBe('backend_developer')
    expect((await call(infoA, 'PUT', `/ucxl/${enc(FORGET)}`, { body: 'temp' })).status).toBe(201)
  })

  it('paginates the history with limit, cursor, total and next_cursor', async () => {
    const first = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}/history?limit=1`)
    expect(first.status).toBe(200)
    expect(data(first).versions.map((v: any) => v.version)).toEqual([1])
    expect(data(first).total).toBe(2)
    expect(typeof data(first).next_cursor).toBe('string')
    const second = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}/history?limit=1&cursor=${data(first).next_cursor}`)
    expect(data(second).versions.map((v: any) => v.version)).toEqual([2])
    expect(data(second).next_cursor).toBeNull()
    const all = await call(infoA, 'GET', `/ucxl/${enc(ADDRESS)}/history`)
    expect(data(all)).toMatchObject({ total: 2, next_cursor: null })
    expect(data(all).versions).toHaveLength(2)
    // the client follows next_cursor page by page
    const client = new ApiClient({ api: infoA.api, token: TOKEN })
    const listed = await listAll(client, `/ucxl/${enc(ADDRESS)}/history?limit=1`, 'versions')
    expect({ versions: listed.items.map((v: any) => v.version), total: listed.total }).toEqual({ versions: [1, 2], total: 2 })
  })

  it('searches by creator_role and address_role, paginated, and refuses unknown or malformed parameters', async () => {
    const byCreator = await call(infoA, 'GET', '/search?creator_role=backend_developer')
    expect(data(byCreator).results.map((m: any) => m.address)).toEqual([OTHER])
    expect(data(byCreator)).toMatchObject({ total: 1, next_cursor: null, query: { creator_role: 'backend_developer' } })
    const byAddressRole = await call(infoA, 'GET', '/search?address_role=admin')
    expect(data(byAddressRole).results.map((m: any) => m.address).sort()).toEqual([ADDRESS, FORGET].sort())

    const page1 = await call(infoA, 'GET', '/search?limit=2')
    expect(data(page1).results).toHaveLength(2)
    expect(data(page1).total).toBe(3)
    const page2 = await call(infoA, 'GET', `/search?limit=2&cursor=${data(page1).next_cursor}`)
    expect(data(page2).results).toHaveLength(1)
    expect(data(page2).next_cursor).toBeNull()
    const addresses = [...data(page1).results, ...data(page2).results].map((m: any) => m.address)
    expect(new Set(addresses).size).toBe(3)

    for (const bad of ['/search?offset=1', '/search?role=admin', '/search?limit=abc', '/search?limit=0', '/search?cursor=not-a-cursor', `/ucxl/${enc(ADDRESS)}/history?limti=1`]) {
      const r = await call(infoA, 'GET', bad)
      expect({ bad, status: r.status, code: r.body.error.code }).toEqual({ bad, status: 400, code: 'UCXL-400-BAD_REQUEST' })
    }
    expect((await call(infoA, 'GET', '/search?offset=1')).body.error.message).toBe('unknown query parameter offset')
  })

  it('lists content by creator role (GET /content?role=)', async () => {
    const r = await call(infoA, 'GET', '/content?role=backend_developer')
    expect(r.status).toBe(200)
    expect(data(r)).toMatchObject({ role: 'backend_developer', total: 1, next_cursor: null })
    expect(data(r).results.map((m: any) => m.address)).toEqual([OTHER])
    const admin = await call(infoA, 'GET', '/content?role=admin&limit=1')
    expect(data(admin)).toMatchObject({ total: 2 })
    expect(data(admin).results).toHaveLength(1)
    expect((await call(infoA, 'GET', '/content')).status).toBe(400)
  })
})

describe('operations only the library had', () => {
  it('finds peers by role: both nodes announced theirs after joining', async () => {
    const peers = await waitFor(async () => {
      const r = await call(infoB, 'GET', '/roles/admin/peers')
      const ids: string[] = r.status === 200 ? data(r).peers.map((p: any) => p.id) : []
      return ids.includes(infoA.peerId) ? data(r).peers : undefined
    }, 'B to find A by its role', 60_000, 500)
    const peerA = peers.find((p: any) => p.id === infoA.peerId)
    expect(peerA).toMatchObject({ role: 'admin', agent: 'chorus-node' })
    expect(peerA.last_seen).toBeGreaterThan(0)
    const invalid = await call(infoB, 'GET', '/roles/bad%20role/peers')
    expect(invalid.status).toBe(400)
  }, 90_000)

  it('announces a capability and a role (POST /roles/announce) that others then see, and lists discovered peers', async () => {
    const announced = await call(infoA, 'POST', '/roles/announce', { body: JSON.stringify({ capabilities: ['search'] }), headers: { 'content-type': 'application/json' } })
    expect(announced.status).toBe(200)
    expect(data(announced)).toMatchObject({ role: 'admin', capabilities: ['search'] })
    await waitFor(async () => {
      const r = await call(infoB, 'GET', '/roles/admin/peers')
      return r.status === 200 && data(r).peers.some((p: any) => p.id === infoA.peerId && p.capabilities?.includes('search'))
    }, 'B to see A\'s capability', 60_000, 500)
    const discovered = await call(infoB, 'GET', '/peers/discovered')
    expect(discovered.status).toBe(200)
    expect(data(discovered).peers.find((p: any) => p.id === infoA.peerId)).toMatchObject({ role: 'admin', capabilities: ['search'] })

    // announceRole: A announces another role of the table, B finds A under it, then A goes back
    for (const role of ['backend_developer', 'admin']) {
      const r = await call(infoA, 'POST', '/roles/announce', { body: JSON.stringify({ role }), headers: { 'content-type': 'application/json' } })
      expect(r.status).toBe(200)
      expect(data(r)).toMatchObject({ role })
      await waitFor(async () => {
        const peers = await call(infoB, 'GET', `/roles/${role}/peers`)
        return peers.status === 200 && data(peers).peers.some((p: any) => p.id === infoA.peerId && p.role === role)
      }, `B to find A under ${role}`, 60_000, 500)
    }

    for (const body of ['{}', '{"role":"nobody"}', '{"capabilities":"x"}', 'not json', '{"role":"admin","extra":1}']) {
      const r = await call(infoA, 'POST', '/roles/announce', { body, headers: { 'content-type': 'application/json' } })
      expect({ body, status: r.status }).toEqual({ body, status: 400 })
    }
  }, 90_000)

  it('shows per-key replication with providers (quality, distance), and checks and repairs it', async () => {
    const status = await waitFor(async () => {
      const r = await call(infoA, 'GET', `/replication/${enc(ADDRESS)}`)
      return r.status === 200 && data(r).keys.length === 3 && data(r).keys.every((k: any) => k.tracked && k.status.last_checked > 0) ? data(r) : undefined
    }, 'replication to track and measure the address\'s keys', 60_000, 500)
    expect(status.keys.map((k: any) => [k.kind, k.version])).toEqual([['head', null], ['version', 1], ['version', 2]])
    const head = status.keys[0]
    expect(head.status).toMatchObject({ key: head.key, target_replicas: 3 })
    expect(head.status.actual_replicas).toBeGreaterThanOrEqual(1)
    const mine = head.providers.find((p: any) => p.peer_id === infoA.peerId)
    expect(mine).toBeDefined()
    expect(mine.quality).toBeGreaterThanOrEqual(0)
    expect(mine.quality).toBeLessThanOrEqual(1)
    expect(mine.distance).toMatch(/^[0-9a-f]+$/)

    const checked = await call(infoA, 'POST', `/replication/${enc(ADDRESS)}/repair?action=check`)
    expect(checked.status).toBe(200)
    expect(data(checked).action).toBe('check')
    expect(data(checked).keys).toHaveLength(3)
    for (const k of data(checked).keys) expect(k.status.last_checked).toBeGreaterThanOrEqual(head.status.last_checked)
    const repaired = await call(infoA, 'POST', `/replication/${enc(ADDRESS)}/repair`)
    expect(repaired.status).toBe(200)
    expect(data(repaired)).toMatchObject({ action: 'repair' })
    expect(data(repaired).keys.filter((k: any) => k.error != null)).toEqual([])
    expect(data(repaired).keys.every((k: any) => k.status.actual_replicas >= 1)).toBe(true)

    expect((await call(infoA, 'POST', `/replication/${enc(ADDRESS)}/repair?action=destroy`)).status).toBe(400)
    const nothing = await call(infoB, 'POST', `/replication/${enc('ucxl://nobody:admin@proj:task1/*^/none')}/repair`)
    expect(nothing.status).toBe(404)
  }, 90_000)

  it('shows and switches the hybrid DHT\'s backend', async () => {
    const before = await call(infoB, 'GET', '/dht/backend')
    expect(data(before)).toMatchObject({ active_backend: 'real', use_real_dht: true, backends: { real: { status: 'healthy' } } })
    const mock = await call(infoB, 'PUT', '/dht/backend', { body: '{"backend":"mock"}', headers: { 'content-type': 'application/json' } })
    expect(data(mock).active_backend).toBe('mock')
    expect(data(await call(infoB, 'GET', '/status')).dht.active_backend).toBe('mock')
    const real = await call(infoB, 'PUT', '/dht/backend', { body: '{"backend":"real"}', headers: { 'content-type': 'application/json' } })
    expect(data(real).active_backend).toBe('real')
    expect((await call(infoB, 'PUT', '/dht/backend', { body: '{"backend":"other"}', headers: { 'content-type': 'application/json' } })).status).toBe(400)
  })

  it('forgets content locally (DELETE /content/<address>) and stops tracking its replication', async () => {
    await waitFor(async () => {
      const r = await call(infoA, 'GET', `/replication/${enc(FORGET)}`)
      return r.status === 200 && data(r).keys.some((k: any) => k.tracked)
    }, 'the address to be tracked', 60_000, 500)
    const r = await call(infoA, 'DELETE', `/content/${enc(FORGET)}`)
    expect(r.status).toBe(200)
    expect(data(r)).toMatchObject({ address: FORGET, forgotten: true })
    expect(data(r).untracked_keys).toBeGreaterThanOrEqual(1)
    const listed = await call(infoA, 'GET', '/search?address_role=admin')
    expect(data(listed).results.map((m: any) => m.address)).toEqual([ADDRESS])
    const again = await call(infoA, 'DELETE', `/content/${enc(FORGET)}`)
    expect(data(again).forgotten).toBe(false)
  })
})

describe('the server around the routes', () => {
  it('keeps auth on every non-public route, and serves the probes and /openapi.json without a token', async () => {
    for (const path of ['/status', '/peers', '/roles', '/metrics', '/search', '/dht/backend', '/peers/discovered']) {
      expect({ path, status: (await call(infoA, 'GET', path, { token: false })).status }).toEqual({ path, status: 401 })
    }
    expect((await call(infoA, 'GET', '/health', { token: false })).status).toBe(200)
    expect((await call(infoA, 'GET', '/ready', { token: false })).status).toBe(200)
    expect((await call(infoA, 'GET', '/openapi.json', { token: false })).status).toBe(200)
    expect((await call(infoA, 'DELETE', '/status')).status).toBe(405)
    expect((await call(infoA, 'GET', '/nowhere')).status).toBe(404)
  })

  it('answers CORS preflights and requests for the configured origins only', async () => {
    const preflight = await fetch(`${infoA.api}/status`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const get = await call(infoA, 'GET', '/status', { headers: { origin: ORIGIN } })
    expect(get.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const foreign = await call(infoA, 'GET', '/status', { headers: { origin: 'https://evil.example' } })
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('serves Prometheus metrics that promtool accepts, on the API and on the metrics listener without a token', async () => {
    const m = await call(infoA, 'GET', '/metrics')
    expect(m.status).toBe(200)
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = m.text
    expect(text).toMatch(/^chorus_http_request_duration_seconds_bucket\{.*route="\/ucxl\/:address".*\} \d+$/m)
    expect(text).toMatch(/^chorus_storage_operation_duration_seconds_count\{operation="store",outcome="ok"\} [1-9]\d*$/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m)
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m)
    expect(text).toMatch(/^chorus_storage_stored_items_total [1-9]\d*$/m)
    expect(text).not.toMatch(/^\w+_ms(\{|\s)/m)
    // libp2p's and kad-dht's own metrics (api.libp2pMetrics, on by default)
    // (node B dialled node A; B's lookups reached A)
    expect(text).toMatch(/^libp2p_connection_manager_connections\{[^}]*="inbound"\} [1-9]\d*$/m)
    expect(text).toMatch(/^libp2p_kad_dht_inbound_rpc_requests_total\{[^}]*="FIND_NODE"\} [1-9]\d*$/m)
    // libp2p's gauges named _total or _milliseconds, renamed (conventionalNames)
    expect(text).toMatch(/^libp2p_kad_dht_routing_table_kad_buckets \d+$/m)
    expect(text).toMatch(/^# TYPE libp2p_kad_dht_network_message_send_times_seconds gauge$/m)
    expect(text).not.toMatch(/^libp2p_\w+_milliseconds/m)
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(check.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined()
    expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, out: '' })

    const url = a.metricsListenUrl()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const open = await fetch(`${url}/metrics`)
    expect(open.status).toBe(200)
    expect(await open.text()).toMatch(/^chorus_uptime_seconds \S+$/m)
    expect((await fetch(`${url}/status`)).status).toBe(404)
    expect((await fetch(`${url}/ucxl/${enc(ADDRESS)}`)).status).toBe(404)
  })
})

describe('the OpenAPI document', () => {
  it('documents every route, and every response seen in these tests matches its schema', async () => {
    const doc = (await call(infoA, 'GET', '/openapi.json', { token: false })).body
    expect(doc.openapi).toBe('3.1.0')
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
    const operations: Array<{ method: string, template: string, re: RegExp, op: any }> = []
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`)
      for (const [method, op] of Object.entries<any>(item)) operations.push({ method: method.toUpperCase(), template, re, op })
    }
    const expected = ['PUT /ucxl/{address}', 'GET /ucxl/{address}', 'GET /ucxl/{address}/history', 'GET /search', 'GET /content', 'DELETE /content/{address}',
      'GET /discover/{address}', 'POST /announce/{address}', 'GET /replication/{address}', 'POST /replication/{address}/repair', 'GET /roles/{role}/peers',
      'POST /roles/announce', 'GET /peers/discovered', 'GET /dht/backend', 'PUT /dht/backend', 'GET /authority', 'POST /authority/records', 'GET /health',
      'GET /ready', 'GET /metrics', 'GET /status', 'GET /peers', 'GET /roles']
    expect(operations.filter(o => o.method !== 'HEAD').map(o => `${o.method} ${o.template}`).sort()).toEqual(expected.sort())

    // the routes the tests above did not call yet
    await call(infoA, 'GET', `/discover/${enc(ADDRESS)}`)
    await call(infoA, 'POST', `/announce/${enc(ADDRESS)}`)
    await call(infoA, 'GET', '/authority')
    await call(infoA, 'POST', '/authority/records', { body: '{"key":"/CHORUS/authority/x","value":"AA=="}', headers: { 'content-type': 'application/json' } })
    await call(infoA, 'GET', `/ucxl/${enc('ucxl://bad agent:admin@proj:task1/*^/x')}`)
    await call(infoA, 'GET', `/ucxl/${enc('ucxl://agent9:admin@proj:task1/*^/missing')}`)

    const checked = new Set<string>()
    for (const r of seen) {
      const path = r.url.split('?')[0]
      if (path === '/openapi.json' || r.method === 'OPTIONS') continue
      // a HEAD answers as the GET it is made of (fastify's exposeHeadRoutes)
      const method = r.method === 'HEAD' ? 'GET' : r.method
      const found = operations.find(o => o.method === method && o.re.test(path))
      if (found == null) {
        // unknown paths and methods answer the error envelope too
        expect({ route: `${r.method} ${path}`, status: r.status }).toEqual({ route: `${r.method} ${path}`, status: expect.toBeOneOf([404, 405]) })
        continue
      }
      const responses = found.op.responses
      const response = responses[String(r.status)] ?? responses[`${String(r.status)[0]}XX`] ?? responses[`${String(r.status)[0]}xx`]
      expect(response, `${r.method} ${found.template} ${r.status} is documented`).toBeDefined()
      checked.add(`${r.method} ${found.template}`)
      if (r.status === 304 || r.method === 'HEAD') continue
      const media = Object.entries<any>(response.content ?? {})
      const json = r.type.includes('application/json')
      const entry = media.find(([type]) => json ? type === 'application/json' : type !== 'application/json')
      expect(entry, `${r.method} ${found.template} ${r.status} documents ${r.type}`).toBeDefined()
      const validate = ajv.compile(entry![1].schema)
      const valid = validate(r.body)
      expect({ route: `${r.method} ${r.url} ${r.status}`, errors: valid ? null : validate.errors }).toEqual({ route: `${r.method} ${r.url} ${r.status}`, errors: null })
    }
    expect([...checked].filter(k => !k.startsWith('HEAD')).sort()).toEqual(expected.sort())
  })

  it('holds /status and /health to every field: one added or removed anywhere fails the check', async () => {
    const doc = (await call(infoA, 'GET', '/openapi.json', { token: false })).body
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
    const check = (path: string): { body: any, valid: (body: unknown) => boolean } => {
      const validate = ajv.compile(doc.paths[path].get.responses['200'].content['application/json'].schema)
      return { body: seen.find(r => r.url === path && r.status === 200)!.body, valid: body => validate(body) as boolean }
    }
    const mutated = (body: any, change: (data: any) => void): unknown => {
      const copy = structuredClone(body)
      change(copy.response.data)
      return copy
    }

    const status = check('/status')
    expect(status.valid(status.body)).toBe(true)
    // every part of the document is there on a started node with replication on and no authority
    expect(Object.keys(status.body.response.data).sort()).toEqual(['agent', 'api', 'audit', 'authority', 'bootstrap', 'data_dir', 'dht', 'multiaddrs', 'node_recipient', 'peer_id', 'replication', 'roles', 'state', 'storage', 'uptime_ms'])
    const statusChanges: Array<[string, (d: any) => void]> = [
      ['a top-level field added', d => { d.extra = 1 }],
      ['a field added to roles', d => { d.roles.extra = [] }],
      ['a field added to dht', d => { d.dht.extra = 1 }],
      ['a field added to a backend\'s health', d => { d.dht.backends.real.extra = 1 }],
      ['a field added to a backend\'s metrics', d => { d.dht.backend_metrics.mock.extra = 1 }],
      ['a field added to dht.stats', d => { d.dht.stats.extra = 1 }],
      ['a field added to bootstrap', d => { d.bootstrap.extra = 1 }],
      ['a field added to storage', d => { d.storage.extra = 1 }],
      ['a field added to replication', d => { d.replication.extra = 1 }],
      ['a field added to audit', d => { d.audit.extra = 1 }],
      ['node_recipient removed', d => { delete d.node_recipient }],
      ['roles.held removed', d => { delete d.roles.held }],
      ['dht.pending_writes removed', d => { delete d.dht.pending_writes }],
      ['dht.backends.mock.latency removed', d => { delete d.dht.backends.mock.latency }],
      ['storage.cache_hits removed', d => { delete d.storage.cache_hits }],
      ['replication.repairs removed', d => { delete d.replication.repairs }],
      ['audit.hash removed', d => { delete d.audit.hash }],
      ['a camelCase field instead of its snake_case one', d => { d.storage.cacheHits = d.storage.cache_hits; delete d.storage.cache_hits }]
    ]
    for (const [what, change] of statusChanges) expect({ what, valid: status.valid(mutated(status.body, change)) }).toEqual({ what, valid: false })

    const health = check('/health')
    expect(health.valid(health.body)).toBe(true)
    const healthChanges: Array<[string, (d: any) => void]> = [
      ['a field added to checks', d => { d.checks.extra = 1 }],
      ['a field added to checks.dht', d => { d.checks.dht.extra = 1 }],
      ['a field added to a backend\'s health', d => { d.checks.dht.backends.mock.extra = 1 }],
      ['checks.datastore removed', d => { delete d.checks.datastore }],
      ['checks.dht.backends.real.status removed', d => { delete d.checks.dht.backends.real.status }]
    ]
    for (const [what, change] of healthChanges) expect({ what, valid: health.valid(mutated(health.body, change)) }).toEqual({ what, valid: false })
  })
})
