/**
 * Options accepted by every async public method. A method that receives no
 * signal applies its own documented default timeout, so nothing waits
 * forever.
 */
export interface AbortOptions {
  /** Aborts the operation. Rejects with `AbortError` or `TimeoutError`. */
  signal?: AbortSignal
}
