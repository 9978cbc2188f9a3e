import { authorityRecordSelector, decodeAuthorityRecord, verifyAuthorityRecord } from '@chorus-dht/authority'
import { parseLenient } from '@chorus-dht/ucxl'
import { HttpError, UCXL_CODES } from './envelope.js'
import { DEFAULT_PAGE, decodeCursor, paginate } from './http/pagination.js'
import { schemas } from './http/schemas.js'
import type { SchemaKey } from './http/schemas.js'
import { snakeCase } from './http/snake.js'
import { contentTypeHeader, encodeHeaderValue, ifNoneMatch } from './http-server.js'
import type { Route, RequestContext, RouteResult, RouteSchema } from './http-server.js'
import type { DHT, ProviderInfo, ReplicationStatus, RoleRegistry, RolePeer, SearchQuery, UCXLMetadata, UCXLStorage } from '@chorus-dht/types'

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

/** The replication of one DHT key of an address. */
export interface KeyReplication {
  key: string
  kind: 'head' | 'version'
  /** The version of a version key; null for the head. */
  version: number | null
  /** Whether this node's replication manager tracks the key. */
  tracked: boolean
  status: ReplicationStatus | null
  providers: ProviderInfo[]
  /** Why a check or repair of this key failed. */
  error?: string
}

/** What the hybrid DHT's backend endpoints show. */
export interface BackendState {
  active_backend: 'real' | 'mock'
  use_real_dht: boolean
  fallback_on_error: boolean
  pending_writes: number
  backends: Record<'real' | 'mock', Record<string, unknown>>
}

