import { nonNegativeNumber, positiveNumber } from '@chorus-dht/utils'
import {
  DEFAULT_CACHE_CLEANUP_INTERVAL,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_TTL,
  DEFAULT_CONFLICT_MAX_WRITES,
  DEFAULT_CONFLICT_WINDOW,
  DEFAULT_HEAD_QUORUM,
  DEFAULT_HISTORY_CONCURRENCY,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_INDEX_PREFIX,
  DEFAULT_LEDGER_PREFIX,
  DEFAULT_LOG_PREFIX,
  DEFAULT_MAX_CLOCK_SKEW,
  DEFAULT_MAX_RECORD_SIZE,
  DEFAULT_MAX_REPUBLISH_ATTEMPTS,
  DEFAULT_RECONCILE_INTERVAL,
  DEFAULT_REPAIR_PEERS,
  DEFAULT_REPLICATION_FACTOR,
  DEFAULT_TIMEOUT
} from './constants.js'
import type { EncryptedStorageInit } from './index.js'

/** Every option of {@link EncryptedStorageInit}, checked and defaulted once. */
export type ResolvedInit = Required<EncryptedStorageInit>

/** @throws InvalidParametersError naming the first option out of range */
export function resolveInit (init: EncryptedStorageInit): ResolvedInit {
  return {
    logPrefix: init.logPrefix ?? DEFAULT_LOG_PREFIX,
    cacheTtl: positiveNumber('cacheTtl', init.cacheTtl ?? DEFAULT_CACHE_TTL),
    cacheCleanupInterval: positiveNumber('cacheCleanupInterval', init.cacheCleanupInterval ?? DEFAULT_CACHE_CLEANUP_INTERVAL),
    cacheMaxEntries: nonNegativeNumber('cacheMaxEntries', init.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES),
    cacheMaxBytes: nonNegativeNumber('cacheMaxBytes', init.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES),
    maxRecordSize: positiveNumber('maxRecordSize', init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE),
    maxClockSkew: nonNegativeNumber('maxClockSkew', init.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW),
    headQuorum: positiveNumber('headQuorum', init.headQuorum ?? DEFAULT_HEAD_QUORUM),
    replicationFactor: positiveNumber('replicationFactor', init.replicationFactor ?? DEFAULT_REPLICATION_FACTOR),
    timeout: positiveNumber('timeout', init.timeout ?? DEFAULT_TIMEOUT),
    confirmWrites: init.confirmWrites ?? true,
    maxRepublishAttempts: nonNegativeNumber('maxRepublishAttempts', init.maxRepublishAttempts ?? DEFAULT_MAX_REPUBLISH_ATTEMPTS),
    conflictWindow: nonNegativeNumber('conflictWindow', init.conflictWindow ?? DEFAULT_CONFLICT_WINDOW),
    conflictMaxWrites: nonNegativeNumber('conflictMaxWrites', init.conflictMaxWrites ?? DEFAULT_CONFLICT_MAX_WRITES),
    repairPeers: positiveNumber('repairPeers', init.repairPeers ?? DEFAULT_REPAIR_PEERS),
    reconcileInterval: nonNegativeNumber('reconcileInterval', init.reconcileInterval ?? DEFAULT_RECONCILE_INTERVAL),
    historyConcurrency: positiveNumber('historyConcurrency', init.historyConcurrency ?? DEFAULT_HISTORY_CONCURRENCY),
    historyLimit: positiveNumber('historyLimit', init.historyLimit ?? DEFAULT_HISTORY_LIMIT),
    indexPrefix: init.indexPrefix ?? DEFAULT_INDEX_PREFIX,
    ledgerPrefix: init.ledgerPrefix ?? DEFAULT_LEDGER_PREFIX
  }
}
