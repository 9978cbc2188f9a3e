/**
 * @packageDocumentation
 *
 * Tracks the content a node stores in the DHT, re-announces it on schedule,
 * measures how many peers really hold each key (by asking them) and repairs
 * keys that fall below their replication factor.
 *
 * @example
 *
 * ```ts
 * import { replicationManager } from '@chorus-dht/replication'
 *
 * // `dht` is any DHT of @chorus-dht/types (dht-core's node, hybrid-mock's MockDHT)
 * const replication = replicationManager({ replicationFactor: 3 })({ dht })
 * await replication.start()
 *
 * await dht.putValue('/CHORUS/doc/1', bytes)
 * const status = await replication.addContent('/CHORUS/doc/1', bytes.byteLength, 10)
 * console.log(status.health, status.actualReplicas, status.replicationNodes)
 *
 * await replication.stop()
 * ```
 */

import { ReplicationManagerImpl } from './replication-manager.js'
import type { AbortOptions, Clock, ComponentLogger, DHT, ProviderInfo, ReplicationMetrics, ReplicationStatus, ServiceStatus, Startable } from '@chorus-dht/types'

export * from './constants.js'
export * from './errors.js'
export { xorDistance } from './distance.js'
export type { ProviderInfo, ReplicationHealth, ReplicationMetrics, ReplicationStatus } from '@chorus-dht/types'

/**
 * Options of {@link replicationManager}. Every field is optional; the
 * defaults are the SPEC's (CHORUS's) where it has one.
 */
export interface ReplicationManagerInit {
  /**
   * The prefix of this manager's log component names.
   * @default 'chorus-dht:replication'
   */
  logPrefix?: string
  /**
   * Target replicas per key, this node included. A key is `healthy` with at
   * least this many measured replicas.
   * @default 3
   */
  replicationFactor?: number
  /**
   * How often every tracked key is re-announced (`dht.provide`), ms.
   * @default 43_200_000 (12 h)
   */
  reprovideInterval?: number
  /**
   * How often provider records older than `providerTTL` are dropped, ms.
   * @default 3_600_000 (1 h)
   */
  cleanupInterval?: number
  /**
   * A provider record whose peer has not confirmed holding the key for
   * this long is dropped by the cleanup, ms.
   * @default 86_400_000 (24 h)
   */
  providerTTL?: number
  /**
   * Provider records kept per key; also how many closest peers and how
   * many announced providers are asked when measuring.
   * @default 10
   */
  maxProvidersPerKey?: number
  /**
   * Whether a `degraded` or `critical` key is repaired automatically.
   * @default true
   */
  enableAutoReplication?: boolean
  /**
   * Whether tracked keys are announced on `addContent` and re-announced
   * every `reprovideInterval`.
   * @default true
   */
  enableReprovide?: boolean
  /**
   * Background replication operations (announcements, repairs, scheduled
   * checks) running at once; waiting ones start by priority, highest first.
   * @default 5
   */
  maxConcurrentReplications?: number
  /**
   * How often every tracked key's replicas are measured by the background
   * loop, ms.
   * @default 600_000 (10 min)
   */
  checkInterval?: number
  /**
   * Wait after a repair attempt that left the key unhealthy, ms; doubles
   * with every further failed attempt up to `maxRepairBackoff`.
   * @default 30_000
   */
  repairBackoff?: number
  /**
   * Upper bound of the repair back-off, ms.
   * @default 1_800_000 (30 min)
   */
  maxRepairBackoff?: number
  /**
   * Repair attempts allowed per `repairRateInterval`, across all keys.
   * Attempts over the limit wait for the window to move on.
   * @default 10
   */
  repairRateLimit?: number
  /**
   * The window of `repairRateLimit`, ms.
   * @default 60_000
   */
  repairRateInterval?: number
  /**
   * Deadline of one question to one peer while measuring, ms. A peer that
   * does not answer in time is counted as not holding the key.
   * @default 5_000
   */
  peerQueryTimeout?: number
  /**
   * Deadline of every async method called without a signal, and of each
   * background operation, ms.
   * @default 60_000
   */
  operationTimeout?: number
  /**
   * How many of a provider's most recent check outcomes its quality is
   * computed from.
   * @default 10
   */
  qualityWindow?: number
}

