/**
 * JSON schemas of the API: fastify validates query strings and path
 * parameters with them, the handlers validate JSON bodies, and
 * `@fastify/swagger` makes the OpenAPI document at `/openapi.json` of them.
 * Response schemas are strict (`additionalProperties: false`) where the
 * shape is the node's own, so the OpenAPI test catches a field that is
 * not documented or not snake_case.
 */

const str = { type: 'string' } as const
const int = { type: 'integer', minimum: 0 } as const
const strings = { type: 'array', items: str } as const
const nullableString = { type: ['string', 'null'] } as const
const dateTime = { type: 'string', format: 'date-time' } as const

/** A role name as the API accepts it. */
export const ROLE_NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$'

/** Strict object: every property listed, none other. */
function object (properties: Record<string, unknown>, required: string[] = Object.keys(properties)): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties }
}

/** An object of any fields (documents nested status the libraries report). */
const open = { type: 'object', additionalProperties: true } as const

/** The success envelope of SPEC §9 around `data`. */
export function envelope (data?: unknown, description = 'success'): Record<string, unknown> {
  return {
    description,
    ...object({
      response: object({
        code: { type: 'string', pattern: '^UCXL-2\\d\\d-' },
        message: str,
        ...(data != null ? { data } : {}),
        request_id: str,
        timestamp: { type: 'string', format: 'date-time' }
      }, ['code', 'message', 'request_id', 'timestamp', ...(data != null ? ['data'] : [])])
    })
  }
}

/** The error envelope of SPEC §9. */
export const errorEnvelope = {
  description: 'error (UCXL error envelope)',
  ...object({
    error: object({
      code: { type: 'string', pattern: '^UCXL-[45]\\d\\d-' },
      message: str,
      details: open,
      source: str,
      path: str,
      request_id: str,
      timestamp: { type: 'string', format: 'date-time' }
    }, ['code', 'message', 'source', 'path', 'request_id', 'timestamp'])
  })
}

/** The error answers every route may give. */
export const errors = { '4xx': errorEnvelope, '5xx': errorEnvelope }

/** Metadata of one stored version (`UCXLMetadata`, snake_case). */
export const metadata = object({
  address: str,
  creator_role: str,
  encrypted_for: strings,
  content_type: str,
  timestamp: { type: 'integer', description: 'ms since the epoch' },
  size: int,
  hash: str,
  dht_peers: strings,
  replication_factor: int,
  version: { type: 'integer', minimum: 1 },
  signer: str
}, ['address', 'creator_role', 'encrypted_for', 'content_type', 'timestamp', 'size', 'hash', 'dht_peers', 'replication_factor', 'version'])

const peer = object({ id: str, multiaddrs: strings })

/** A peer found by role or met through peer-info (`RolePeer`). */
const rolePeer = object({
  id: str,
  multiaddrs: strings,
  agent: str,
  role: str,
  capabilities: strings,
  last_seen: { type: 'integer', description: 'ms since the epoch; 0: never heard from' }
}, ['id', 'multiaddrs', 'last_seen'])

const provider = object({
  peer_id: str,
  added_at: int,
  last_seen: int,
  quality: { type: 'number', minimum: 0, maximum: 1 },
  distance: { type: 'string', description: 'XOR distance of the peer id to the key, hex' }
})

const replicationStatus = object({
  key: str,
  target_replicas: int,
  actual_replicas: int,
  healthy_providers: int,
  last_replication: int,
  last_checked: int,
  replication_nodes: strings,
  health: { enum: ['healthy', 'degraded', 'critical'] },
  priority: { type: 'integer' },
  size: int
})

const replicationKey = object({
  key: str,
  kind: { enum: ['head', 'version'] },
  version: { type: ['integer', 'null'] },
  tracked: { type: 'boolean' },
  status: { oneOf: [replicationStatus, { type: 'null' }] },
  providers: { type: 'array', items: provider },
  error: str
}, ['key', 'kind', 'version', 'tracked', 'status', 'providers'])

const ms = { type: 'integer', minimum: 0, description: 'ms since the epoch; 0: never' } as const
const duration = { type: 'number', minimum: 0, description: 'ms' } as const
const serviceStatus = { enum: ['stopped', 'starting', 'started', 'stopping'] } as const

/** One backend's health as the hybrid DHT's live probe measured it (`BackendHealth`). */
const backendHealth = object({
  backend: { enum: ['real', 'mock'] },
  status: { enum: ['healthy', 'degraded', 'failed'] },
  last_check: ms,
  error_count: int,
  latency: { ...duration, description: 'ms of the last probe' },
  consecutive_failures: int
})

