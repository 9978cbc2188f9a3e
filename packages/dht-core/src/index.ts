// Over 400 lines: this file is the package's whole public surface (STYLE
// rule 6), and most of it is the JSDoc of every ChorusDHTInit option.
/**
 * @packageDocumentation
 *
 * The libp2p Kademlia node of chorus-dht: a libp2p node running
 * `@libp2p/kad-dht` under `/CHORUS/kad/1.0.0`, behind the `DHT` and
 * `RoleDiscovery` contracts of `@chorus-dht/types`.
 *
 * @example
 *
 * ```ts
 * import { createChorusDHT } from '@chorus-dht/dht-core'
 *
 * const policy = {
 *   validators: { CHORUS: (key: string, value: Uint8Array) => { if (value.length === 0) throw new Error('empty') } },
 *   selectors: { CHORUS: () => 0 }
 * }
 * const a = await createChorusDHT({ transports: ['memory'], allowPrivateAddresses: true, joinStagger: 0, ...policy })
 * const b = await createChorusDHT({ transports: ['memory'], allowPrivateAddresses: true, joinStagger: 0, bootstrapPeers: a.getMultiaddrs(), ...policy })
 * await b.bootstrap()
 *
 * const result = await b.putValue('/CHORUS/hello', new TextEncoder().encode('world'))
 * console.info('stored on %d remote peers', result.remotePeers)
 * console.info(new TextDecoder().decode(await a.getValue('/CHORUS/hello')))
 *
 * await b.stop()
 * await a.stop()
 * ```
 */

// Must run before any libp2p code: Node 20 lacks Promise.withResolvers.
import './polyfill.js'
import { ChorusDHTNode } from './chorus-dht.js'
import type {
  AgentInfo,
  Clock,
  ComponentLogger,
  DHT,
  RandomSource,
  RecordReplacer,
  RecordSelector,
  RecordValidator,
  RoleDiscovery,
  RolePeer
} from '@chorus-dht/types'
import type { ConnectionGater, Libp2p, Metrics, PrivateKey } from '@libp2p/interface'
import type { KadDHT, KadDHTInit } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'

export * from './constants.js'
export * from './errors.js'
export { providerKeyToCID } from './keys.js'

/** A transport the node can listen and dial on. */
export type ChorusTransport = 'tcp' | 'memory'

/** How the node takes part in the DHT. */
export type ChorusDHTMode = 'auto' | 'client' | 'server'

/** Configuration of {@link createChorusDHT}. Every field is optional. */
export interface ChorusDHTInit {
  /**
   * The prefix of the node's log component names; its parts extend it
   * (`${logPrefix}:abuse`, `:record-guard`, `:peer-liveness`).
   * @default 'chorus-dht:dht-core'
   */
  logPrefix?: string
  /**
   * Multiaddrs to listen on.
   * @default ['/ip4/127.0.0.1/tcp/0'] with the tcp transport, a fresh `/memory/<uuid>` with the memory transport
   */
  listen?: string[]

  /**
   * Transports to enable. `memory` only connects nodes in the same process
   * (tests, simulations).
   * @default ['tcp']
   */
  transports?: ChorusTransport[]

  /**
   * Multiaddrs of bootstrap peers. An address that ends in `/p2p/<id>` only
   * accepts a peer with that id: a different peer answering is rejected.
   * @default []
   */
  bootstrapPeers?: string[]

  /**
   * How long one bootstrap attempt may take, ms.
   * @default 30000
   */
  bootstrapTimeout?: number

  /**
   * Interval of the auto-bootstrap loop while the node is not connected, ms.
   * @default 30000
   */
  bootstrapInterval?: number

  /**
   * Whether the node bootstraps by itself on start (after the join stagger)
   * and then every `bootstrapInterval` while it is not connected.
   * @default true
   */
  autoBootstrap?: boolean

  /**
   * Upper bound of a random delay before the first bootstrap dial, ms, so
   * that many nodes started together do not hit the bootstrap peers at once.
   * `0` dials immediately.
   * @default 2000
   */
  joinStagger?: number

  /**
   * Interval of the discovery of `CHORUS:peer` providers, ms (±20% per
   * round). Each round is one provider lookup, then a peer-info request to
   * at most 20 providers not seen for an interval.
   * @default 600000
   */
  discoveryInterval?: number

