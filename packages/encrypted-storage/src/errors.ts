import type { ChorusErrorOptions } from '@chorus-dht/types'

export {
  AccessDeniedError,
  IntegrityError,
  InvalidParametersError,
  NotFoundError,
  RecordTooLargeError,
  TimeoutError,
  AbortError,
  BackendUnavailableError,
  RecordConflictError,
  MissingRecipientError,
  CertificateError
} from '@chorus-dht/types'

/**
 * A DHT record under `/CHORUS/ucxl/` is not a well-formed chorus record for
 * its key: unparsable, an unknown envelope version, a key that does not
 * match the address and version it claims, bad metadata, or a timestamp
 * too far in the future. (A hash or signature that does not match is an
 * `IntegrityError`; an oversized value a `RecordTooLargeError`.)
 */
export class InvalidRecordError extends Error {
  static override name = 'InvalidRecordError'
  override name = 'InvalidRecordError'

  constructor (message = 'Invalid record', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * A store claimed a version number that another writer won, and re-publishing
 * it as a later version did not succeed within `maxRepublishAttempts`. The
 * content is not part of the address's history.
 */
export class VersionConflictError extends Error {
  static override name = 'VersionConflictError'
  override name = 'VersionConflictError'

  /** The last version number this store tried. */
  readonly version?: number

  constructor (message = 'Version conflict', options?: ChorusErrorOptions & { version?: number }) {
    super(message, options)
    this.version = options?.version
  }
}
