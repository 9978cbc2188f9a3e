/** Target replicas per key. */
export const DEFAULT_REPLICATION_FACTOR = 3
/** Reprovide interval, ms. */
export const DEFAULT_REPROVIDE_INTERVAL = 12 * 60 * 60_000