/** The operations of the libraries the node offers over HTTP. */
export interface ApiOperations {
  /** findPeersByRole of the real DHT. */
  findPeersByRole(role: string, options: { limit?: number, signal: AbortSignal }): Promise<RolePeer[]>
  /** announceRole / announceCapability; resolves what this node now announces. */
  announce(input: { role?: string, capabilities?: string[] }, options: { signal: AbortSignal }): Promise<{ agent: string, role: string, capabilities: string[] }>
  /** getDiscoveredPeers of the real DHT. */
  discoveredPeers(): RolePeer[]
  /** The replication of every key of an address. */
  replication(address: string, options: { providers: number, signal: AbortSignal }): Promise<KeyReplication[]>
  /** checkReplication or repairContent of every tracked key of an address. */
  repair(address: string, action: 'check' | 'repair', options: { signal: AbortSignal }): Promise<KeyReplication[]>
  backend(): BackendState
  switchBackend(kind: 'real' | 'mock', options: { signal: AbortSignal }): Promise<BackendState>
  /** Forgets an address locally; resolves whether anything was held and how many replication keys were untracked. */
  forget(address: string, options: { signal: AbortSignal }): Promise<{ forgotten: boolean, untrackedKeys: number }>
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
  /** Prometheus text and its content type. */
  metrics(): Promise<{ contentType: string, text: string }>
  /** Called after a successful store. */
  onStored?(metadata: UCXLMetadata): Promise<void> | void
  /** Times a store or a retrieve (metrics): call the returned function with the outcome. */
  time?(operation: 'store' | 'retrieve'): (outcome: 'ok' | 'error') => void
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
  /** The library operations; undefined: these endpoints answer 503. */
  operations?: ApiOperations
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

/** Metadata as the API shows it (snake_case). */
function metadataJSON (m: UCXLMetadata): unknown {
  return snakeCase(m)
}

function timeParam (ctx: RequestContext, name: string): number | undefined {
  const v = ctx.query[name]
  if (v == null || v === '') return undefined
  if (/^\d+$/.test(String(v))) return Number(v)
  const t = Date.parse(String(v))
  if (Number.isNaN(t)) throw new HttpError(UCXL_CODES.BAD_REQUEST, `query parameter ${name} must be ms since the epoch or an ISO date`)
  return t
}

/** `generation N` or `sequence N` of an authority record. */
function rank (record: { type: string, generation?: number, sequence?: number }): string {
  return 'generation' in record && record.generation != null ? `generation ${record.generation}` : `sequence ${record.sequence}`
}

/** The position of a metadata entry in a newest-first list. */
interface IndexPosition { t: number, a: string }
const isIndexPosition = (v: any): v is IndexPosition => typeof v?.t === 'number' && typeof v?.a === 'string'
/** Newest first, then by address: the order of the content index. */
const afterIndexPosition = (m: UCXLMetadata, p: IndexPosition): boolean => m.timestamp < p.t || (m.timestamp === p.t && m.address > p.a)

/** Every entry of the content index matching the query, in the index's order. */
async function allMatches (node: ApiNode, query: SearchQuery, signal: AbortSignal): Promise<UCXLMetadata[]> {
  return await node.storage.searchContent({ ...query, limit: Number.MAX_SAFE_INTEGER }, { signal })
}

/** One page of a newest-first list of metadata. */
function indexPage (ctx: RequestContext, all: UCXLMetadata[]): { items: unknown[], total: number, next_cursor: string | null } {
  const limit: number = ctx.query.limit ?? DEFAULT_PAGE
  const position = ctx.query.cursor != null ? decodeCursor(ctx.query.cursor, isIndexPosition) : undefined
  const page = paginate(all, limit, position, afterIndexPosition, m => ({ t: m.timestamp, a: m.address }))
  return { items: page.items.map(metadataJSON), total: page.total, next_cursor: page.nextCursor }
}

function operations (node: ApiNode): ApiOperations {
  if (node.operations == null) throw new HttpError(UCXL_CODES.SERVICE_UNAVAILABLE, 'this operation is not available on this node')
  return node.operations
}

/** A route with the schema of its `METHOD url`. */
function route (method: Route['method'], url: string, handler: Route['handler'], extra: { public?: boolean } = {}): Route {
  const schema = schemas[`${method} ${url}` as SchemaKey] as unknown as RouteSchema
  return { method, url, schema, handler, ...extra }
}

/** Times a storage operation with `node.time`. */
async function timed<T> (node: ApiNode, operation: 'store' | 'retrieve', fn: () => Promise<T>): Promise<T> {
  const done = node.time?.(operation)
  try {
    const v = await fn()
    done?.('ok')
    return v
  } catch (err) {
    done?.('error')
    throw err
  }
}

function ok (message: string, data: unknown): RouteResult {
  return { ucxl: UCXL_CODES.OK, message, data }
}

/** The node's HTTP routes (see the README for each one). */
export function apiRoutes (node: ApiNode): Route[] {
  return [
    route('PUT', '/ucxl/:address', async ctx => {
      const addr = address(ctx)
      const role = requestRole(node, ctx)
      if (!node.roles().canStore(role)) throw new HttpError(UCXL_CODES.FORBIDDEN, `role ${role} may not store content`, { role })
      if (node.canWrite != null && !node.canWrite(role)) {
        // every peer would refuse the record: refuse before anything is encrypted
        throw new HttpError(UCXL_CODES.FORBIDDEN, `this node holds no valid certificate of the authority for role ${role} (authority issue)`, { error: 'AccessDeniedError', reason: 'no-certificate', role })
      }
      const contentType = (ctx.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim() || 'application/octet-stream'
      const readersParam: string | undefined = ctx.query.readers
      const readers = readersParam != null
        ? readersParam.split(',').map(r => r.trim()).filter(r => r !== '')
        : node.defaultReaders?.(role)
      const body = await ctx.body()
      const metadata = await timed(node, 'store', async () => await node.storage.storeUCXLContent(addr, body, role, contentType, { signal: ctx.signal, ...(readers != null ? { readers } : {}) }))
      await node.onStored?.(metadata)
      return { ucxl: UCXL_CODES.CREATED, message: `stored version ${metadata.version} of ${metadata.address}`, data: metadataJSON(metadata) }
    }),
    route('GET', '/ucxl/:address', async ctx => {
      const addr = address(ctx)
      const role = requestRole(node, ctx)
      // storage refuses (AccessDeniedError → 403) before decrypting and audits the reader's role
      const result = await timed(node, 'retrieve', async () => await node.storage.retrieveUCXLContent(addr, { signal: ctx.signal, role }))
      // the version is the content's identity at this URL; private: content is per role
      const etag = `"${result.metadata.version}"`
      const cache = { etag, 'cache-control': 'private, no-cache' }
      if (ifNoneMatch(ctx.req.headers['if-none-match'], etag)) return { raw: { status: 304, headers: cache, body: '' } }
      if (ctx.query.raw === true) {
        return {
          raw: {
            status: 200,
            // metadata comes from a signed record, not from this node: it may hold
            // any character, so it is percent-encoded (README, "Raw reads")
            headers: {
              ...cache,
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
        headers: cache,
        data: {
          address: result.metadata.address,
          content: Buffer.from(result.content).toString('base64'),
          content_encoding: 'base64',
          metadata: metadataJSON(result.metadata),
          from_cache: result.fromCache
        }
      }
    }),
    route('GET', '/ucxl/:address/history', async ctx => {
      const addr = address(ctx)
      requestRole(node, ctx)
      const versions = await node.storage.history(addr, { signal: ctx.signal })
      const limit: number = ctx.query.limit ?? DEFAULT_PAGE
      const position = ctx.query.cursor != null ? decodeCursor(ctx.query.cursor, (v: any): v is number => Number.isSafeInteger(v)) : undefined
      const page = paginate(versions, limit, position, (m, p) => m.version > p, m => m.version)
      return ok(`${page.items.length} of ${page.total} version(s)`, { address: addr, versions: page.items.map(metadataJSON), total: page.total, next_cursor: page.nextCursor })
    }),
    route('GET', '/search', async ctx => {
      requestRole(node, ctx)
      const q = ctx.query
      const str = (n: string): string | undefined => q[n] == null || q[n] === '' ? undefined : String(q[n])
      const query: SearchQuery = {
        agent: str('agent'),
        role: str('address_role'),
        project: str('project'),
        task: str('task'),
        contentType: str('content_type'),
        createdAfter: timeParam(ctx, 'created_after'),
        createdBefore: timeParam(ctx, 'created_before')
      }
      for (const k of Object.keys(query) as Array<keyof SearchQuery>) if (query[k] === undefined) delete query[k]
      const creatorRole = str('creator_role')
      let all = await allMatches(node, query, ctx.signal)
      if (creatorRole != null) all = all.filter(m => m.creatorRole === creatorRole)
      const page = indexPage(ctx, all)
      const { role: addressRole, ...rest } = query
      const shown = snakeCase({ ...rest, ...(addressRole != null ? { addressRole } : {}), ...(creatorRole != null ? { creatorRole } : {}) })
      return ok(`${page.items.length} of ${page.total} result(s)`, { query: shown, results: page.items, total: page.total, next_cursor: page.next_cursor })
    }),
    route('GET', '/content', async ctx => {
      requestRole(node, ctx)
      const role: string = ctx.query.role
      const all = await node.storage.listContentByRole(role, { signal: ctx.signal, limit: Number.MAX_SAFE_INTEGER })
      const page = indexPage(ctx, all)
      return ok(`${page.items.length} of ${page.total} item(s) by ${role}`, { role, results: page.items, total: page.total, next_cursor: page.next_cursor })
    }),
    route('DELETE', '/content/:address', async ctx => {
      const addr = address(ctx)
      requestRole(node, ctx)
      const r = await operations(node).forget(addr, { signal: ctx.signal })
      return ok(r.forgotten ? `forgot ${addr}` : `this node held nothing of ${addr}`, { address: addr, forgotten: r.forgotten, untracked_keys: r.untrackedKeys })
    }),
    route('GET', '/discover/:address', async ctx => {
      const addr = address(ctx)
      requestRole(node, ctx)
      const peers = await node.storage.discoverContentPeers(addr, { signal: ctx.signal })
      return ok(`${peers.length} peer(s)`, { address: addr, peers: snakeCase(peers) })
    }),
    route('POST', '/announce/:address', async ctx => {
      const addr = address(ctx)
      requestRole(node, ctx)
      await node.storage.announceContent(addr, { signal: ctx.signal })
      return ok(`announced ${addr}`, { address: addr })
    }),
    route('GET', '/replication/:address', async ctx => {
      const addr = address(ctx)
      const keys = await operations(node).replication(addr, { providers: ctx.query.providers ?? 20, signal: ctx.signal })
      return ok(`${keys.filter(k => k.tracked).length} tracked key(s) of ${addr}`, { address: addr, keys: snakeCase(keys) })
    }),
    route('POST', '/replication/:address/repair', async ctx => {
      const addr = address(ctx)
      const action: 'check' | 'repair' = ctx.query.action ?? 'repair'
      const keys = await operations(node).repair(addr, action, { signal: ctx.signal })
      const failed = keys.filter(k => k.error != null).length
      return ok(`${action === 'check' ? 'checked' : 'repaired'} ${keys.length - failed} key(s) of ${addr}${failed > 0 ? `, ${failed} failed` : ''}`, { address: addr, action, keys: snakeCase(keys) })
    }),
    route('GET', '/roles/:role/peers', async ctx => {
      const role = ctx.params.role
      const peers = await operations(node).findPeersByRole(role, { signal: ctx.signal, ...(ctx.query.limit != null ? { limit: ctx.query.limit } : {}) })
      return ok(`${peers.length} peer(s) with role ${role}`, { role, peers: snakeCase(peers) })
    }),
    route('POST', '/roles/announce', async ctx => {
      const input = await ctx.json<{ role?: string, capabilities?: string[] }>()
      if (input.role != null && !node.roles().has(input.role)) throw new HttpError(UCXL_CODES.BAD_REQUEST, `unknown role ${input.role}`, { role: input.role })
      const announced = await operations(node).announce(input, { signal: ctx.signal })
      return ok(`announced role ${announced.role}${announced.capabilities.length > 0 ? ` with ${announced.capabilities.join(', ')}` : ''}`, announced)
    }),
    route('GET', '/peers/discovered', async () => {
      const peers = operations(node).discoveredPeers()
      return ok(`${peers.length} discovered peer(s)`, { peers: snakeCase(peers) })
    }),
    route('GET', '/dht/backend', async () => {
      const b = operations(node).backend()
      return ok(`serving from the ${b.active_backend} backend`, snakeCase(b))
    }),
    route('PUT', '/dht/backend', async ctx => {
      const { backend } = await ctx.json<{ backend: 'real' | 'mock' }>()
      const b = await operations(node).switchBackend(backend, { signal: ctx.signal })
      return ok(`switched to the ${b.active_backend} backend`, snakeCase(b))
    }),
    route('GET', '/authority', async () => {
      if (node.authority == null) return ok('the network has no authority', { authority: null })
      return ok(`authority ${node.authority.id}`, snakeCase(node.authority.status()))
    }),
    route('POST', '/authority/records', async ctx => {
      const authority = node.authority
      if (authority == null) throw new HttpError(UCXL_CODES.BAD_REQUEST, 'this node has no authority configured (authority, CHORUS_AUTHORITY or --authority)')
      const body = await ctx.json<{ key: string, value: string }>()
      const key = body.key
      const value = new Uint8Array(Buffer.from(body.value, 'base64'))
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
    }),
    route('GET', '/health', async () => {
      const h = await node.health()
      if (!h.healthy) throw new HttpError(UCXL_CODES.SERVICE_UNAVAILABLE, 'node is not healthy', { checks: snakeCase(h.checks) as Record<string, unknown> })
      return ok('healthy', { status: 'healthy', checks: snakeCase(h.checks) })
    }, { public: true }),
    route('GET', '/ready', async () => {
      const r = await node.ready()
      if (!r.ready) throw new HttpError(UCXL_CODES.SERVICE_UNAVAILABLE, `node is not ready: ${r.reasons.join('; ')}`, { reasons: r.reasons, checks: snakeCase(r.checks) as Record<string, unknown> })
      return ok('ready', { status: 'ready', reasons: [], checks: snakeCase(r.checks) })
    }, { public: true }),
    route('GET', '/metrics', async () => {
      const m = await node.metrics()
      return { raw: { status: 200, headers: { 'content-type': m.contentType }, body: m.text } }
    }),
    route('GET', '/status', async () => ok('status', snakeCase(await node.status()))),
    route('GET', '/peers', async () => {
      const peers = node.peers()
      return ok(`${peers.length} connected peer(s)`, { peers: snakeCase(peers) })
    }),
    route('GET', '/roles', async () => {
      const held = new Set(node.heldRoles())
      const roles = node.roles().list().map(r => ({ ...r, held: held.has(r.name) }))
      return ok(`${roles.length} role(s)`, { default_role: node.defaultRole, roles: snakeCase(roles) })
    })
  ]
}
