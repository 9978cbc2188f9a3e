import { NotFoundError } from '@chorus-dht/types'
import * as c from './constants.js'
import { xorHex } from '@chorus-dht/utils'
import { keyPoint, peerPoint } from './distance.js'
import type { ProviderInfo, ReplicationHealth, ReplicationMetrics, ReplicationStatus } from '@chorus-dht/types'

/** What this node knows of one peer holding (or announcing) one key. */
export interface ProviderRecord {
  peerId: string
  addedAt: number
  /** 0 until the peer first answered yes. */
  lastSeen: number
  /** Most recent check outcomes, oldest first, at most `qualityWindow`. */
  outcomes: boolean[]
  /** The answer of the latest check that asked this peer. */
  lastAnswer?: boolean
  distance: string
}

/** One tracked key. */
export interface ContentEntry {
  key: string
  /** sha-256 of the key, for XOR distances. */
  point: Uint8Array
  size: number
  priority: number
  lastReplication: number
  lastChecked: number
  /** Peers that answered yes at the latest measurement, closest first. */
  replicas: string[]
  providers: Map<string, ProviderRecord>
  needsRepair: boolean
  /** Repairs of this key in progress (background or `repairContent`). */
  repairing: number
  repairAttempts: number
  nextRepairAt: number
}

/** The counters of {@link ReplicationMetrics} the operations add to. */
export type Counters = Pick<ReplicationMetrics, 'reprovideOperations' | 'successfulReplications' | 'failedReplications' | 'repairs' | 'lastReprovideTime' | 'lastCleanupTime'>

export function newCounters (): Counters {
  return { reprovideOperations: 0, successfulReplications: 0, failedReplications: 0, repairs: 0, lastReprovideTime: 0, lastCleanupTime: 0 }
}

/** What the provider book needs to know. */
export interface ProviderBookInit {
  /** Replicas a key needs to be healthy. */
  replicationFactor: number
  /** Provider records kept per key. */
  maxProvidersPerKey: number
}

/**
 * The tracked keys and, per key, the peers known to hold it: their records,
 * qualities and distances, the health a key's latest measurement gives, and
 * the census of `getMetrics`. Pure bookkeeping: it asks no one.
 */
export class ProviderBook {
  private readonly init: ProviderBookInit
  private readonly entries = new Map<string, ContentEntry>()
  private readonly peerPoints = new Map<string, Uint8Array>()

  constructor (init: ProviderBookInit) {
    this.init = init
  }

  get size (): number {
    return this.entries.size
  }

  /** Tracks `key`, or updates its size and priority; returns its entry and whether it is new. */
  upsert (key: string, size: number, priority: number): { entry: ContentEntry, added: boolean } {
    const entry = this.entries.get(key)
    if (entry != null) {
      entry.size = size
      entry.priority = priority
      return { entry, added: false }
    }
    const added: ContentEntry = {
      key,
      point: keyPoint(key),
      size,
      priority,
      lastReplication: 0,
      lastChecked: 0,
      replicas: [],
      providers: new Map(),
      needsRepair: false,
      repairing: 0,
      repairAttempts: 0,
      nextRepairAt: 0
    }
    this.entries.set(key, added)
    return { entry: added, added: true }
  }

  /** Stops tracking `key`; false when it was not tracked. */
  delete (key: string): boolean {
    return this.entries.delete(key)
  }

  /** The entry of a tracked key, or `undefined`. */
  find (key: string): ContentEntry | undefined {
    return this.entries.get(key)
  }

  /** The entry of a tracked key; throws `NotFoundError` otherwise. */
  get (key: string): ContentEntry {
    const e = this.entries.get(key)
    if (e == null) throw new NotFoundError(`key ${key} is not tracked`)
    return e
  }

  /** Whether `e` is still the tracked entry of its key (not removed, not re-added). */
  isTracked (e: ContentEntry): boolean {
    return this.entries.get(e.key) === e
  }

