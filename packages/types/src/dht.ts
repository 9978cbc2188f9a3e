import type { AbortOptions } from './abort.js'
import type { PeerInfo } from './peer.js'
import type { Startable } from './startable.js'

/**
 * Checks a record before it is stored or accepted from the network. Throws
 * (any error) to reject it. Keys are strings such as `/CHORUS/ucxl/…`; the
 * validator for a key is chosen by the key's first path segment
 * (its namespace, `CHORUS` for `/CHORUS/…`).
 */
export type RecordValidator = (key: string, value: Uint8Array) => void | Promise<void>

/**
 * Chooses the best of several valid records for one key. Returns the index
 * of the winner. Must be deterministic: every node given the same records
 * picks the same one.
 */
export type RecordSelector = (key: string, values: Uint8Array[]) => number

/**
 * Decides, where a record is accepted (a local put, and a PUT from the
 * wire), whether a valid `incoming` record may replace the valid record the
 * node already `held` for the same key. Returns `false` to keep the held
 * one: the put is then refused with `RecordConflictError` and counts as a
 * refusal, not an acceptance. Identical bytes are always accepted (a
 * re-put). Without a replacer for a namespace, a record replaces the held
 * one only when the selector prefers it, so nothing is ever rolled back to
 * a record the selector ranks lower.
 */
export type RecordReplacer = (key: string, held: Uint8Array, incoming: Uint8Array) => boolean

/** Validators and selectors by namespace (the first segment of the key). */
export interface RecordPolicy {
  validators?: Record<string, RecordValidator>
  selectors?: Record<string, RecordSelector>
  /** Replacement rules by namespace; see {@link RecordReplacer}. */
  replacers?: Record<string, RecordReplacer>
}

/** Options of {@link DHT.putValue}. */
export interface PutValueOptions extends AbortOptions {
  /**
   * Ask at least this many remote peers to store the record before
   * resolving, when that many exist.
   * @default implementation-defined (all of the closest peers found)
   */
  minPeers?: number
}

/** What a put achieved. */
export interface PutResult {
  /** Remote peers that accepted the record. 0 for a lone node, which still stores it locally. */
  remotePeers: number
  /** Ids of the remote peers that accepted the record. */
  peers: string[]
  /**
   * Remote peers that answered but did not store the record: they hold one
   * for the key that their replacement rule keeps (`RecordConflictError` on
   * their side). A peer that could not be reached is not counted here.
   */
  refusedPeers: number
}

/** Options of {@link DHT.getValue}. */
export interface GetValueOptions extends AbortOptions {
  /**
   * How many valid answers (the local copy counts as one) to collect before
   * the selector chooses. `1` returns the first valid answer, which is
   * right for immutable records. Fewer answers are accepted when fewer
   * peers exist.
   * @default 1
   */
  quorum?: number
  /** Skip the local store and ask the network only. @default false */
  remoteOnly?: boolean
}

/** Options of {@link DHT.findProviders}. */
export interface FindProvidersOptions extends AbortOptions {
  /** Stop after this many providers. @default 20 */
  limit?: number
}

/** Counters every DHT reports. */
export interface DHTStats {
  /** Distinct peers in the routing table or mock network, this node excluded. */
  totalPeers: number
  /** Records held in the local store. */
  totalKeys: number
  /** Milliseconds since start, 0 when stopped. */
  uptime: number
  /** Currently connected peers. */
  connectedPeers: number
}

/**
 * The DHT contract every implementation fulfils (dht-core's libp2p node,
 * hybrid-mock's `MockDHT` and `HybridDHT`), checked by one compliance suite.
 *
 * Keys are strings; values are bytes. Every async method takes
 * `AbortOptions` and applies a default timeout. Errors by `name`:
 * `NotFoundError` (no valid record anywhere), `BackendUnavailableError`
 * (the answer is unknown because the backend cannot be reached),
 * `NotStartedError`, `TimeoutError`, `AbortError`,
 * `InvalidParametersError` (a record that fails its validator, a bad key).
 */
export interface DHT extends Startable {
  /** This node's peer id. */
  readonly peerId: string

  /**
   * Validates the record, stores it locally and on the closest peers.
   * A record that fails validation is refused before anything is stored
   * (`InvalidParametersError`); one that the local replacement rule refuses
   * (the node holds a record for the key that it keeps) throws
   * `RecordConflictError` before anything is sent.
   */
  putValue(key: string, value: Uint8Array, options?: PutValueOptions): Promise<PutResult>

  /**
   * Finds the best valid record for a key: collects up to `quorum` valid
   * answers and lets the selector choose. Throws `NotFoundError` when no
   * valid record exists.
   */
  getValue(key: string, options?: GetValueOptions): Promise<Uint8Array>

  /**
   * Asks one peer (or this node, when `peerId` is its own) for its copy of
   * a record, without a network-wide query. Resolves `undefined` when that
   * peer holds no valid copy; throws `BackendUnavailableError` when the
   * peer cannot be reached. Used to measure replicas.
   */
  getValueFromPeer(peerId: string, key: string, options?: AbortOptions): Promise<Uint8Array | undefined>

  /** Ids of the peers closest to the key that this node can find (itself excluded). */
  getClosestPeers(key: string, options?: AbortOptions & { limit?: number }): Promise<string[]>

  /** Announces that this node provides `key` (a string, hashed to a CID). */
  provide(key: string, options?: AbortOptions): Promise<void>

  /** Peers that announced `key`. Empty when there are none. */
  findProviders(key: string, options?: FindProvidersOptions): Promise<PeerInfo[]>

  /** Joins the network through the configured bootstrap peers. */
  bootstrap(options?: AbortOptions): Promise<void>

  /** Whether this node is connected to at least one peer of the network. */
  isBootstrapped(): boolean

  /** Currently connected peers. */
  getConnectedPeers(): PeerInfo[]

  getStats(): DHTStats

  /**
   * Removes this node's local copy of `key`, but only when it is exactly
   * `value` (a writer withdrawing its own claim that lost). Resolves whether
   * a record was removed. Remote copies are not touched.
   */
  removeLocal(key: string, value: Uint8Array, options?: AbortOptions): Promise<boolean>
}
