import { z } from 'zod'
import * as D from '../constants.js'
import {
  DHT_MODES, LOG_FORMATS, LOG_LEVELS, authorityId, bootstrapAddr, componentLevels, corsOrigin, duration,
  hostPort, multiaddrString, positiveDuration, roleName
} from './schema.js'
import type { SettingSpec } from './schema.js'

const path = z.string().min(1)
const posInt = z.number().int().positive()

/**
 * Every setting of the node, in the order of the README and of the file
 * `chorus-dht init` writes. The config file schema, the `CHORUS_*`
 * variables, the flags of `start`, `init` and `config show` all come from
 * this one table.
 */
export const SETTINGS: SettingSpec[] = [
  { key: 'dataDir', env: 'CHORUS_DATA_DIR', flag: '--data-dir', arg: 'DIR', kind: 'string', schema: path, default: D.DEFAULT_DATA_DIR, description: 'data directory' },
  { key: 'role', env: 'CHORUS_ROLE', flag: '--role', arg: 'ROLE', kind: 'string', schema: roleName, default: D.DEFAULT_ROLE, description: 'role of requests that send no X-Chorus-Role' },
  { key: 'roles', env: 'CHORUS_ROLES', flag: '--roles', arg: 'ROLES', kind: 'list', schema: z.array(roleName), defaultText: '[role]', description: 'roles this node holds identities for (comma-separated); missing keys are generated at start (not under an authority)' },
  { key: 'rolesFile', env: 'CHORUS_ROLES_FILE', flag: '--roles-file', arg: 'FILE', kind: 'string', schema: path, description: 'roles file (YAML/JSON) adding or overriding roles; reloaded on SIGHUP' },
  { key: 'keysDir', env: 'CHORUS_KEYS_DIR', flag: '--keys-dir', arg: 'DIR', kind: 'string', schema: path, defaultText: '<dataDir>/keys', description: 'role keystore; nodes that must read each other\'s content share role keys' },
  { key: 'keyPassphrase', env: 'CHORUS_KEY_PASSPHRASE', kind: 'string', schema: z.string().min(1), secret: true, description: 'passphrase that encrypts role identities at rest (age scrypt); no flag, so it never shows in ps' },
  { key: 'agent', env: 'CHORUS_AGENT', flag: '--agent', arg: 'NAME', kind: 'string', schema: z.string().regex(/^[A-Za-z0-9_-]+$/, 'an agent name is one or more of A-Z a-z 0-9 _ -'), default: 'chorus-node', description: 'agent name this node announces to peers' },
  { key: 'assignmentFile', env: 'CHORUS_ASSIGNMENT_FILE', flag: '--assignment', arg: 'FILE', kind: 'string', schema: path, description: 'assignment file {bootstrap: [multiaddr…]}; reloaded on SIGHUP' },
  { key: 'certificateFile', env: 'CHORUS_CERTIFICATE_FILE', flag: '--certificate', arg: 'FILE', kind: 'string', schema: path, description: 'this node\'s role certificate as authority issue --out writes it; read at start, on SIGHUP and every refresh' },
  { key: 'shutdownTimeout', env: 'CHORUS_SHUTDOWN_TIMEOUT', flag: '--shutdown-timeout', arg: 'DURATION', kind: 'duration', schema: duration, default: D.DEFAULT_SHUTDOWN_TIMEOUT, description: 'bound of an orderly shutdown' },

  { key: 'authority.id', env: 'CHORUS_AUTHORITY', flag: '--authority', arg: 'ID', kind: 'string', schema: authorityId, description: 'the network\'s authority id (12D3KooW…, printed by authority init); none: no authority' },
  { key: 'authority.refreshInterval', env: 'CHORUS_AUTHORITY_REFRESH_INTERVAL', flag: '--authority-refresh-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_AUTHORITY_REFRESH_INTERVAL, description: 'how often the role directory, grants, certificate and revocation list are re-read' },

  { key: 'api.host', env: 'CHORUS_API_HOST', flag: '--api-host', arg: 'HOST', kind: 'string', schema: z.string().min(1), default: D.DEFAULT_API_HOST, description: 'HTTP bind address; anything but loopback requires a token' },
  { key: 'api.port', env: 'CHORUS_API_PORT', flag: '--api-port', arg: 'PORT', kind: 'int', schema: z.number().int().min(0).max(65535), default: D.DEFAULT_API_PORT, description: 'HTTP port; 0 picks a free one (printed)' },
  { key: 'api.token', env: 'CHORUS_API_TOKEN', flag: '--api-token', arg: 'TOKEN', kind: 'string', schema: z.string().min(16, 'a token has at least 16 characters'), secret: true, description: 'bearer token (16 characters or more) every endpoint but /health and /ready requires' },
  { key: 'api.maxBodyBytes', env: 'CHORUS_API_MAX_BODY', flag: '--api-max-body', arg: 'BYTES', kind: 'int', schema: posInt, default: D.DEFAULT_MAX_BODY_BYTES, description: 'largest request body, bytes (413 above)' },
  { key: 'api.requestTimeout', env: 'CHORUS_API_REQUEST_TIMEOUT', flag: '--api-request-timeout', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_REQUEST_TIMEOUT, description: 'deadline of one request (504 after)' },
  { key: 'api.metricsListen', env: 'CHORUS_METRICS_LISTEN', flag: '--metrics-listen', arg: 'HOST:PORT', kind: 'string', schema: hostPort, description: 'host:port of a separate listener serving only /metrics, without the token (as Prometheus exporters do); none: /metrics only on the API' },
  { key: 'api.libp2pMetrics', env: 'CHORUS_LIBP2P_METRICS', flag: '--libp2p-metrics', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'also serve libp2p\'s and kad-dht\'s own metrics (libp2p_*) on /metrics, through @libp2p/prometheus-metrics' },
  { key: 'api.cors', env: 'CHORUS_API_CORS', flag: '--cors', arg: 'ORIGIN', kind: 'list', schema: z.array(corsOrigin), default: [], description: 'origins allowed to call the API from a browser (CORS; comma-separated, * for any); none: no CORS headers' },

  { key: 'p2p.listen', env: 'CHORUS_LISTEN', flag: '--listen', arg: 'MULTIADDR', kind: 'list', schema: z.array(multiaddrString), default: D.DEFAULT_LISTEN, description: 'libp2p listen addresses (flag repeatable, variable comma-separated)' },
  { key: 'p2p.bootstrap', env: 'CHORUS_DHT_BOOTSTRAP_NODES', flag: '--bootstrap', arg: 'MULTIADDR', kind: 'list', schema: z.array(bootstrapAddr), default: [], description: 'bootstrap peers, each ending in /p2p/<peer id> (see the bootstrap priority)' },
  { key: 'p2p.allowPrivateAddresses', env: 'CHORUS_ALLOW_PRIVATE_ADDRESSES', flag: '--allow-private-addresses', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'LAN/loopback DHT: serve the DHT and keep peers on private and loopback addresses (kad-dht\'s public-internet rules when false)' },
  { key: 'p2p.mode', env: 'CHORUS_DHT_MODE', flag: '--dht-mode', arg: 'MODE', kind: 'string', schema: z.enum(DHT_MODES), default: D.DEFAULT_DHT_MODE, description: 'auto|client|server: server answers DHT queries, client only asks, auto lets kad-dht decide (server at once with allowPrivateAddresses)' },
  { key: 'p2p.bootstrapTimeout', env: 'CHORUS_DHT_BOOTSTRAP_TIMEOUT', flag: '--bootstrap-timeout', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_BOOTSTRAP_TIMEOUT, description: 'how long one bootstrap attempt may take' },
  { key: 'p2p.bootstrapInterval', env: 'CHORUS_DHT_BOOTSTRAP_INTERVAL', flag: '--bootstrap-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_BOOTSTRAP_INTERVAL, description: 'interval of the re-bootstrap loop while the node is not connected' },
  { key: 'p2p.autoBootstrap', env: 'CHORUS_DHT_AUTO_BOOTSTRAP', flag: '--auto-bootstrap', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'bootstrap by itself on start, then every bootstrapInterval while not connected' },
  { key: 'p2p.discoveryInterval', env: 'CHORUS_DHT_DISCOVERY_INTERVAL', flag: '--discovery-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_DISCOVERY_INTERVAL, description: 'interval of the discovery of CHORUS:peer providers' },
  { key: 'p2p.peerCleanupInterval', env: 'CHORUS_DHT_PEER_CLEANUP_INTERVAL', flag: '--peer-cleanup-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_PEER_CLEANUP_INTERVAL, description: 'interval of the cleanup of discovered peers' },
  { key: 'p2p.peerTTL', env: 'CHORUS_DHT_PEER_TTL', flag: '--peer-ttl', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_PEER_TTL, description: 'discovered peers unseen for longer are dropped' },
  { key: 'p2p.announceInterval', env: 'CHORUS_DHT_ANNOUNCE_INTERVAL', flag: '--announce-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_ANNOUNCE_INTERVAL, description: 'how often the node announces its role and capabilities again once joined' },
  { key: 'p2p.queryTimeout', env: 'CHORUS_DHT_QUERY_TIMEOUT', flag: '--query-timeout', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_QUERY_TIMEOUT, description: 'default timeout of a DHT network query (get, put, provide, find providers)' },
  { key: 'p2p.peerRequestTimeout', env: 'CHORUS_DHT_PEER_REQUEST_TIMEOUT', flag: '--peer-request-timeout', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_PEER_REQUEST_TIMEOUT, description: 'default timeout of a request to one peer (a replica check, peer info)' },
  { key: 'p2p.putMinPeers', env: 'CHORUS_DHT_PUT_MIN_PEERS', flag: '--put-min-peers', arg: 'N', kind: 'int', schema: z.number().int().nonnegative(), default: D.DEFAULT_PUT_MIN_PEERS, description: 'remote acceptances among the closest peers after which a DHT put is acknowledged (dht-core putMinPeers; see its README, The put)' },
  { key: 'p2p.putReplicas', env: 'CHORUS_DHT_PUT_REPLICAS', flag: '--put-replicas', arg: 'N', kind: 'int', schema: posInt, default: D.DEFAULT_PUT_REPLICAS, description: 'how many of the closest peers a put places the record on, the rest after the acknowledgement (fewer: faster puts on one busy host, fewer copies)' },
  { key: 'p2p.connectionPingInterval', env: 'CHORUS_DHT_CONNECTION_PING_INTERVAL', flag: '--connection-ping-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_CONNECTION_PING_INTERVAL, description: 'how often every open connection is pinged (dead ones are closed); the idle cost grows with the open connections' },

  { key: 'dht.useRealDHT', env: 'CHORUS_USE_REAL_DHT', flag: '--use-real-dht', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'run the libp2p DHT (false, or --mock: the in-memory MockDHT only, no network)' },
  { key: 'dht.fallbackOnError', env: 'CHORUS_FALLBACK_ON_ERROR', flag: '--fallback-on-error', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'fall back to the MockDHT when the real DHT fails; writes taken meanwhile are journaled and replayed' },
  { key: 'dht.healthCheckInterval', env: 'CHORUS_HEALTH_CHECK_INTERVAL', flag: '--health-check-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_HEALTH_CHECK_INTERVAL, description: 'interval of the hybrid DHT\'s live probe' },
  { key: 'dht.maxConsecutiveFailures', env: 'CHORUS_MAX_CONSECUTIVE_FAILURES', flag: '--max-consecutive-failures', arg: 'N', kind: 'int', schema: posInt, default: D.DEFAULT_MAX_CONSECUTIVE_FAILURES, description: 'failures that switch the hybrid DHT to the mock' },

  { key: 'replication.enabled', env: 'CHORUS_REPLICATION', flag: '--replication', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'run the replication manager' },
  { key: 'replication.factor', env: 'CHORUS_REPLICATION_FACTOR', flag: '--replication-factor', arg: 'N', kind: 'int', schema: z.number().int().min(1).max(64), default: D.DEFAULT_REPLICATION_FACTOR, description: 'target replicas per record' },
  { key: 'replication.reprovideInterval', env: 'CHORUS_REPROVIDE_INTERVAL', flag: '--reprovide-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_REPROVIDE_INTERVAL, description: 'how often every tracked key is announced again' },
  { key: 'replication.cleanupInterval', env: 'CHORUS_REPLICATION_CLEANUP_INTERVAL', flag: '--replication-cleanup-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_REPLICATION_CLEANUP_INTERVAL, description: 'how often provider records older than providerTTL are dropped' },
  { key: 'replication.providerTTL', env: 'CHORUS_PROVIDER_TTL', flag: '--provider-ttl', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_PROVIDER_TTL, description: 'a provider not confirmed for this long is dropped' },
  { key: 'replication.maxProvidersPerKey', env: 'CHORUS_MAX_PROVIDERS_PER_KEY', flag: '--max-providers-per-key', arg: 'N', kind: 'int', schema: posInt, default: D.DEFAULT_MAX_PROVIDERS_PER_KEY, description: 'provider records kept per key (also how many peers a measurement asks)' },
  { key: 'replication.maxConcurrentReplications', env: 'CHORUS_MAX_CONCURRENT_REPLICATIONS', flag: '--max-concurrent-replications', arg: 'N', kind: 'int', schema: posInt, default: D.DEFAULT_MAX_CONCURRENT_REPLICATIONS, description: 'background replication operations (announcements, repairs, checks) at once' },
  { key: 'replication.checkInterval', env: 'CHORUS_REPLICATION_CHECK_INTERVAL', flag: '--replication-check-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_REPLICATION_CHECK_INTERVAL, description: 'how often every tracked key\'s replicas are measured' },
  { key: 'replication.enableAutoReplication', env: 'CHORUS_ENABLE_AUTO_REPLICATION', flag: '--auto-replication', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'repair degraded and critical keys automatically' },
  { key: 'replication.enableReprovide', env: 'CHORUS_ENABLE_REPROVIDE', flag: '--reprovide', arg: 'BOOL', kind: 'bool', schema: z.boolean(), default: true, description: 'announce tracked keys when added and every reprovideInterval' },
  { key: 'replication.peerQueryTimeout', env: 'CHORUS_REPLICATION_PEER_QUERY_TIMEOUT', flag: '--replication-peer-query-timeout', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_PEER_QUERY_TIMEOUT, description: 'a peer that does not answer a replica check within this is not counted as a replica' },

  { key: 'storage.maxRecordSize', env: 'CHORUS_MAX_RECORD_SIZE', flag: '--max-record-size', arg: 'BYTES', kind: 'int', schema: posInt, default: D.DEFAULT_MAX_RECORD_SIZE, description: 'largest record (ciphertext and envelope), bytes' },
  { key: 'storage.cacheTtl', env: 'CHORUS_CACHE_TTL', flag: '--cache-ttl', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_CACHE_TTL, description: 'lifetime of a content cache entry' },
  { key: 'storage.cacheMaxEntries', env: 'CHORUS_CACHE_MAX_ENTRIES', flag: '--cache-max-entries', arg: 'N', kind: 'int', schema: z.number().int().nonnegative(), default: D.DEFAULT_CACHE_MAX_ENTRIES, description: 'most cached entries (least recently used dropped first); 0 disables the cache' },
  { key: 'storage.cacheMaxBytes', env: 'CHORUS_CACHE_MAX_BYTES', flag: '--cache-max-bytes', arg: 'BYTES', kind: 'int', schema: posInt, default: D.DEFAULT_CACHE_MAX_BYTES, description: 'most cached plaintext bytes' },
  { key: 'storage.cacheCleanupInterval', env: 'CHORUS_CACHE_CLEANUP_INTERVAL', flag: '--cache-cleanup-interval', arg: 'DURATION', kind: 'duration', schema: positiveDuration, default: D.DEFAULT_CACHE_CLEANUP_INTERVAL, description: 'interval of the cache cleanup' },
  { key: 'storage.headQuorum', env: 'CHORUS_HEAD_QUORUM', flag: '--head-quorum', arg: 'N', kind: 'int', schema: posInt, default: D.DEFAULT_HEAD_QUORUM, description: 'answers a read of the latest version (*^) waits for before choosing the head' },
  { key: 'storage.maxRepublishAttempts', env: 'CHORUS_MAX_REPUBLISH_ATTEMPTS', flag: '--max-republish-attempts', arg: 'N', kind: 'int', schema: z.number().int().nonnegative(), default: D.DEFAULT_MAX_REPUBLISH_ATTEMPTS, description: 'version claims a store makes when other writers take its numbers, before VersionConflictError' },
  { key: 'storage.reconcileInterval', env: 'CHORUS_RECONCILE_INTERVAL', flag: '--reconcile-interval', arg: 'DURATION', kind: 'duration', schema: duration, default: D.DEFAULT_RECONCILE_INTERVAL, description: 'how often stores not yet acknowledged are finished and conflicts looked for; 0: only at start' },

  { key: 'log.level', env: 'CHORUS_LOG_LEVEL', flag: '--log-level', arg: 'LEVEL', kind: 'string', schema: z.enum(LOG_LEVELS), default: D.DEFAULT_LOG_LEVEL, description: 'fatal|error|warn|info|debug|trace|silent; the level of every component not named in log.components' },
  { key: 'log.format', env: 'CHORUS_LOG_FORMAT', flag: '--log-format', arg: 'FORMAT', kind: 'string', schema: z.enum(LOG_FORMATS), default: D.DEFAULT_LOG_FORMAT, description: 'auto|json|pretty: auto is pretty on a terminal, JSON lines otherwise' },
  { key: 'log.components', env: 'CHORUS_LOG', flag: '--log', arg: 'COMPONENT=LEVEL,…', kind: 'levels', schema: componentLevels, default: {}, description: 'per-component levels, e.g. chorus-dht:storage=debug,libp2p=warn; a name covers the components below it' }
]

/** Variables with the CHORUS_ prefix that other chorus-dht commands and tools read; not settings, but not typos either. */
export const OTHER_VARIABLES: Record<string, string> = {
  CHORUS_CONFIG: 'the configuration file (YAML or JSON)',
  CHORUS_API_URL: 'client commands: the node API URL',
  CHORUS_AUTHORITY_PASSPHRASE: 'authority commands: the passphrase of the authority directory',
  CHORUS_TEST_RUN_START: 'the repository\'s test summary script',
  CHORUS_TEST_REQUIRE_FRESH: 'the repository\'s test summary script'
}

/** The setting of a key. */
export function settingOf (key: string): SettingSpec | undefined {
  return SETTINGS.find(s => s.key === key)
}

/** `authority: 12D3KooW…` is short for `authority: { id: 12D3KooW… }`. */
const SECTION_PREPROCESS: Record<string, (v: unknown) => unknown> = {
  authority: v => typeof v === 'string' ? { id: v } : v
}

/**
 * Builds the configuration file schema from {@link SETTINGS}: top-level
 * keys and one strict object per section. Unknown keys are rejected so a
 * typo is an error, not a silently ignored setting.
 */
function buildFileSchema (): z.ZodType<Record<string, any>> {
  const top: Record<string, z.ZodType> = {}
  const sections: Record<string, Record<string, z.ZodType>> = {}
  for (const s of SETTINGS) {
    const [section, name] = s.key.split('.')
    if (name == null) {
      top[section] = s.schema.optional()
    } else {
      sections[section] ??= {}
      sections[section][name] = s.schema.optional()
    }
  }
  for (const [section, shape] of Object.entries(sections)) {
    const object = z.object(shape).strict()
    const pre = SECTION_PREPROCESS[section]
    top[section] = (pre != null ? z.preprocess(pre, object) : object).optional()
  }
  return z.object(top).strict()
}

/** The node's configuration file schema (YAML or JSON), built from {@link SETTINGS}. */
export const fileConfigSchema = buildFileSchema()

/** The configuration file as written (validated by {@link fileConfigSchema}). */
export type FileConfig = Record<string, any>
