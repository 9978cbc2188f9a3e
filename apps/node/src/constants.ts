// The defaults of settings a library owns come from that library, so the node
// cannot drift from it (its config shows and passes them on).
export { DEFAULT_BOOTSTRAP_INTERVAL, DEFAULT_BOOTSTRAP_TIMEOUT, DEFAULT_CONNECTION_PING_INTERVAL, DEFAULT_DISCOVERY_INTERVAL, DEFAULT_PEER_CLEANUP_INTERVAL, DEFAULT_PEER_REQUEST_TIMEOUT, DEFAULT_PEER_TTL, DEFAULT_PUT_MIN_PEERS, DEFAULT_PUT_REPLICAS, DEFAULT_QUERY_TIMEOUT } from '@chorus-dht/dht-core'
export { DEFAULT_CACHE_CLEANUP_INTERVAL, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, DEFAULT_CACHE_TTL, DEFAULT_HEAD_QUORUM, DEFAULT_MAX_RECORD_SIZE, DEFAULT_MAX_REPUBLISH_ATTEMPTS, DEFAULT_RECONCILE_INTERVAL, DEFAULT_REPLICATION_FACTOR } from '@chorus-dht/encrypted-storage'
export { DEFAULT_CHECK_INTERVAL as DEFAULT_REPLICATION_CHECK_INTERVAL, DEFAULT_CLEANUP_INTERVAL as DEFAULT_REPLICATION_CLEANUP_INTERVAL, DEFAULT_MAX_CONCURRENT_REPLICATIONS, DEFAULT_MAX_PROVIDERS_PER_KEY, DEFAULT_PEER_QUERY_TIMEOUT, DEFAULT_PROVIDER_TTL, DEFAULT_REPROVIDE_INTERVAL } from '@chorus-dht/replication'
export { DEFAULT_HEALTH_CHECK_INTERVAL, DEFAULT_MAX_CONSECUTIVE_FAILURES } from '@chorus-dht/hybrid-mock'

/** Default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.chorus-dht'

/** Default HTTP API host: loopback only. */
export const DEFAULT_API_HOST = '127.0.0.1'

/** Default HTTP API port (CHORUS's API port). */
export const DEFAULT_API_PORT = 8080

/** Default libp2p TCP listen address (CHORUS's P2P port). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/9000']

/** Default maximum request body, bytes (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** Default role used for requests that name none. */
export const DEFAULT_ROLE = 'admin'

/** Default upper bound of an orderly shutdown, ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000

/** Default timeout of one API request against the storage layer, ms. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000

/** Default log level. */
export const DEFAULT_LOG_LEVEL = 'info'

/** Default log format: `pretty` on a terminal, `json` otherwise. */
export const DEFAULT_LOG_FORMAT = 'auto'

/** Default DHT mode of dht-core (SPEC §5). */
export const DEFAULT_DHT_MODE = 'auto'

/** Default interval of re-announcing this node's role and capabilities once joined, ms. */
export const DEFAULT_ANNOUNCE_INTERVAL = 5 * 60_000

/** Default interval of re-reading the role directory and this node's grants, ms. */
export const DEFAULT_AUTHORITY_REFRESH_INTERVAL = 60_000

/** Valid answers a read of the role directory or a grant collects before the newest is chosen. */
export const AUTHORITY_QUORUM = 3

/** Default source name in error envelopes. */
export const ENVELOPE_SOURCE = 'chorus-dht-node'

/** Files and folders inside the data directory. */
export const DATA_LAYOUT = {
  /** LevelDB datastore: records, providers, storage index, peer store, hybrid journal. */
  datastore: 'datastore',
  /** The libp2p private key (protobuf), mode 0600. */
  peerKey: 'peer-key',
  /** The role keystore (crypto-age). */
  keys: 'keys',
  /** The node's own age key pair (a crypto-age key store holding the role `node`). */
  nodeKey: 'node-key',
  /** What the node learnt from its authority: directory generation, grant sequences. */
  authorityState: 'authority.json',
  /** The audit log (JSON lines, hash-chained). */
  audit: 'audit.log',
  /** Runtime information of the running node (pid, API URL, peer id). */
  runtime: 'node.json'
} as const

/** Exit codes of the CLI. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2
} as const

/**
 * The log component prefixes the node gives its libraries (`logPrefix`),
 * the names `CHORUS_LOG` / `log.components` select by (a name covers the
 * components below it: `chorus-dht:dht` covers `chorus-dht:dht:hybrid-dht`).
 */
export const LOG_PREFIX = {
  node: 'chorus-dht:node',
  dht: 'chorus-dht:dht',
  storage: 'chorus-dht:storage',
  replication: 'chorus-dht:replication',
  http: 'chorus-dht:http'
} as const
