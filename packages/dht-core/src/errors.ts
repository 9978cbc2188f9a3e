/**
 * The errors of `@chorus-dht/dht-core`. All are the shared classes of
 * `@chorus-dht/types`; branch on `err.name`.
 *
 * @packageDocumentation
 */
export {
  AbortError,
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError,
  RecordConflictError,
  TimeoutError
} from '@chorus-dht/types'

/**
 * A PUT_VALUE from a peer was refused because storing it would take that
 * peer past `maxRecordsPerPeer` or `maxBytesPerPeer`. Never thrown to a
 * caller of this node: it is what the inbound handler throws, and kad-dht
 * answers it by resetting the putter's stream.
 */
export class QuotaExceededError extends Error {
  static override name = 'QuotaExceededError'
  override name = 'QuotaExceededError'

  constructor (message = 'the peer holds as much here as one peer may') {
    super(message)
  }
}

/**
 * A PUT_VALUE came from a peer this node has banned (its connection was
 * still closing). Like {@link QuotaExceededError}, only ever seen by the
 * inbound handler.
 */
export class PeerBannedError extends Error {
  static override name = 'PeerBannedError'
  override name = 'PeerBannedError'

  constructor (message = 'the peer is banned') {
    super(message)
  }
}
