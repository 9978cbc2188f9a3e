/** Cache entry lifetime, ms. */
export const DEFAULT_CACHE_TTL = 10 * 60_000
/** Cache cleanup interval, ms. */
export const DEFAULT_CACHE_CLEANUP_INTERVAL = 5 * 60_000
/** Largest record, bytes. */
export const DEFAULT_MAX_RECORD_SIZE = 256 * 1024