  /**
   * Interval of the cleanup of discovered peers, ms.
   * @default 300000
   */
  peerCleanupInterval?: number

  /**
   * Discovered peers not seen for longer than this are dropped, ms.
   * @default 3600000
   */
  peerTTL?: number

  /**
   * `server` answers DHT queries, `client` only asks. `auto` lets kad-dht
   * switch to server once the node has a public address, or is server right
   * away when `allowPrivateAddresses` is on.
   * @default 'auto'
   */
  mode?: ChorusDHTMode

  /**
   * LAN / loopback mode. The kad-dht defaults assume the public internet:
   * a node stays a client while it only has private or loopback addresses,
   * and peers with only such addresses are dropped from the routing table.
   * Turn this on for a LAN, loopback or memory-transport deployment: `auto`
   * mode becomes server mode and peers' addresses are kept as they are.
   * @default false
   */
  allowPrivateAddresses?: boolean

  /**
   * The Kademlia protocol id.
   * @default '/CHORUS/kad/1.0.0'
   */
  protocol?: string

  /**
   * Record validators by namespace (the first segment of the key: `CHORUS`
   * for `/CHORUS/…`). A put for a namespace without a validator is refused
   * (`InvalidParametersError`), since every remote peer would refuse it.
   * @default {}
   */
  validators?: Record<string, RecordValidator>

  /**
   * Record selectors by namespace. Without one, the first valid answer (the
   * local copy first) wins.
   * @default {}
   */
  selectors?: Record<string, RecordSelector>

  /**
   * Replacement rules by namespace (see `RecordReplacer`): whether a valid
   * incoming record may replace the valid record this node already holds
   * for the key. Enforced wherever a record is accepted: a local
   * `putValue`, a PUT_VALUE from any peer (chorus-dht or stock kad-dht) and
   * kad-dht's correction records. A refused record is not stored
   * (`RecordConflictError`; a remote putter sees the refusal in
   * `refusedPeers`). Identical bytes are always accepted. Without a replacer
   * for a namespace, a record replaces the held one only when the
   * namespace's selector prefers it (`selector(key, [held, incoming]) === 1`);
   * a namespace with neither keeps the last write.
   * @default {}
   */
  replacers?: Record<string, RecordReplacer>

  /**
   * Default timeout of network queries (getValue, putValue, provide,
   * findProviders, getClosestPeers, findPeersByRole), ms.
   * @default 30000
   */
  queryTimeout?: number

  /**
   * Default timeout of a request to one peer (getValueFromPeer, peer-info), ms.
   * @default 10000
   */
  peerRequestTimeout?: number

  /**
   * What this node says about itself on `/CHORUS/peer-info/1.0.0` until
   * `registerPeer` replaces it.
   * @default { agent: '', role: '', capabilities: [] }
   */
  agent?: Partial<AgentInfo>

  /**
   * The agent version announced by identify.
   * @default 'chorus-dht/0.1.0'
   */
  agentVersion?: string

  /**
   * Multiaddrs (with `/ipcidr/`) that may always open connections, exempt
   * from the per-host inbound rate limit (5 per second) and the connection
   * limit. Useful when many loopback nodes join at once.
   * @default []
   */
  allow?: string[]

  /**
   * Ping every new routing-table contact before adding it, as stock kad-dht
   * does. That costs a connection (a noise handshake) per peer named in any
   * query answer and dominates the CPU of joining; by default chorus-dht adds
   * contacts directly and pings only contacts recently found unreachable;
   * dead peers leave the routing table when a request to them fails or when
   * they disconnect and do not answer a ping (see `peerCheckTimeout`).
   * @default false
   */
  pingNewContacts?: boolean

  /**
   * When a routing-table peer disconnects it is pinged once, with this
   * timeout, and removed from the routing table if it does not answer, ms.
   * @default 5000
   */
  peerCheckTimeout?: number

  /**
   * How often libp2p's connection monitor pings every open connection to
   * detect dead ones, ms. libp2p's default of 10 s is a stream per
   * connection every 10 s: most of an idle node's CPU.
   * @default 60000
   */
  connectionPingInterval?: number

