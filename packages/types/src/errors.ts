/**
 * The shared error classes. Callers branch on `err.name`, never on the
 * message text, so every class sets a stable `name` (also available as the
 * static `name` of the class) that survives bundling and minification.
 *
 * @packageDocumentation
 */

/** Options accepted by every chorus-dht error constructor. */
export interface ChorusErrorOptions {
  /** The underlying error, kept for diagnostics. */
  cause?: unknown
}

/**
 * A requested key, address, version or peer does not exist.
 */
export class NotFoundError extends Error {
  static override name = 'NotFoundError'
  override name = 'NotFoundError'

  constructor (message = 'Not found', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * An argument or configuration value is malformed. The message names the
 * parameter and says what was wrong with it.
 */
export class InvalidParametersError extends Error {
  static override name = 'InvalidParametersError'
  override name = 'InvalidParametersError'

  constructor (message = 'Invalid parameters', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * The caller (a role, a token, an identity) is not allowed to do this:
 * store with a read-only role, decrypt without a matching identity, etc.
 */
export class AccessDeniedError extends Error {
  static override name = 'AccessDeniedError'
  override name = 'AccessDeniedError'

  constructor (message = 'Access denied', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * Data failed an integrity check: a tampered or truncated ciphertext, a bad
 * signature, a hash that does not match, a broken audit chain.
 */
export class IntegrityError extends Error {
  static override name = 'IntegrityError'
  override name = 'IntegrityError'

  constructor (message = 'Integrity check failed', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * A value or request body is larger than the configured limit.
 */
export class RecordTooLargeError extends Error {
  static override name = 'RecordTooLargeError'
  override name = 'RecordTooLargeError'

  /** The size that was offered, in bytes, when known. */
  readonly size?: number
  /** The limit that was exceeded, in bytes, when known. */
  readonly limit?: number

  constructor (message = 'Record too large', options?: ChorusErrorOptions & { size?: number, limit?: number }) {
    super(message, options)
    this.size = options?.size
    this.limit = options?.limit
  }
}

/**
 * A record was refused because the node already holds one for the same key
 * that the replacement rule keeps: an older head, or another record for an
 * immutable key (a version another writer claimed first). Nothing was
 * stored. A writer that gets it for a version key has lost that version and
 * should claim the next one.
 */
export class RecordConflictError extends Error {
  static override name = 'RecordConflictError'
  override name = 'RecordConflictError'

  constructor (message = 'A record the node holds for this key is kept', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * Content cannot be encrypted for a role that must be able to read it: no
 * current recipient of that role is known (no key generated, imported, or
 * published in the role directory). `role` names it.
 */
export class MissingRecipientError extends Error {
  static override name = 'MissingRecipientError'
  override name = 'MissingRecipientError'

  /** The role without a known recipient. */
  readonly role?: string

  constructor (message = 'No recipient is known for a reader role', options?: ChorusErrorOptions & { role?: string }) {
    super(message, options)
    this.role = options?.role
  }
}

/** Why a record's role certificate was refused. */
export type CertificateFailure = 'missing' | 'malformed' | 'foreign-authority' | 'bad-signature' | 'expired' | 'wrong-peer' | 'wrong-role' | 'read-only' | 'revoked'

/**
 * A record written under a network authority carries no valid role
 * certificate for its signer and creator role: `reason` says why.
 */
export class CertificateError extends Error {
  static override name = 'CertificateError'
  override name = 'CertificateError'

  readonly reason: CertificateFailure

  constructor (message: string, options: ChorusErrorOptions & { reason: CertificateFailure }) {
    super(message, options)
    this.reason = options.reason
  }
}

/**
 * A backend (the real DHT, a peer, the network) is not reachable right now.
 * Distinct from {@link NotFoundError}: the answer is unknown, not negative.
 */
export class BackendUnavailableError extends Error {
  static override name = 'BackendUnavailableError'
  override name = 'BackendUnavailableError'

  constructor (message = 'Backend unavailable', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * A service method was called before `start()` or after `stop()`.
 */
export class NotStartedError extends Error {
  static override name = 'NotStartedError'
  override name = 'NotStartedError'

  constructor (message = 'Not started', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * An operation did not finish within its deadline (its own default timeout
 * or the caller's `AbortSignal`).
 */
export class TimeoutError extends Error {
  static override name = 'TimeoutError'
  override name = 'TimeoutError'

  constructor (message = 'Timed out', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * An operation was cancelled by the caller's `AbortSignal` before its
 * deadline.
 */
export class AbortError extends Error {
  static override name = 'AbortError'
  override name = 'AbortError'

  constructor (message = 'The operation was aborted', options?: ChorusErrorOptions) {
    super(message, options)
  }
}
