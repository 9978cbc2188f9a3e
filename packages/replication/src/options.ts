import { InvalidParametersError } from '@chorus-dht/types'
import { MAX_TIMER_DELAY, positiveInteger, timerDelay } from '@chorus-dht/utils'
import * as c from './constants.js'
import type { ReplicationManagerInit } from './index.js'

/** Every {@link ReplicationManagerInit} field, resolved and checked once. */
export interface ReplicationOptions {
  logPrefix: string
  replicationFactor: number
  reprovideInterval: number
  cleanupInterval: number
  providerTTL: number
  maxProvidersPerKey: number
  enableAutoReplication: boolean
  enableReprovide: boolean
  maxConcurrentReplications: number
  checkInterval: number
  repairBackoff: number
  maxRepairBackoff: number
  repairRateLimit: number
  repairRateInterval: number
  peerQueryTimeout: number
  operationTimeout: number
  qualityWindow: number
}

function int (name: string, value: number | undefined, fallback: number): number {
  return positiveInteger(name, value ?? fallback)
}

function ms (name: string, value: number | undefined, fallback: number, max = MAX_TIMER_DELAY): number {
  return timerDelay(name, value ?? fallback, max)
}

function bool (name: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback
  if (typeof v !== 'boolean') {
    throw new InvalidParametersError(`${name} must be a boolean, got ${String(value)}`)
  }
  return v
}

/** Applies the defaults of `constants.ts`; throws `InvalidParametersError` naming an out-of-range field. */
export function resolveOptions (init: ReplicationManagerInit): ReplicationOptions {
  const logPrefix = init.logPrefix ?? c.DEFAULT_LOG_PREFIX
  if (typeof logPrefix !== 'string' || logPrefix.length === 0) {
    throw new InvalidParametersError(`logPrefix must be a non-empty string, got ${String(init.logPrefix)}`)
  }
  const opts: ReplicationOptions = {
    logPrefix,
    replicationFactor: int('replicationFactor', init.replicationFactor, c.DEFAULT_REPLICATION_FACTOR),
    reprovideInterval: ms('reprovideInterval', init.reprovideInterval, c.DEFAULT_REPROVIDE_INTERVAL),
    cleanupInterval: ms('cleanupInterval', init.cleanupInterval, c.DEFAULT_CLEANUP_INTERVAL),
    // not a timer: compared with ages, so any positive span is fine
    providerTTL: ms('providerTTL', init.providerTTL, c.DEFAULT_PROVIDER_TTL, Number.MAX_SAFE_INTEGER),
    maxProvidersPerKey: int('maxProvidersPerKey', init.maxProvidersPerKey, c.DEFAULT_MAX_PROVIDERS_PER_KEY),
    enableAutoReplication: bool('enableAutoReplication', init.enableAutoReplication, c.DEFAULT_ENABLE_AUTO_REPLICATION),
    enableReprovide: bool('enableReprovide', init.enableReprovide, c.DEFAULT_ENABLE_REPROVIDE),
    maxConcurrentReplications: int('maxConcurrentReplications', init.maxConcurrentReplications, c.DEFAULT_MAX_CONCURRENT_REPLICATIONS),
    checkInterval: ms('checkInterval', init.checkInterval, c.DEFAULT_CHECK_INTERVAL),
    repairBackoff: ms('repairBackoff', init.repairBackoff, c.DEFAULT_REPAIR_BACKOFF),
    maxRepairBackoff: ms('maxRepairBackoff', init.maxRepairBackoff, c.DEFAULT_MAX_REPAIR_BACKOFF),
    repairRateLimit: int('repairRateLimit', init.repairRateLimit, c.DEFAULT_REPAIR_RATE_LIMIT),
    repairRateInterval: ms('repairRateInterval', init.repairRateInterval, c.DEFAULT_REPAIR_RATE_INTERVAL),
    peerQueryTimeout: ms('peerQueryTimeout', init.peerQueryTimeout, c.DEFAULT_PEER_QUERY_TIMEOUT),
    operationTimeout: ms('operationTimeout', init.operationTimeout, c.DEFAULT_OPERATION_TIMEOUT),
    qualityWindow: int('qualityWindow', init.qualityWindow, c.DEFAULT_QUALITY_WINDOW)
  }
  if (opts.maxRepairBackoff < opts.repairBackoff) {
    throw new InvalidParametersError(`maxRepairBackoff (${opts.maxRepairBackoff}) must not be below repairBackoff (${opts.repairBackoff})`)
  }
  return opts
}
