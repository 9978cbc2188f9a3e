import { MAX_TIMER_DELAY, parseDuration as parseMs } from '@chorus-dht/utils'
import { InvalidParametersError } from './errors.js'
import type { HybridEnvConfig } from './index.js'

/** The environment variable names the hybrid reads. */
export const HYBRID_ENV = {
  useRealDHT: 'CHORUS_USE_REAL_DHT',
  bootstrapNodes: 'CHORUS_DHT_BOOTSTRAP_NODES',
  fallbackOnError: 'CHORUS_FALLBACK_ON_ERROR',
  healthCheckInterval: 'CHORUS_HEALTH_CHECK_INTERVAL',
  maxConsecutiveFailures: 'CHORUS_MAX_CONSECUTIVE_FAILURES'
} as const


/** Parses a boolean variable: true/false, 1/0, yes/no, on/off (case-insensitive). */
export function parseBoolean (name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return true
  if (['false', '0', 'no', 'off'].includes(v)) return false
  throw new InvalidParametersError(`${name} must be true/false, 1/0, yes/no or on/off, got "${raw}"`)
}

/**
 * Parses a duration variable in the one grammar of `@chorus-dht/utils`'
 * `parseDuration` (`30000`, `500ms`, `30s`, `1.5m`, `1m30s`). Must be > 0
 * and fit a timer.
 */
export function parseDuration (name: string, raw: string): number {
  const ms = parseMs(raw)
  if (ms === undefined) throw new InvalidParametersError(`${name} must be milliseconds (30000) or a duration like 500ms, 30s, 5m, 1h, 1m30s, got "${raw}"`)
  if (!(ms > 0) || ms > MAX_TIMER_DELAY) throw new InvalidParametersError(`${name} must be between 1 ms and ${MAX_TIMER_DELAY} ms, got "${raw}"`)
  return ms
}

/**
 * Reads the hybrid configuration from the environment. Unset (or empty)
 * variables are left out, so the result can be spread over defaults:
 * `hybridDHT({ ...hybridConfigFromEnv(), selectors })`.
 *
 * - `CHORUS_USE_REAL_DHT`: boolean → `useRealDHT`
 * - `CHORUS_DHT_BOOTSTRAP_NODES`: comma-separated multiaddrs → `bootstrapNodes`
 * - `CHORUS_FALLBACK_ON_ERROR`: boolean → `fallbackOnError`
 * - `CHORUS_HEALTH_CHECK_INTERVAL`: ms or duration → `healthCheckInterval`
 * - `CHORUS_MAX_CONSECUTIVE_FAILURES`: positive integer → `maxConsecutiveFailures`
 *
 * @throws InvalidParametersError naming the variable and the bad value
 */
export function hybridConfigFromEnv (env: Record<string, string | undefined> = globalThis.process?.env ?? {}): HybridEnvConfig {
  const out: HybridEnvConfig = {}
  const get = (name: string): string | undefined => {
    const v = env[name]
    return v == null || v.trim() === '' ? undefined : v
  }

  const useReal = get(HYBRID_ENV.useRealDHT)
  if (useReal !== undefined) out.useRealDHT = parseBoolean(HYBRID_ENV.useRealDHT, useReal)

  const nodes = get(HYBRID_ENV.bootstrapNodes)
  if (nodes !== undefined) {
    out.bootstrapNodes = nodes.split(',').map((s) => s.trim()).filter((s) => s !== '')
    for (const addr of out.bootstrapNodes) {
      if (!addr.startsWith('/')) throw new InvalidParametersError(`${HYBRID_ENV.bootstrapNodes} must be a comma-separated list of multiaddrs, "${addr}" does not start with "/"`)
    }
  }

  const fallback = get(HYBRID_ENV.fallbackOnError)
  if (fallback !== undefined) out.fallbackOnError = parseBoolean(HYBRID_ENV.fallbackOnError, fallback)

  const interval = get(HYBRID_ENV.healthCheckInterval)
  if (interval !== undefined) out.healthCheckInterval = parseDuration(HYBRID_ENV.healthCheckInterval, interval)

  const max = get(HYBRID_ENV.maxConsecutiveFailures)
  if (max !== undefined) {
    if (!/^\s*\d+\s*$/.test(max) || Number(max) < 1) throw new InvalidParametersError(`${HYBRID_ENV.maxConsecutiveFailures} must be a positive integer, got "${max}"`)
    out.maxConsecutiveFailures = Number(max)
  }
  return out
}
