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
  DEFAULT_MAX_CLOCK_SKEW,
  DEFAULT_MAX_RECORD_SIZE,
  DEFAULT_MAX_REPUBLISH_ATTEMPTS,
  DEFAULT_RECONCILE_INTERVAL,
  DEFAULT_REPAIR_PEERS,
  DEFAULT_REPLICATION_FACTOR,
  DEFAULT_TIMEOUT
} from './constants.js'
import { InvalidParametersError } from './errors.js'
import type { EncryptedStorageInit } from './index.js'

/** Every option of {@link EncryptedStorageInit}, checked and defaulted once. */
export type ResolvedInit = Required<EncryptedStorageInit>

export function positive (name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidParametersError(`${name} must be a positive number, got ${String(value)}`)
  }
  return value
}

function nonNegative (name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidParametersError(`${name} must be a non-negative number, got ${String(value)}`)
  }
  return value
}

/** @throws InvalidParametersError naming the first option out of range */
export function resolveInit (init: EncryptedStorageInit): ResolvedInit {
  return {
    cacheTtl: positive('cacheTtl', init.cacheTtl ?? DEFAULT_CACHE_TTL),
    cacheCleanupInterval: positive('cacheCleanupInterval', init.cacheCleanupInterval ?? DEFAULT_CACHE_CLEANUP_INTERVAL),
    cacheMaxEntries: nonNegative('cacheMaxEntries', init.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES),
    cacheMaxBytes: nonNegative('cacheMaxBytes', init.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES),
    maxRecordSize: positive('maxRecordSize', init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE),
    maxClockSkew: nonNegative('maxClockSkew', init.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW),
    headQuorum: positive('headQuorum', init.headQuorum ?? DEFAULT_HEAD_QUORUM),
    replicationFactor: positive('replicationFactor', init.replicationFactor ?? DEFAULT_REPLICATION_FACTOR),
    timeout: positive('timeout', init.timeout ?? DEFAULT_TIMEOUT),
    confirmWrites: init.confirmWrites ?? true,
    maxRepublishAttempts: nonNegative('maxRepublishAttempts', init.maxRepublishAttempts ?? DEFAULT_MAX_REPUBLISH_ATTEMPTS),
    conflictWindow: nonNegative('conflictWindow', init.conflictWindow ?? DEFAULT_CONFLICT_WINDOW),
    conflictMaxWrites: nonNegative('conflictMaxWrites', init.conflictMaxWrites ?? DEFAULT_CONFLICT_MAX_WRITES),
    repairPeers: positive('repairPeers', init.repairPeers ?? DEFAULT_REPAIR_PEERS),
    reconcileInterval: nonNegative('reconcileInterval', init.reconcileInterval ?? DEFAULT_RECONCILE_INTERVAL),
    historyConcurrency: positive('historyConcurrency', init.historyConcurrency ?? DEFAULT_HISTORY_CONCURRENCY),
    historyLimit: positive('historyLimit', init.historyLimit ?? DEFAULT_HISTORY_LIMIT),
    indexPrefix: init.indexPrefix ?? DEFAULT_INDEX_PREFIX,
    ledgerPrefix: init.ledgerPrefix ?? DEFAULT_LEDGER_PREFIX
  }
}
