import {
  DEFAULT_BACKEND_TIMEOUT, DEFAULT_DEGRADED_LATENCY, DEFAULT_FALLBACK_ON_ERROR, DEFAULT_HEALTH_CHECK_INTERVAL,
  DEFAULT_HYBRID_TIMEOUT, DEFAULT_JOURNAL_PREFIX, DEFAULT_MAX_CONSECUTIVE_FAILURES, DEFAULT_PROBE_TIMEOUT, DEFAULT_USE_REAL_DHT
} from './constants.js'
import { InvalidParametersError } from './errors.js'
import { checkPositiveInt } from './util.js'
import type { HybridConfig, HybridDHTInit } from './index.js'

/** Checks a {@link HybridDHTInit} and applies the defaults of `constants.ts`; throws `InvalidParametersError` naming the field. */
export function resolveConfig (init: HybridDHTInit): Readonly<HybridConfig> {
  checkPositiveInt(init.healthCheckInterval, 'healthCheckInterval')
  checkPositiveInt(init.maxConsecutiveFailures, 'maxConsecutiveFailures')
  checkPositiveInt(init.timeout, 'timeout')
  checkPositiveInt(init.backendTimeout, 'backendTimeout')
  checkPositiveInt(init.probeTimeout, 'probeTimeout')
  checkPositiveInt(init.degradedLatency, 'degradedLatency')
  if (init.bootstrapNodes !== undefined && (!Array.isArray(init.bootstrapNodes) || init.bootstrapNodes.some((a) => typeof a !== 'string' || !a.startsWith('/')))) {
    throw new InvalidParametersError('bootstrapNodes must be an array of multiaddr strings')
  }
  return Object.freeze({
    useRealDHT: init.useRealDHT ?? DEFAULT_USE_REAL_DHT,
    bootstrapNodes: Object.freeze([...(init.bootstrapNodes ?? [])]) as string[],
    fallbackOnError: init.fallbackOnError ?? DEFAULT_FALLBACK_ON_ERROR,
    healthCheckInterval: init.healthCheckInterval ?? DEFAULT_HEALTH_CHECK_INTERVAL,
    maxConsecutiveFailures: init.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
    timeout: init.timeout ?? DEFAULT_HYBRID_TIMEOUT,
    backendTimeout: init.backendTimeout ?? DEFAULT_BACKEND_TIMEOUT,
    probeTimeout: init.probeTimeout ?? DEFAULT_PROBE_TIMEOUT,
    degradedLatency: init.degradedLatency ?? DEFAULT_DEGRADED_LATENCY,
    journalPrefix: init.journalPrefix ?? DEFAULT_JOURNAL_PREFIX
  })
}
