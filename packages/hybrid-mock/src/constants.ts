/** Default interval between health probes of the real backend, ms. */
export const DEFAULT_HEALTH_CHECK_INTERVAL = 30_000
/** Whether the hybrid starts on the real DHT. */
export const DEFAULT_USE_REAL_DHT = false
/** Whether the hybrid falls back to the mock on errors. */
export const DEFAULT_FALLBACK_ON_ERROR = true
/** Consecutive failures after which the real backend is marked failed and the hybrid fails over. */
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3
/** Default timeout of every public hybrid operation, ms. */
export const DEFAULT_HYBRID_TIMEOUT = 30_000
/** Default timeout of one call to a backend, ms (shorter than the operation timeout so a fallback still has time). */
export const DEFAULT_BACKEND_TIMEOUT = 10_000
/** Default timeout of one health probe (put + get), ms. */
export const DEFAULT_PROBE_TIMEOUT = 10_000
/** A probe slower than this marks the backend degraded, ms. */
export const DEFAULT_DEGRADED_LATENCY = 2_000
/** The record namespace the hybrid's health probe writes to (keys `/chorus-probe/<peerId>`). */
export const PROBE_NAMESPACE = 'chorus-probe'
/** The largest probe record the probe validator accepts, bytes. */
export const PROBE_MAX_SIZE = 128
/** Datastore prefix under which the hybrid persists its write journal. */
export const DEFAULT_JOURNAL_PREFIX = '/chorus-hybrid/journal'

/** Kademlia bucket size: how many closest peers a mock put reaches. */
export const DEFAULT_MOCK_K = 20
/** How many peers a mock query asks at once (Kademlia alpha). */
export const MOCK_ALPHA = 3
/** Default timeout of every public MockDHT operation, ms. */
export const DEFAULT_MOCK_TIMEOUT = 30_000
/** Default per-message latency of a mock network, ms. */
export const DEFAULT_MOCK_LATENCY = 0
/** Default per-message extra random latency (uniform in [0, jitter)) of a mock network, ms. */
export const DEFAULT_MOCK_JITTER = 0
/** Default probability that a mock network message is lost. */
export const DEFAULT_MOCK_FAILURE_RATE = 0
/** Default number of providers findProviders returns. */
export const DEFAULT_PROVIDERS_LIMIT = 20
/** Prefix of generated mock peer ids (`mock-1`, `mock-2`, ...). */
export const MOCK_PEER_ID_PREFIX = 'mock-'

/** The prefix of the log component names of MockDHT and HybridDHT. */
export const DEFAULT_LOG_PREFIX = 'chorus-dht:hybrid-mock'