/** One backend's call counters (`BackendMetrics` of the hybrid DHT). */
const backendMetrics = object({
  operations: int,
  errors: int,
  average_latency: duration,
  last_error: { type: 'string', description: '`name: message` of the last backend error' }
}, ['operations', 'errors', 'average_latency'])

const backend = object({
  active_backend: { enum: ['real', 'mock'] },
  use_real_dht: { type: 'boolean' },
  fallback_on_error: { type: 'boolean' },
  pending_writes: int,
  backends: object({ real: backendHealth, mock: backendHealth })
})

/**
 * The checks of a passing live probe (`GET /health` 200): a failing one is a
 * 503 whose `details.checks` may lack the DHT or name a datastore error.
 */
const healthChecks = object({
  state: { const: 'started' },
  datastore: { const: 'ok' },
  dht: object({
    healthy: { const: true },
    active_backend: { enum: ['real', 'mock'] },
    backends: object({ real: backendHealth, mock: backendHealth })
  })
})

/** The counters of the DHT serving now (`DHTStats`). */
const dhtStats = object({
  total_peers: int,
  total_keys: int,
  uptime: { ...int, description: 'ms since start, 0 when stopped' },
  connected_peers: int
})

/** `GET /status`. `dht`, `storage`, `replication` and `audit` are absent while that part is not running (replication with `replication.enabled: false`). */
const status = object({
  peer_id: str,
  node_recipient: { type: 'string', description: 'the node\'s own age recipient (what authority grant --to needs)' },
  agent: str,
  state: serviceStatus,
  api: str,
  data_dir: str,
  uptime_ms: int,
  multiaddrs: strings,
  roles: object({ default: str, held: strings, defined: strings }),
  dht: object({
    active_backend: { enum: ['real', 'mock'] },
    use_real_dht: { type: 'boolean' },
    fallback_on_error: { type: 'boolean' },
    pending_writes: int,
    backends: object({ real: backendHealth, mock: backendHealth }),
    backend_metrics: object({ real: backendMetrics, mock: backendMetrics }),
    mode: { enum: ['client', 'server'], description: 'the real DHT\'s mode; absent while it does not run' },
    bootstrapped: { type: 'boolean' },
    connected_peers: int,
    routing_table_peers: int,
    stats: dhtStats
  }, ['active_backend', 'use_real_dht', 'fallback_on_error', 'pending_writes', 'backends', 'backend_metrics', 'bootstrapped', 'connected_peers', 'routing_table_peers', 'stats']),
  bootstrap: object({ source: { enum: ['assignment', 'config', 'env', 'none'] }, peers: strings }),
  authority: {
    description: 'null: the network has no authority',
    oneOf: [
      { type: 'null' },
      object({
        id: str,
        directory_generation: int,
        certificate: {
          description: 'this node\'s role certificate; null for none',
          oneOf: [
            { type: 'null' },
            object({ sequence: int, roles: strings, issued_at: dateTime, expires_at: dateTime, expired: { type: 'boolean' }, revoked: { type: 'boolean' } })
          ]
        },
        revocations: object({
          generation: { ...int, description: '0: no revocation list held' },
          issued_at: dateTime,
          revoked: { type: 'array', items: object({ peer: str, at: dateTime }) }
        }, ['generation', 'revoked'])
      })
    ]
  },
  storage: object({
    stored_items: int,
    retrieved_items: int,
    cache_hits: int,
    cache_misses: int,
    encryption_ops: int,
    decryption_ops: int,
    average_store_time: duration,
    average_retrieve_time: duration,
    last_update: ms,
    cache_entries: int,
    cache_bytes: int,
    errors: int,
    rejected_records: { type: 'object', additionalProperties: int, description: 'content records this node\'s validator refused, by reason' }
  }),
  replication: object({
    total_keys: int,
    total_providers: int,
    reprovide_operations: int,
    successful_replications: int,
    failed_replications: int,
    repairs: int,
    healthy_keys: int,
    degraded_keys: int,
    critical_keys: int,
    last_reprovide_time: ms,
    last_cleanup_time: ms,
    average_replication: { type: 'number', minimum: 0 }
  }),
  audit: object({ entries: int, hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'sha-256 (hex) of the last line' } })
}, ['peer_id', 'node_recipient', 'agent', 'state', 'api', 'data_dir', 'uptime_ms', 'multiaddrs', 'roles', 'bootstrap', 'authority'])

