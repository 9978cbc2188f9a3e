/** Default interval between health probes of the real backend, ms. */
export const DEFAULT_HEALTH_CHECK_INTERVAL = 30_000
/** Whether the hybrid starts on the real DHT. */
export const DEFAULT_USE_REAL_DHT = false
/** Whether the hybrid falls back to the mock on errors. */
export const DEFAULT_FALLBACK_ON_ERROR = true
