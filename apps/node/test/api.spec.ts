import { createRoleRegistry } from '@chorus-dht/crypto-age'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { apiRoutes } from '../src/api.js'
import type { ApiNode, Readiness } from '../src/api.js'
import { ApiServer, contentTypeHeader, encodeHeaderValue } from '../src/http-server.js'
import type { UCXLMetadata, UCXLStorage } from '@chorus-dht/types'

const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/notes'

function metadata (over: Partial<UCXLMetadata>): UCXLMetadata {
  return {
    address: ADDRESS,
    creatorRole: 'admin',
    encryptedFor: ['admin'],
    contentType: 'text/plain',
    timestamp: 1_700_000_000_000,
    size: 5,
    hash: 'a'.repeat(64),
    dhtPeers: [],
    replicationFactor: 3,
    version: 1,
    signer: '12D3KooWtest',
    ...over
  }
}

let served: UCXLMetadata = metadata({})
let readiness: Readiness = { ready: true, reasons: [], checks: {} }

const node: ApiNode = {
  // only what these routes use: the metadata comes as a (validly signed) record from the network would
  storage: {
    async retrieveUCXLContent () { return { content: new TextEncoder().encode('hello'), metadata: served, fromCache: false } }
  } as unknown as UCXLStorage,
  roles: () => createRoleRegistry(),
  defaultRole: 'admin',
  heldRoles: () => ['admin'],
  status: async () => ({}),
  peers: () => [],
  health: async () => ({ healthy: true, checks: {} }),
  ready: async () => readiness,
  metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: '' })
}

let server: ApiServer | undefined

async function start (): Promise<string> {
  server = new ApiServer({ routes: apiRoutes(node), logger: pino({ level: 'silent' }), token: 'tok-0123456789', maxBodyBytes: 1024, requestTimeout: 5_000 })
  const { port } = await server.start('127.0.0.1', 0)
  return `http://127.0.0.1:${port}`
}

afterEach(async () => {
  await server?.stop()
  server = undefined
  served = metadata({})
  readiness = { ready: true, reasons: [], checks: {} }
})

/** GET with a bounded wait: the bug was a request that never answers. */
async function get (url: string, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
}

describe('header encoding', () => {
  it('percent-encodes what is not visible ASCII, and % itself; decodeURIComponent gives it back', () => {
    for (const v of ['plain-value', 'a\r\nb', 'nul\u0000x', 'café', 'ロール', '100% sure', ' lead and trail ', '😀']) {
      const e = encodeHeaderValue(v)
      expect(e).toMatch(/^[\x21-\x7e]*$/)
      expect(decodeURIComponent(e)).toBe(v)
    }
    expect(encodeHeaderValue(ADDRESS)).toBe(ADDRESS)
  })

  it('serves a well-formed media type as Content-Type and anything else as application/octet-stream', () => {
    expect(contentTypeHeader('text/plain')).toBe('text/plain')
    expect(contentTypeHeader('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8')
    expect(contentTypeHeader('application/json;profile="a b"')).toBe('application/json;profile="a b"')
    for (const bad of ['text/plain\r\nset-cookie: x=1', 'text/\u0000', 'text/角色', 'texte/é', 'nonsense', '', 'text/plain; charset']) {
      expect(contentTypeHeader(bad)).toBe('application/octet-stream')
    }
  })
})

describe('GET /ucxl/<address>?raw=true with hostile record metadata', () => {
  const hostile: Array<[what: string, over: Partial<UCXLMetadata>]> = [
    ['CR/LF in contentType', { contentType: 'text/plain\r\nset-cookie: stolen=1' }],
    ['CR/LF in creatorRole', { creatorRole: 'admin\r\nx-injected: 1' }],
    ['NUL in contentType', { contentType: 'text/plain\u0000' }],
    ['NUL in creatorRole', { creatorRole: 'ad\u0000min' }],
    ['non-Latin-1 in contentType', { contentType: 'text/角色' }],
    ['non-Latin-1 in creatorRole', { creatorRole: 'ロール' }],
    ['Latin-1 in creatorRole', { creatorRole: 'rôle' }],
    ['CR/LF in the address', { address: `${ADDRESS}\r\nx-injected: 1` }]
  ]

  it.each(hostile)('answers with encoded headers: %s', async (_what, over) => {
    served = metadata(over)
    const api = await start()
    const res = await get(`${api}/ucxl/${encodeURIComponent(ADDRESS)}?raw=true`, { authorization: 'Bearer tok-0123456789' })
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new TextEncoder().encode('hello'))
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(res.headers.get('x-injected')).toBeNull()
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(decodeURIComponent(res.headers.get('x-ucxl-content-type')!)).toBe(served.contentType)
    expect(decodeURIComponent(res.headers.get('x-ucxl-creator-role')!)).toBe(served.creatorRole)
    expect(decodeURIComponent(res.headers.get('x-ucxl-address')!)).toBe(served.address)
    expect(res.headers.get('x-ucxl-version')).toBe('1')
    expect(res.headers.get('content-type')).toBe(contentTypeHeader(served.contentType))
  })

  it('serves clean metadata unchanged', async () => {
    served = metadata({ contentType: 'text/markdown; charset=utf-8' })
    const api = await start()
    const res = await get(`${api}/ucxl/${encodeURIComponent(ADDRESS)}?raw=true`, { authorization: 'Bearer tok-0123456789' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(res.headers.get('x-ucxl-creator-role')).toBe('admin')
    expect(res.headers.get('x-ucxl-address')).toBe(ADDRESS)
    expect(await res.text()).toBe('hello')
  })

  it('keeps hostile metadata as it is in the JSON (non-raw) answer', async () => {
    served = metadata({ creatorRole: 'a\r\nb', contentType: 'text/角色' })
    const api = await start()
    const res = await get(`${api}/ucxl/${encodeURIComponent(ADDRESS)}`, { authorization: 'Bearer tok-0123456789' })
    expect(res.status).toBe(200)
    const body: any = await res.json()
    expect(body.response.data.metadata).toMatchObject({ creator_role: 'a\r\nb', content_type: 'text/角色' })
  })
})

describe('GET /ready', () => {
  it('answers 200 when ready, without a token', async () => {
    readiness = { ready: true, reasons: [], checks: { dht: { active_backend: 'real' } } }
    const api = await start()
    const res = await get(`${api}/ready`)
    expect(res.status).toBe(200)
    const body: any = await res.json()
    expect(body.response).toMatchObject({ code: 'UCXL-200-OK', data: { status: 'ready', reasons: [], checks: { dht: { active_backend: 'real' } } } })
  })

  it('answers 503 with the reasons when not ready', async () => {
    readiness = { ready: false, reasons: ['the node is starting', 'the real DHT has no live peer'], checks: { state: 'starting' } }
    const api = await start()
    const res = await get(`${api}/ready`)
    expect(res.status).toBe(503)
    const body: any = await res.json()
    expect(body.error).toMatchObject({
      code: 'UCXL-503-SERVICE_UNAVAILABLE',
      details: { reasons: ['the node is starting', 'the real DHT has no live peer'], checks: { state: 'starting' } }
    })
    expect(body.error.message).toContain('the real DHT has no live peer')
  })
})
