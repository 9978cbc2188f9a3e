/** Target replicas per key (this node included). */
export const DEFAULT_REPLICATION_FACTOR = 3
/** How often every tracked key is re-announced, ms (12 h). */
export const DEFAULT_REPROVIDE_INTERVAL = 12 * 60 * 60_000
/** How often stale provider records are dropped, ms (1 h). */
export const DEFAULT_CLEANUP_INTERVAL = 60 * 60_000
/** A provider record not confirmed for this long is dropped by the cleanup, ms (24 h). */
export const DEFAULT_PROVIDER_TTL = 24 * 60 * 60_000
/** Provider records kept per key, and peers of each kind asked when measuring. */
export const DEFAULT_MAX_PROVIDERS_PER_KEY = 10
/** Whether unhealthy keys are repaired automatically. */
export const DEFAULT_ENABLE_AUTO_REPLICATION = true
/** Whether tracked keys are re-announced on schedule. */
export const DEFAULT_ENABLE_REPROVIDE = true
/** Replication operations (announcements, repairs, scheduled checks) running at once. */
export const DEFAULT_MAX_CONCURRENT_REPLICATIONS = 5
/** How often every tracked key's replicas are measured, ms (10 min). */
export const DEFAULT_CHECK_INTERVAL = 10 * 60_000
/** Wait after the first failed repair attempt of a key, ms; doubles per failed attempt. */
export const DEFAULT_REPAIR_BACKOFF = 30_000
/** Upper bound of the repair back-off, ms (30 min). */
export const DEFAULT_MAX_REPAIR_BACKOFF = 30 * 60_000
/** Repair attempts allowed per {@link DEFAULT_REPAIR_RATE_INTERVAL}, across all keys. */
export const DEFAULT_REPAIR_RATE_LIMIT = 10
/** The window of the repair rate limit, ms (1 min). */
export const DEFAULT_REPAIR_RATE_INTERVAL = 60_000
/** Deadline of one "do you hold it?" question to one peer, ms. */
export const DEFAULT_PEER_QUERY_TIMEOUT = 5_000
/** Default deadline of every async public method without a caller signal, ms. */
export const DEFAULT_OPERATION_TIMEOUT = 60_000
/** Check outcomes per provider that its quality is computed from. */
export const DEFAULT_QUALITY_WINDOW = 10
/** Quality of a provider that has never been checked. */
export const UNKNOWN_PROVIDER_QUALITY = 0.5
/** A provider at or above this quality, whose last answer was yes, is a healthy provider. */
export const HEALTHY_PROVIDER_QUALITY = 0.5

/** The prefix of the manager's log component names. */
export const DEFAULT_LOG_PREFIX = 'chorus-dht:replication'