/** What the replication manager needs. */
export interface ReplicationManagerComponents {
  /** The DHT the content lives in. */
  dht: DHT
  /** Where logs go (`chorus-dht:replication`). @default no logging */
  logger?: ComponentLogger
  /** Wall-clock time for the timestamps it reports. @default `Date.now` */
  clock?: Clock
}

/**
 * Provider tracking, reprovide, measured replica health and repair for the
 * keys a node stores.
 *
 * Network operations (`addContent`, `provideContent`, `findProviders`,
 * `checkReplication`, `repairContent`) need the manager started
 * (`NotStartedError` otherwise); the synchronous reads work at any time.
 */
export interface ReplicationManager extends Startable {
  /** `stopped`, `starting`, `started` or `stopping`. */
  readonly status: ServiceStatus

  /**
   * Starts tracking `key` (or updates its size and priority), announces it
   * when reprovide is on, measures its replicas and, when it is not healthy
   * and auto-replication is on, schedules a repair. Resolves the status
   * after that first measurement.
   *
   * @param key - the DHT key of content this node stored
   * @param size - its size in bytes (reported, not checked)
   * @param priority - higher is served first by the background loops @default 0
   */
  addContent(key: string, size: number, priority?: number, options?: AbortOptions): Promise<ReplicationStatus>

  /**
   * Stops tracking `key`: it is no longer re-announced, measured or
   * repaired, and its provider records are forgotten. The record itself
   * stays in the DHT. Throws `NotFoundError` for an untracked key.
   */
  removeContent(key: string): void

  /** Announces now that this node provides `key`. Throws `NotFoundError` for an untracked key. */
  provideContent(key: string, options?: AbortOptions): Promise<void>

  /**
   * Peers known to hold `key`: the providers the DHT reports merged with the
   * peers measured holding it, best first (quality, then most recently
   * seen, then closest). Works for untracked keys too (nothing is kept).
   *
   * @param limit - at most this many @default maxProvidersPerKey
   */
  findProviders(key: string, limit?: number, options?: AbortOptions): Promise<ProviderInfo[]>

  /**
   * The status of `key` from its last measurement. A key whose measurement
   * never completed reports `lastChecked: 0`, no replicas and `critical`.
   * Throws `NotFoundError` for an untracked key.
   */
  getReplicationStatus(key: string): ReplicationStatus

  /**
   * Measures `key`'s replicas now: asks this node, the closest peers and
   * every known or announced provider whether they hold a valid copy.
   * Schedules a repair when the result is not healthy and auto-replication
   * is on. Throws `NotFoundError` for an untracked key.
   */
  checkReplication(key: string, options?: AbortOptions): Promise<ReplicationStatus>

  /**
   * One repair attempt now, whatever the back-off and auto-replication
   * settings: fetches the best copy (`getValue` with a quorum of the replicas
   * last measured), re-puts it, re-announces it and measures again. Counts against the rate limit but is not refused by it.
   * Throws `NotFoundError` for an untracked key, or from the DHT when no
   * copy is reachable.
   */
  repairContent(key: string, options?: AbortOptions): Promise<ReplicationStatus>

  /** The status of every tracked key, highest priority first. */
  listContent(): ReplicationStatus[]

  /** Counters and the current health census. */
  getMetrics(): ReplicationMetrics
}

/**
 * Creates a replication manager in the js-libp2p service shape:
 * `replicationManager(init)(components)`. Throws `InvalidParametersError`
 * for an out-of-range `Init` field.
 */
export function replicationManager (init: ReplicationManagerInit = {}): (components: ReplicationManagerComponents) => ReplicationManager {
  return (components) => new ReplicationManagerImpl(components, init)
}

/** The defaults of the settings an application may show or pass on (the node's config does). */
export { DEFAULT_REPROVIDE_INTERVAL, DEFAULT_CLEANUP_INTERVAL, DEFAULT_PROVIDER_TTL, DEFAULT_MAX_PROVIDERS_PER_KEY, DEFAULT_MAX_CONCURRENT_REPLICATIONS, DEFAULT_CHECK_INTERVAL } from './constants.js'