  /** Every tracked entry, highest priority first. */
  byPriority (): ContentEntry[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority)
  }

  values (): IterableIterator<ContentEntry> {
    return this.entries.values()
  }

  health (e: ContentEntry): ReplicationHealth {
    const n = e.replicas.length
    if (n >= this.init.replicationFactor) return 'healthy'
    return n > 0 ? 'degraded' : 'critical'
  }

  statusOf (e: ContentEntry): ReplicationStatus {
    let healthyProviders = 0
    for (const rec of e.providers.values()) {
      if (rec.lastAnswer === true && quality(rec) >= c.HEALTHY_PROVIDER_QUALITY) healthyProviders++
    }
    return {
      key: e.key,
      targetReplicas: this.init.replicationFactor,
      actualReplicas: e.replicas.length,
      healthyProviders,
      lastReplication: e.lastReplication,
      lastChecked: e.lastChecked,
      replicationNodes: [...e.replicas],
      health: this.health(e),
      priority: e.priority,
      size: e.size
    }
  }

  /** The census part of the metrics: key health, provider records, mean replicas. */
  census (): Omit<ReplicationMetrics, keyof Counters> {
    let healthyKeys = 0
    let degradedKeys = 0
    let criticalKeys = 0
    let totalProviders = 0
    let replicas = 0
    for (const e of this.entries.values()) {
      const h = this.health(e)
      if (h === 'healthy') healthyKeys++
      else if (h === 'degraded') degradedKeys++
      else criticalKeys++
      totalProviders += e.providers.size
      replicas += e.replicas.length
    }
    return {
      totalKeys: this.entries.size,
      totalProviders,
      healthyKeys,
      degradedKeys,
      criticalKeys,
      averageReplication: this.entries.size === 0 ? 0 : replicas / this.entries.size
    }
  }

  /** A fresh record of `peerId` for the key at `keyPt`. */
  newRecord (keyPt: Uint8Array, peerId: string, now: number, lastSeen: number): ProviderRecord {
    return { peerId, addedAt: now, lastSeen, outcomes: [], distance: this.distance(keyPt, peerId) }
  }

  /** Keeps the best `maxProvidersPerKey` provider records: those that answered yes last, then by quality, recency, distance. */
  trim (e: ContentEntry): void {
    if (e.providers.size <= this.init.maxProvidersPerKey) return
    const keep = [...e.providers.values()]
      .sort((a, b) => Number(b.lastAnswer === true) - Number(a.lastAnswer === true) || compareProviders(providerInfo(a), providerInfo(b)))
      .slice(0, this.init.maxProvidersPerKey)
    e.providers = new Map(keep.map(r => [r.peerId, r]))
  }

  /** Drops the records not confirmed for longer than `ttl`; returns how many. */
  dropStale (now: number, ttl: number): number {
    let dropped = 0
    for (const e of this.entries.values()) {
      for (const rec of e.providers.values()) {
        if (now - (rec.lastSeen || rec.addedAt) > ttl) {
          e.providers.delete(rec.peerId)
          dropped++
        }
      }
    }
    return dropped
  }

  /** XOR distance of `peerId` to the key at `keyPt` (the peer's point is cached). */
  distance (keyPt: Uint8Array, peerId: string): string {
    let pt = this.peerPoints.get(peerId)
    if (pt == null) {
      pt = peerPoint(peerId)
      // bounded: peer ids seen while measuring
      if (this.peerPoints.size >= 10_000) this.peerPoints.clear()
      this.peerPoints.set(peerId, pt)
    }
    return xorHex(keyPt, pt)
  }
}

/** Share of yes answers among the record's recent outcomes; {@link c.UNKNOWN_PROVIDER_QUALITY} when never checked. */
export function quality (rec: ProviderRecord): number {
  if (rec.outcomes.length === 0) return c.UNKNOWN_PROVIDER_QUALITY
  return rec.outcomes.filter(Boolean).length / rec.outcomes.length
}

export function providerInfo (rec: ProviderRecord): ProviderInfo {
  return { peerId: rec.peerId, addedAt: rec.addedAt, lastSeen: rec.lastSeen, quality: quality(rec), distance: rec.distance }
}

export function compareHex (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Best first: quality, then most recently seen, then closest. */
export function compareProviders (a: ProviderInfo, b: ProviderInfo): number {
  return b.quality - a.quality || b.lastSeen - a.lastSeen || compareHex(a.distance, b.distance)
}
