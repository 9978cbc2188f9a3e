/** Replica health: `healthy` actual ≥ target, `degraded` 0 < actual < target, `critical` 0. */
export type ReplicationHealth = 'healthy' | 'degraded' | 'critical'

/** A peer known to hold a key. */
export interface ProviderInfo {
  peerId: string
  /** ms since the epoch */
  addedAt: number
  /** ms since the epoch of the last successful check */
  lastSeen: number
  /** 0..1 from recent check outcomes */
  quality: number
  /** XOR distance between the peer id and the key, hex */
  distance: string
}

/** What is known about one key's replicas. */
export interface ReplicationStatus {
  key: string
  targetReplicas: number
  /** Peers that answered "yes, I hold it" recently (this node included). */
  actualReplicas: number
  healthyProviders: number
  /** ms since the epoch; 0 when never */
  lastReplication: number
  /** ms since the epoch of the last measurement; 0 when never */
  lastChecked: number
  replicationNodes: string[]
  health: ReplicationHealth
  priority: number
  size: number
}

/** Counters the replication manager reports. */
export interface ReplicationMetrics {
  totalKeys: number
  totalProviders: number
  reprovideOperations: number
  successfulReplications: number
  failedReplications: number
  repairs: number
  healthyKeys: number
  degradedKeys: number
  criticalKeys: number
  /** ms since the epoch */
  lastReprovideTime: number
  /** ms since the epoch */
  lastCleanupTime: number
  averageReplication: number
}
