/**
 * Defaults of `@chorus-dht/dht-core`, resolved once when a node is created.
 *
 * @packageDocumentation
 */

/** Kademlia protocol id: the `/CHORUS` prefix of CHORUS. */
export const DEFAULT_PROTOCOL = '/CHORUS/kad/1.0.0'
/** The peer-info protocol answering agent, role and capabilities as JSON. */
export const PEER_INFO_PROTOCOL = '/CHORUS/peer-info/1.0.0'
/** Bootstrap timeout, ms. */
export const DEFAULT_BOOTSTRAP_TIMEOUT = 30_000
/** Interval of the auto-bootstrap loop while not connected, ms. */
export const DEFAULT_BOOTSTRAP_INTERVAL = 30_000
/**
 * Discovery interval, ms (±20% per round). A round is one provider lookup
 * plus a peer-info request to each provider not seen for an interval.
 */
export const DEFAULT_DISCOVERY_INTERVAL = 10 * 60_000
/** Peer-info requests of one discovery round, at most. */
export const MAX_DISCOVERY_REFRESHES = 20
/** How often kad-dht looks the node itself up, ms (±20% per node; kad-dht's own default is 5 min). */
export const DEFAULT_QUERY_SELF_INTERVAL = 10 * 60_000
/** How often kad-dht refreshes its routing table, ms (±20% per node; kad-dht 16 fixes 5 min, go-libp2p-kad-dht uses 10). */
export const DEFAULT_ROUTING_TABLE_REFRESH_INTERVAL = 10 * 60_000
/** Peer cleanup interval, ms. */
export const DEFAULT_PEER_CLEANUP_INTERVAL = 5 * 60_000
/** Discovered peers unseen for longer than this are dropped, ms. */
export const DEFAULT_PEER_TTL = 60 * 60_000
/** Upper bound of the random delay before the first bootstrap dial, ms. */
export const DEFAULT_JOIN_STAGGER = 2_000
/** Default timeout of value and provider queries, ms. */
export const DEFAULT_QUERY_TIMEOUT = 30_000
/** Default timeout of a request to one peer (getValueFromPeer, peer-info), ms. */
export const DEFAULT_PEER_REQUEST_TIMEOUT = 10_000
/** Default listen address of the TCP transport. */
export const DEFAULT_TCP_LISTEN = '/ip4/127.0.0.1/tcp/0'
/** Default agent version announced by identify. */
export const DEFAULT_AGENT_VERSION = 'chorus-dht/0.1.0'
/** Default `limit` of findProviders and findPeersByRole. */
export const DEFAULT_PROVIDER_LIMIT = 20
/** Maximum size of a peer-info answer, bytes. */
export const MAX_PEER_INFO_SIZE = 16 * 1024
/** Provider key announced by every registered peer. */
export const PEER_PROVIDER_KEY = 'CHORUS:peer'
/** Provider key prefix of roles. */
export const ROLE_PROVIDER_PREFIX = 'CHORUS:role:'
/** Provider key prefix of capabilities. */
export const CAPABILITY_PROVIDER_PREFIX = 'CHORUS:capability:'
/** Datastore prefix under which kad-dht stores records. */
export const RECORD_DATASTORE_PREFIX = '/dht/record'
/** How often libp2p's connection monitor pings each open connection, ms (libp2p's own default is 10 s). */
export const DEFAULT_CONNECTION_PING_INTERVAL = 60_000
/** Timeout of the one ping sent to a routing-table peer that disconnected, ms. */
export const DEFAULT_PEER_CHECK_TIMEOUT = 5_000
/** A peer found unreachable is pinged before it may rejoin the routing table for this long, ms. */
export const UNREACHABLE_PEER_TTL = 10 * 60_000
/** Upper bound of disconnect liveness checks in flight. */
export const MAX_PEER_CHECKS = 32
/** Inbound PUT_VALUE records one peer may send per second, on average. */
export const DEFAULT_INBOUND_PUT_RATE = 100
/** Inbound PUT_VALUE records one peer may send at once (per window of burst / rate seconds). */
export const DEFAULT_INBOUND_PUT_BURST = 500
/** Records one peer's PUTs may make this node hold. */
export const DEFAULT_MAX_RECORDS_PER_PEER = 10_000
/** Bytes (serialized records) one peer's PUTs may make this node hold. */
export const DEFAULT_MAX_BYTES_PER_PEER = 64 * 1024 * 1024
/** Strikes within the strike window after which a peer is banned. */
export const DEFAULT_MAX_PEER_STRIKES = 20
/** The window in which strikes are counted, ms. */
export const DEFAULT_STRIKE_WINDOW = 10 * 60_000
/** How long a banned peer is refused, ms. */
export const DEFAULT_BAN_DURATION = 10 * 60_000

/**
 * Remote acceptances after which a put resolves, unless the call passes
 * `minPeers` (the storage layer's replication factor is 3).
 */
export const DEFAULT_PUT_MIN_PEERS = 3
/** How many of the closest peers a put places the record on, in all (kad-dht's k). */
export const DEFAULT_PUT_REPLICAS = 20
/** How long the rest of a put may run in the background after it resolved, ms. */
export const DEFAULT_PUT_BACKGROUND_TIMEOUT = 30_000
/** FIND_NODE requests in flight during the lookup of one put (go-libp2p-kad-dht's alpha). */
export const PUT_LOOKUP_ALPHA = 3

/** The prefix of the node's log component names. */
export const DEFAULT_LOG_PREFIX = 'chorus-dht:dht-core'
