/** Which backend of a hybrid DHT. */
export type BackendKind = 'mock' | 'real'

/** A backend's health as the live probe measured it. */
export type BackendStatus = 'healthy' | 'degraded' | 'failed'

/** One backend's health record (CHORUS `BackendHealth`). */
export interface BackendHealth {
  backend: BackendKind
  status: BackendStatus
  /** ms since the epoch of the last probe; 0 when never */
  lastCheck: number
  errorCount: number
  /** ms of the last probe */
  latency: number
  consecutiveFailures: number
}
