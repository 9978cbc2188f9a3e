/**
 * The errors this package throws are the shared classes of
 * `@chorus-dht/types`; callers branch on `err.name`.
 *
 * - `InvalidParametersError`: a malformed argument or `Init` field.
 * - `NotFoundError`: the key is not tracked (`addContent` was never called, or `removeContent` was).
 * - `NotStartedError`: a network operation while the manager is not started.
 * - `BackendUnavailableError`: a measurement could not be taken because this node's own DHT did not answer.
 * - `TimeoutError`: the method's default deadline passed.
 * - `AbortError`: the caller's signal aborted, or the manager stopped meanwhile.
 */
export { AbortError, BackendUnavailableError, InvalidParametersError, NotFoundError, NotStartedError, TimeoutError } from '@chorus-dht/types'