const address = { type: 'object', required: ['address'], properties: { address: { type: 'string', minLength: 1, description: 'the UCXL address, URL-encoded in one path segment (canonical or slash form)' } } }
const role = { type: 'object', required: ['role'], properties: { role: { type: 'string', pattern: ROLE_NAME_PATTERN } } }
const limit = { type: 'integer', minimum: 1, maximum: 1000, description: 'at most this many (default 100, at most 1000)' }
const cursor = { type: 'string', minLength: 1, description: 'next_cursor of the previous page' }

/** A query string of exactly these parameters: an unknown one is a 400. */
function query (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties }
}

const noQuery = query({})
const roleHeader = { type: 'object', properties: { 'x-chorus-role': { type: 'string', pattern: ROLE_NAME_PATTERN, description: 'the role of the request (default: the node\'s role)' } } }

const list = (field: string, extra: Record<string, unknown>): Record<string, unknown> => object({
  ...extra,
  [field]: { type: 'array', items: metadata },
  total: { type: 'integer', minimum: 0, description: 'items matching, over every page' },
  next_cursor: { ...nullableString, description: 'pass as cursor for the next page; null on the last' }
})

/** Route schemas by `METHOD url`. */
export const schemas = {
  'PUT /ucxl/:address': {
    summary: 'Store content',
    description: 'Stores the request body (any content type) as the next version, encrypted for the reader roles, signed, replicated.',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: query({ readers: { type: 'string', description: 'comma-separated reader roles instead of every role that may read the creator\'s content' } }),
    response: { 201: envelope(metadata, 'stored'), ...errors }
  },
  'GET /ucxl/:address': {
    summary: 'Read content',
    description: 'Reads a version (any temporal form). `ETag` is the version; `If-None-Match` with it answers 304.',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: query({ raw: { type: 'boolean', description: 'answer with the bytes themselves' } }),
    response: {
      200: {
        description: 'the content (JSON envelope, or the bytes with ?raw=true)',
        content: {
          'application/json': { schema: envelope(object({ address: str, content: { type: 'string', contentEncoding: 'base64' }, content_encoding: { const: 'base64' }, metadata, from_cache: { type: 'boolean' } })) },
          '*/*': { schema: { type: 'string', format: 'binary' } }
        }
      },
      304: { description: 'not modified: If-None-Match matched the version', type: 'null' },
      ...errors
    }
  },
  'GET /ucxl/:address/history': {
    summary: 'Version history',
    description: 'Every version, oldest first, paginated.',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: query({ limit, cursor }),
    response: { 200: envelope(list('versions', { address: str })), ...errors }
  },
  'GET /search': {
    summary: 'Search the content index',
    description: 'The node\'s content index, newest first, paginated. Address components match exactly (`any` or absent: anything).',
    tags: ['content'],
    headers: roleHeader,
    querystring: query({
      agent: str,
      address_role: { type: 'string', description: 'the role component of the address' },
      creator_role: { type: 'string', description: 'the role that stored the content' },
      project: str,
      task: str,
      content_type: str,
      created_after: { type: 'string', description: 'ms since the epoch or an ISO date, inclusive' },
      created_before: { type: 'string', description: 'ms since the epoch or an ISO date, inclusive' },
      limit,
      cursor
    }),
    response: { 200: envelope(list('results', { query: open })), ...errors }
  },
  'GET /content': {
    summary: 'List content by creator role',
    description: 'The content index entries stored by a role (listContentByRole), newest first, paginated.',
    tags: ['content'],
    headers: roleHeader,
    querystring: query({ role: { type: 'string', pattern: ROLE_NAME_PATTERN }, limit, cursor }, ['role']),
    response: { 200: envelope(list('results', { role: str })), ...errors }
  },
  'DELETE /content/:address': {
    summary: 'Forget content locally',
    description: 'Removes the address from this node\'s content index and cache and stops tracking its replication (forget). The records stay in the DHT.',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: noQuery,
    response: { 200: envelope(object({ address: str, forgotten: { type: 'boolean' }, untracked_keys: int })), ...errors }
  },
  'GET /discover/:address': {
    summary: 'Peers providing content',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: noQuery,
    response: { 200: envelope(object({ address: str, peers: { type: 'array', items: peer } })), ...errors }
  },
  'POST /announce/:address': {
    summary: 'Announce content',
    tags: ['content'],
    params: address,
    headers: roleHeader,
    querystring: noQuery,
    response: { 200: envelope(object({ address: str })), ...errors }
  },
  'GET /replication/:address': {
    summary: 'Replication status',
    description: 'Per DHT key of the address (head and each version): the replication status from the last measurement and the providers with quality and distance.',
    tags: ['replication'],
    params: address,
    querystring: query({ providers: { type: 'integer', minimum: 0, maximum: 100, description: 'providers per key (default 20)' } }),
    response: { 200: envelope(object({ address: str, keys: { type: 'array', items: replicationKey } })), ...errors }
  },
  'POST /replication/:address/repair': {
    summary: 'Check or repair replication',
    description: 'Measures the replicas of every tracked key of the address now (`action=check`) or makes one repair attempt per key (`action=repair`, the default).',
    tags: ['replication'],
    params: address,
    querystring: query({ action: { enum: ['check', 'repair'] } }),
    response: { 200: envelope(object({ address: str, action: { enum: ['check', 'repair'] }, keys: { type: 'array', items: replicationKey } })), ...errors }
  },
  'GET /roles/:role/peers': {
    summary: 'Find peers by role',
    description: 'Peers that announced the role (findPeersByRole), with what they say about themselves.',
    tags: ['discovery'],
    params: role,
    querystring: query({ limit: { type: 'integer', minimum: 1, maximum: 100 } }),
    response: { 200: envelope(object({ role: str, peers: { type: 'array', items: rolePeer } })), ...errors }
  },
  'POST /roles/announce': {
    summary: 'Announce a role and capabilities',
    description: 'Announces that this node holds the role and offers the capabilities (announceRole, announceCapability); re-announced periodically.',
    tags: ['discovery'],
    querystring: noQuery,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        role: { type: 'string', pattern: ROLE_NAME_PATTERN },
        capabilities: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } }
      },
      anyOf: [{ required: ['role'] }, { required: ['capabilities'] }]
    },
    response: { 200: envelope(object({ agent: str, role: str, capabilities: strings })), ...errors }
  },
  'GET /peers/discovered': {
    summary: 'Discovered peers',
    description: 'Peers this node heard from through peer-info (getDiscoveredPeers).',
    tags: ['discovery'],
    querystring: noQuery,
    response: { 200: envelope(object({ peers: { type: 'array', items: rolePeer } })), ...errors }
  },
  'GET /dht/backend': {
    summary: 'The hybrid DHT\'s backend',
    tags: ['dht'],
    querystring: noQuery,
    response: { 200: envelope(backend), ...errors }
  },
  'PUT /dht/backend': {
    summary: 'Switch the hybrid DHT\'s backend',
    description: '`mock` stays until switched back to `real`; `real` replays the journaled writes first (switchBackend).',
    tags: ['dht'],
    querystring: noQuery,
    body: { type: 'object', additionalProperties: false, required: ['backend'], properties: { backend: { enum: ['real', 'mock'] } } },
    response: { 200: envelope(backend), ...errors }
  },
  'GET /authority': {
    summary: 'The authority',
    tags: ['authority'],
    querystring: noQuery,
    response: { 200: envelope(open), ...errors }
  },
  'POST /authority/records': {
    summary: 'Post an authority record',
    tags: ['authority'],
    querystring: noQuery,
    body: { type: 'object', additionalProperties: false, required: ['key', 'value'], properties: { key: str, value: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'base64' } } },
    response: { 201: envelope(object({ key: str, type: str, rank: str, remote_peers: int, refused_peers: int })), ...errors }
  },
  'GET /health': {
    summary: 'Liveness probe',
    tags: ['node'],
    querystring: noQuery,
    response: { 200: envelope(object({ status: { const: 'healthy' }, checks: healthChecks })), ...errors }
  },
  'GET /ready': {
    summary: 'Readiness probe',
    tags: ['node'],
    querystring: noQuery,
    response: { 200: envelope(object({ status: { const: 'ready' }, reasons: strings, checks: open })), ...errors }
  },
  'GET /metrics': {
    summary: 'Prometheus metrics',
    tags: ['node'],
    querystring: noQuery,
    response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: str } } }, ...errors }
  },
  'GET /status': {
    summary: 'Node status',
    tags: ['node'],
    querystring: noQuery,
    response: {
      200: envelope(status),
      ...errors
    }
  },
  'GET /peers': {
    summary: 'Connected peers',
    tags: ['node'],
    querystring: noQuery,
    response: { 200: envelope(object({ peers: { type: 'array', items: peer } })), ...errors }
  },
  'GET /roles': {
    summary: 'The role table',
    tags: ['node'],
    querystring: noQuery,
    response: {
      200: envelope(object({
        default_role: str,
        roles: { type: 'array', items: object({ name: str, authority: str, can_decrypt: strings, description: str, held: { type: 'boolean' } }, ['name', 'authority', 'can_decrypt', 'held']) }
      })),
      ...errors
    }
  }
} as const

/** The schema of a route. */
export type SchemaKey = keyof typeof schemas
