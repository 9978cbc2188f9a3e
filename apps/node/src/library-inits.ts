import { LOG_PREFIX } from './constants.js'
import type { NodeConfig } from './config.js'
import type { EncryptedStorageInit } from '@chorus-dht/encrypted-storage'
import type { ReplicationManagerInit } from '@chorus-dht/replication'

/** What the node's settings make of encrypted-storage's init: every `storage.*` setting and the replication factor. */
export function storageInit (config: NodeConfig): EncryptedStorageInit {
  return {
    logPrefix: LOG_PREFIX.storage,
    maxRecordSize: config.storage.maxRecordSize,
    replicationFactor: config.replication.factor,
    cacheTtl: config.storage.cacheTtl,
    cacheMaxEntries: config.storage.cacheMaxEntries,
    cacheMaxBytes: config.storage.cacheMaxBytes,
    cacheCleanupInterval: config.storage.cacheCleanupInterval,
    headQuorum: config.storage.headQuorum,
    maxRepublishAttempts: config.storage.maxRepublishAttempts,
    reconcileInterval: config.storage.reconcileInterval
  }
}

/** What the node's settings make of the replication manager's init: every `replication.*` setting but `enabled` (whether the node runs one at all). */
export function replicationInit (config: NodeConfig): ReplicationManagerInit {
  return {
    logPrefix: LOG_PREFIX.replication,
    replicationFactor: config.replication.factor,
    reprovideInterval: config.replication.reprovideInterval,
    cleanupInterval: config.replication.cleanupInterval,
    providerTTL: config.replication.providerTTL,
    maxProvidersPerKey: config.replication.maxProvidersPerKey,
    maxConcurrentReplications: config.replication.maxConcurrentReplications,
    checkInterval: config.replication.checkInterval,
    enableAutoReplication: config.replication.enableAutoReplication,
    enableReprovide: config.replication.enableReprovide,
    peerQueryTimeout: config.replication.peerQueryTimeout
  }
}