  /**
   * Inbound PUT_VALUE records one peer may send per second, on average:
   * at most `inboundPutBurst` records per fixed window of
   * `inboundPutBurst / inboundPutRate` seconds (libp2p's `RateLimiter`).
   * A record over the limit is not stored and the putter's stream is reset
   * (the refusal it sees). `Infinity` turns the limit off.
   * @default 100
   */
  inboundPutRate?: number

  /**
   * Inbound PUT_VALUE records one peer may send at once (see
   * `inboundPutRate`). A positive integer.
   * @default 500
   */
  inboundPutBurst?: number

  /**
   * Records one peer's PUT_VALUEs may make this node hold. A record belongs
   * to the last peer whose PUT stored it (a re-put by another peer moves
   * it; this node's own writes belong to nobody); a PUT that would go past
   * the quota is refused. The bookkeeping is in memory and restarts empty.
   * `Infinity` turns the quota off.
   * @default 10000
   */
  maxRecordsPerPeer?: number

  /**
   * Bytes (serialized records) one peer's PUT_VALUEs may make this node
   * hold; see `maxRecordsPerPeer`. `Infinity` turns the quota off.
   * @default 67108864 (64 MiB)
   */
  maxBytesPerPeer?: number

  /**
   * Strikes within `strikeWindow` after which a peer is banned for
   * `banDuration`: hung up on, dropped from the routing table and refused
   * by the connection gater. An invalid record is one strike; rate-limit
   * and quota refusals are one strike per rate window (a burst costs one,
   * not one per record); a record refused because this node holds one its
   * replacement rule keeps is none. `Infinity` never bans.
   * @default 20
   */
  maxPeerStrikes?: number

  /**
   * The window in which a peer's strikes are counted (a fixed window opened
   * by its first strike), ms.
   * @default 600000
   */
  strikeWindow?: number

  /**
   * How long a banned peer is refused, ms; the ban then ends by itself
   * (`stop()` ends every ban).
   * @default 600000
   */
  banDuration?: number

  /**
   * A libp2p connection gater, consulted after chorus-dht's own (which
   * refuses banned peers). libp2p keeps the gater chorus-dht builds as
   * `components.connectionGater`; its peer methods (`denyDialPeer`,
   * `denyInbound/OutboundEncryptedConnection`,
   * `denyInbound/OutboundUpgradedConnection`) may be assigned to add a
   * check and assigned back to what was read to remove it (not deleted).
   * @default {}
   */
  connectionGater?: ConnectionGater

  /**
   * Start the node before `createChorusDHT` resolves.
   * @default true
   */
  start?: boolean

  /**
   * Remote acceptances after which `putValue` resolves when the call passes
   * no `minPeers`. The rest of the placement (up to `putReplicas` peers)
   * finishes in the background. See the README, "The put".
   * @default 3
   */
  putMinPeers?: number
  /**
   * How many of the closest peers a put places the record on, in all.
   * @default `kadDHT.kBucketSize` when given, else 20 (kad-dht's k)
   */
  putReplicas?: number
  /**
   * How long the background part of a put may run after the put resolved,
   * ms. Stopping the node ends it too.
   * @default 30000
   */
  putBackgroundTimeout?: number
  /**
   * How often kad-dht refreshes its routing table (a lookup per bucket
   * depth), ms, ±20% per node.
   * @default 600000
   */
  routingTableRefreshInterval?: number
  /**
   * Advanced: options passed to `@libp2p/kad-dht` as they are, after the
   * ones chorus-dht derives (protocol, mode, mapper, validators, selectors).
   * @default {}
   */
  kadDHT?: Partial<KadDHTInit>
}

/** Collaborators of a {@link ChorusDHT}; each one is optional. */
export interface ChorusDHTComponents {
  /**
   * Where records, provider records and the peer store live. Pass a
   * persistent one (with the same `privateKey`) for records to survive a
   * restart.
   * @default a new `MemoryDatastore`
   */
  datastore?: Datastore
  /** @default `defaultLogger()` of `@libp2p/logger` */
  logger?: ComponentLogger
  /**
   * The node's libp2p key, which fixes its peer id.
   * @default a new Ed25519 key
   */
  privateKey?: PrivateKey
  /** Wall clock for uptime and peer freshness. @default `Date` */
  clock?: Clock
  /** Randomness of the join stagger. @default `Math.random` */
  random?: RandomSource
  /**
   * libp2p's metrics implementation, passed to `createLibp2p` as its
   * `metrics` option: e.g. `prometheusMetrics({ registry })` of
   * `@libp2p/prometheus-metrics` for libp2p's own connection, stream,
   * protocol and kad-dht metrics.
   * @default none (libp2p collects no metrics)
   */
  metrics?: (components: any) => Metrics
}

