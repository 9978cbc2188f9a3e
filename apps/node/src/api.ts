import { authorityRecordSelector, decodeAuthorityRecord, verifyAuthorityRecord } from '@chorus-dht/authority'
import { parseLenient } from '@chorus-dht/ucxl'
import { HttpError, UCXL_CODES } from './envelope.js'
import { contentTypeHeader, encodeHeaderValue } from './http-server.js'
import type { Route, RequestContext } from './http-server.js'
import type { DHT, RoleRegistry, SearchQuery, UCXLMetadata, UCXLStorage } from '@chorus-dht/types'

/** The node's authority, when it has one. */
export interface ApiAuthority {
  /** The configured authority id. */
  id: string
  /** Where signed authority records go. */
  dht: DHT
  /** What `GET /authority` shows. */
  status(): Record<string, unknown>
  /** Re-reads the directory and this node's grants. */
  refresh(): Promise<void>
}

/** What the API needs from the running node. */
export interface ApiNode {
  storage: UCXLStorage
  /** The current role table (changes on SIGHUP). */
  roles(): RoleRegistry
  /** The role of requests without `X-Chorus-Role`. */
  defaultRole: string
  /** Roles this node holds identities for. */
  heldRoles(): string[]
  status(): Promise<Record<string, unknown>>
  peers(): Array<{ id: string, multiaddrs: string[] }>
  /** The live probe. */
  health(): Promise<{ healthy: boolean, checks: Record<string, unknown> }>
  /** The readiness probe: whether writes are replicated to the network now, and why not. */
  ready(): Promise<Readiness>
  /** Prometheus text. */
  metrics(): Promise<string>
  /** Called after a successful store. */
  onStored?(metadata: UCXLMetadata): Promise<void> | void
  /**
   * The roles new content by `creatorRole` is encrypted for when the request
   * names none (`?readers=`): undefined for every role that may read it
   * (the storage then needs each one's recipient).
   */
  defaultReaders?(creatorRole: string): string[] | undefined
  /** The configured authority; undefined: the network has none. */
  authority?: ApiAuthority
  /**
   * Under an authority: whether this node holds a valid certificate for the
   * role (a store needs one); undefined: the network has no authority.
   */
  canWrite?(role: string): boolean
}

/** What `GET /ready` reports. */
export interface Readiness {
  ready: boolean
  /** Why the node is not ready; empty when it is. */
  reasons: string[]
  checks: Record<string, unknown>
}

const ROLE_HEADER = 'x-chorus-role'
const ROLE_NAME = /^[A-Za-z0-9_-]{1,64}$/

function requestRole (node: ApiNode, ctx: RequestContext): string {
  const header = ctx.req.headers[ROLE_HEADER]
  const role = typeof header === 'string' && header !== '' ? header : node.defaultRole
  if (!ROLE_NAME.test(role)) throw new HttpError(UCXL_CODES.BAD_REQUEST, 'X-Chorus-Role must be a role name (A-Z a-z 0-9 _ -)')
  if (!node.roles().has(role)) throw new HttpError(UCXL_CODES.FORBIDDEN, `unknown role ${role}`, { role })
  return role
}

/** Parses the address early so a bad one is refused before anything happens. */
function address (ctx: RequestContext): string {
  return parseLenient(ctx.params.address).raw
}

function metadataJSON (m: UCXLMetadata): Record<string, unknown> {
  return { ...m }
}

function intParam (url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name)
  if (v == null || v === '') return undefined
  if (!/^\d+$/.test(v)) throw new HttpError(UCXL_CODES.BAD_REQUEST, `query parameter ${name} must be a non-negative integer`)
  return Number(v)
}

function timeParam (url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name)
  if (v == null || v === '') return undefined
  if (/^\d+$/.test(v)) return Number(v)
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new HttpError(UCXL_CODES.BAD_REQUEST, `query parameter ${name} must be ms since the epoch or an ISO date`)
  return t
}

const ADDRESS = '(?<address>[^/]+)'

/** `generation N` or `sequence N` of an authority record. */
function rank (record: { type: string, generation?: number, sequence?: number }): string {
  return 'generation' in record && record.generation != null ? `generation ${record.generation}` : `sequence ${record.sequence}`
}