/** The kad-dht service as chorus-dht runs it. */
export interface ChorusServices extends Record<string, unknown> {
  dht: KadDHT
  ping: Ping
}

/**
 * Why a PUT_VALUE from a peer was refused: `invalid` (no record, or kad-dht's
 * validation refused it), `rate-limited` (over `inboundPutRate`), `quota`
 * (over `maxRecordsPerPeer` / `maxBytesPerPeer`), `conflict` (this node
 * holds a record its replacement rule keeps), `banned` (from a banned peer
 * whose connection was still closing).
 */
export type RejectReason = 'invalid' | 'rate-limited' | 'quota' | 'conflict' | 'banned'

/**
 * What peers tried to make this node store and what it refused, since the
 * node was created (counters) or right now (`bannedPeers`,
 * `peersHoldingRecords`). See `ChorusDHT.getAbuseStats`.
 */
export interface AbuseStats {
  /** PUT_VALUEs from peers that were stored. */
  accepted: number
  /** PUT_VALUEs from peers that were refused, by reason. */
  rejected: Record<RejectReason, number>
  /** Quota refusals by the limit that was hit. */
  quotaHits: { records: number, bytes: number }
  /** Strikes counted against peers. */
  strikes: number
  /** Bans imposed. */
  bans: number
  /** Dials and connections the connection gater refused because the peer was banned. */
  gaterRefusals: number
  /** Peers banned right now. */
  bannedPeers: string[]
  /** Peers whose PUTs this node holds at least one record of. */
  peersHoldingRecords: number
}

/**
 * A chorus-dht node: the `DHT` and `RoleDiscovery` contracts over libp2p and
 * kad-dht, plus access to the node underneath.
 */
export interface ChorusDHT extends DHT, RoleDiscovery {
  /** The libp2p node underneath, for advanced use. */
  readonly libp2p: Libp2p<ChorusServices>
  /** This node's listen addresses, each ending in `/p2p/<peerId>`. */
  getMultiaddrs(): string[]
  /** Whether the node is started. */
  isStarted(): boolean
  /** Same as `stop()` (the CHORUS name). */
  close(): Promise<void>
  /** This node's own peer-info answer. */
  getAgentInfo(): AgentInfo
  /** Peers learnt through discovery or peer-info, with what they said about themselves. */
  getDiscoveredPeers(): RolePeer[]
  /** Distinct peer ids in the routing table. */
  getRoutingTablePeers(): string[]
  /** The DHT mode kad-dht is in right now. */
  getMode(): 'client' | 'server'
  /** Refused writes, strikes and bans (see "Hostile peers" in the README). */
  getAbuseStats(): AbuseStats
}

/**
 * Creates a chorus-dht node. It is started before the promise resolves
 * unless `init.start` is `false`; call `start()` then.
 */
export async function createChorusDHT (init: ChorusDHTInit = {}, components: ChorusDHTComponents = {}): Promise<ChorusDHT> {
  const node = await ChorusDHTNode.create(init, components)
  if (init.start !== false) {
    await node.start()
  }
  return node
}

/** The defaults of the settings an application may show or pass on (the node's config does). */
export { DEFAULT_BOOTSTRAP_TIMEOUT, DEFAULT_BOOTSTRAP_INTERVAL, DEFAULT_DISCOVERY_INTERVAL, DEFAULT_PEER_CLEANUP_INTERVAL, DEFAULT_PEER_TTL, DEFAULT_QUERY_TIMEOUT, DEFAULT_PUT_MIN_PEERS, DEFAULT_PUT_REPLICAS, DEFAULT_PUT_BACKGROUND_TIMEOUT, DEFAULT_PEER_REQUEST_TIMEOUT, DEFAULT_CONNECTION_PING_INTERVAL } from './constants.js'