/** Parses `{"key": "/CHORUS/authority/…", "value": "<base64>"}`. */
function authorityRecordBody (body: Uint8Array): { key: string, value: Uint8Array } {
  let parsed: any
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    throw new HttpError(UCXL_CODES.BAD_REQUEST, 'the body must be JSON: {"key": "/CHORUS/authority/…", "value": "<base64>"}')
  }
  if (typeof parsed?.key !== 'string' || typeof parsed?.value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(parsed.value)) {
    throw new HttpError(UCXL_CODES.BAD_REQUEST, 'the body must be {"key": string, "value": base64 string}')
  }
  return { key: parsed.key, value: new Uint8Array(Buffer.from(parsed.value, 'base64')) }
}

/** The node's HTTP routes (see the README for each one). */
export function apiRoutes (node: ApiNode): Route[] {
  return [
    {
      method: 'PUT',
      pattern: new RegExp(`^/ucxl/${ADDRESS}$`),
      async handler (ctx) {
        const addr = address(ctx)
        const role = requestRole(node, ctx)
        if (!node.roles().canStore(role)) throw new HttpError(UCXL_CODES.FORBIDDEN, `role ${role} may not store content`, { role })
        if (node.canWrite != null && !node.canWrite(role)) {
          // every peer would refuse the record: refuse before anything is encrypted
          throw new HttpError(UCXL_CODES.FORBIDDEN, `this node holds no valid certificate of the authority for role ${role} (authority issue)`, { error: 'AccessDeniedError', reason: 'no-certificate', role })
        }
        const contentType = (ctx.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim() || 'application/octet-stream'
        const readersParam = ctx.url.searchParams.get('readers')
        const readers = readersParam != null
          ? readersParam.split(',').map(r => r.trim()).filter(r => r !== '')
          : node.defaultReaders?.(role)
        const body = await ctx.body()
        const metadata = await node.storage.storeUCXLContent(addr, body, role, contentType, { signal: ctx.signal, ...(readers != null ? { readers } : {}) })
        await node.onStored?.(metadata)
        return { ucxl: UCXL_CODES.CREATED, message: `stored version ${metadata.version} of ${metadata.address}`, data: metadataJSON(metadata) }
      }
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/ucxl/${ADDRESS}$`),
      async handler (ctx) {
        const addr = address(ctx)
        const role = requestRole(node, ctx)
        // storage refuses (AccessDeniedError → 403) before decrypting and audits the reader's role
        const result = await node.storage.retrieveUCXLContent(addr, { signal: ctx.signal, role })
        if (ctx.url.searchParams.get('raw') === 'true') {
          return {
            raw: {
              status: 200,
              // metadata comes from a signed record, not from this node: it may hold
              // any character, so it is percent-encoded (README, "Raw reads")
              headers: {
                'content-type': contentTypeHeader(result.metadata.contentType),
                'x-content-type-options': 'nosniff',
                'x-ucxl-content-type': encodeHeaderValue(result.metadata.contentType),
                'x-ucxl-address': encodeHeaderValue(result.metadata.address),
                'x-ucxl-version': String(result.metadata.version),
                'x-ucxl-creator-role': encodeHeaderValue(result.metadata.creatorRole)
              },
              body: result.content
            }
          }
        }
        return {
          ucxl: UCXL_CODES.OK,
          message: `version ${result.metadata.version} of ${result.metadata.address}`,
          data: {
            address: result.metadata.address,
            content: Buffer.from(result.content).toString('base64'),
            content_encoding: 'base64',
            metadata: metadataJSON(result.metadata),
            from_cache: result.fromCache
          }
        }
      }
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/ucxl/${ADDRESS}/history$`),
      async handler (ctx) {
        const addr = address(ctx)
        requestRole(node, ctx)
        const versions = await node.storage.history(addr, { signal: ctx.signal })
        return { ucxl: UCXL_CODES.OK, message: `${versions.length} version(s)`, data: { address: addr, versions: versions.map(metadataJSON) } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/search$/,
      async handler (ctx) {
        requestRole(node, ctx)
        const u = ctx.url
        const str = (n: string): string | undefined => {
          const v = u.searchParams.get(n)
          return v == null || v === '' ? undefined : v
        }
        const query: SearchQuery = {
          agent: str('agent'),
          role: str('role'),
          project: str('project'),
          task: str('task'),
          contentType: str('content_type'),
          createdAfter: timeParam(u, 'created_after'),
          createdBefore: timeParam(u, 'created_before'),
          limit: intParam(u, 'limit')
        }
        for (const k of Object.keys(query) as Array<keyof SearchQuery>) if (query[k] === undefined) delete query[k]
        const results = await node.storage.searchContent(query, { signal: ctx.signal })
        return { ucxl: UCXL_CODES.OK, message: `${results.length} result(s)`, data: { query, results: results.map(metadataJSON) } }
      }
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/discover/${ADDRESS}$`),
      async handler (ctx) {
        const addr = address(ctx)
        requestRole(node, ctx)
        const peers = await node.storage.discoverContentPeers(addr, { signal: ctx.signal })
        return { ucxl: UCXL_CODES.OK, message: `${peers.length} peer(s)`, data: { address: addr, peers } }
      }
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/announce/${ADDRESS}$`),
      async handler (ctx) {
        const addr = address(ctx)
        requestRole(node, ctx)
        await node.storage.announceContent(addr, { signal: ctx.signal })
        return { ucxl: UCXL_CODES.OK, message: `announced ${addr}`, data: { address: addr } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/authority$/,
      async handler () {
        if (node.authority == null) {
          return { ucxl: UCXL_CODES.OK, message: 'the network has no authority', data: { authority: null } }
        }
        return { ucxl: UCXL_CODES.OK, message: `authority ${node.authority.id}`, data: node.authority.status() }
      }
    },
    {
      method: 'POST',
      pattern: /^\/authority\/records$/,
      async handler (ctx) {
        const authority = node.authority
        if (authority == null) throw new HttpError(UCXL_CODES.BAD_REQUEST, 'this node has no authority configured (authority, CHORUS_AUTHORITY or --authority)')
        const { key, value } = authorityRecordBody(await ctx.body())
        // the same checks as every peer's validator, so the reason reaches the client
        await verifyAuthorityRecord(key, value, { authority: authority.id })
        const record = decodeAuthorityRecord(value)
        const held = await authority.dht.getValueFromPeer(authority.dht.peerId, key, { signal: ctx.signal }).catch(() => undefined)
        if (held != null && authorityRecordSelector(key, [held, value]) !== 1) {
          const h = decodeAuthorityRecord(held)
          throw new HttpError(UCXL_CODES.CONFLICT, `this node holds a record for ${key} that is as new or newer (${rank(h)}; refused ${rank(record)}): authority records never roll back`, { reason: 'stale', key, held: rank(h), refused: rank(record) })
        }
        const put = await authority.dht.putValue(key, value, { signal: ctx.signal })
        // the record may be this node's own directory or grant: apply it now
        void authority.refresh().catch(() => {})
        return {
          ucxl: UCXL_CODES.CREATED,
          message: `stored the ${record.type} record at ${key}`,
          data: { key, type: record.type, rank: rank(record), remote_peers: put.remotePeers, refused_peers: put.refusedPeers }
        }
      }
    },
    {
      method: 'GET',
      pattern: /^\/health$/,
      public: true,
      async handler () {
        const h = await node.health()
        if (!h.healthy) throw new HttpError(UCXL_CODES.SERVICE_UNAVAILABLE, 'node is not healthy', { checks: h.checks })
        return { ucxl: UCXL_CODES.OK, message: 'healthy', data: { status: 'healthy', checks: h.checks } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/ready$/,
      public: true,
      async handler () {
        const r = await node.ready()
        if (!r.ready) throw new HttpError(UCXL_CODES.SERVICE_UNAVAILABLE, `node is not ready: ${r.reasons.join('; ')}`, { reasons: r.reasons, checks: r.checks })
        return { ucxl: UCXL_CODES.OK, message: 'ready', data: { status: 'ready', reasons: [], checks: r.checks } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      async handler () {
        return { raw: { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, body: await node.metrics() } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/status$/,
      async handler () {
        return { ucxl: UCXL_CODES.OK, message: 'status', data: await node.status() }
      }
    },
    {
      method: 'GET',
      pattern: /^\/peers$/,
      async handler () {
        const peers = node.peers()
        return { ucxl: UCXL_CODES.OK, message: `${peers.length} connected peer(s)`, data: { peers } }
      }
    },
    {
      method: 'GET',
      pattern: /^\/roles$/,
      async handler () {
        const held = new Set(node.heldRoles())
        const roles = node.roles().list().map(r => ({ ...r, held: held.has(r.name) }))
        return { ucxl: UCXL_CODES.OK, message: `${roles.length} role(s)`, data: { default_role: node.defaultRole, roles } }
      }
    }
  ]
}
