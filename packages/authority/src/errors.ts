import type { ChorusErrorOptions } from '@chorus-dht/types'

/**
 * Besides its own classes below, this package throws the shared classes of
 * `@chorus-dht/types`; callers branch on `err.name`.
 *
 * - `InvalidParametersError`: a malformed argument (a body to sign, a key
 *   that is not Ed25519, an authority id that is not an Ed25519 peer id, an
 *   identity or recipient that is not X25519 age, a bad prefix).
 * - `AccessDeniedError`: a grant ciphertext that the given node identity
 *   cannot open (it was encrypted to another recipient).
 * - `IntegrityError`: a grant ciphertext that is corrupt or truncated, or
 *   whose plaintext is not a list of age identities.
 */
export { AccessDeniedError, IntegrityError, InvalidParametersError } from '@chorus-dht/types'

/** Why {@link InvalidAuthorityRecordError} rejected a record. */
export type InvalidAuthorityRecordReason =
  /** Not an envelope, not UTF-8 JSON, not in canonical form, an unknown `type`. */
  | 'unparsable'
  /** Signed (or claimed) by another authority than the configured one. */
  | 'foreign-authority'
  /** The signature does not verify with the configured authority's key. */
  | 'bad-signature'
  /** The DHT key is not the key of the record's type, authority, peer and role. */
  | 'wrong-key'
  /** `issuedAt` is more than the allowed clock skew ahead of the clock. */
  | 'future'
  /** The value is larger than the configured limit. */
  | 'too-large'
  /** A field is missing, of the wrong type or out of range. */
  | 'bad-field'

/**
 * An authority record was rejected: by the DHT validator, by
 * `decodeAuthorityRecord` or by `verifyAuthorityRecord`. Branch on
 * `err.name === 'InvalidAuthorityRecordError'` and read `err.reason`.
 */
export class InvalidAuthorityRecordError extends Error {
  static override name = 'InvalidAuthorityRecordError'
  override name = 'InvalidAuthorityRecordError'

  /** What is wrong with the record. */
  readonly reason: InvalidAuthorityRecordReason

  constructor (reason: InvalidAuthorityRecordReason, message: string, options?: ChorusErrorOptions) {
    super(`invalid authority record (${reason}): ${message}`, options)
    this.reason = reason
  }
}

/** An exported authority key file did not open with the given passphrase. */
export class WrongPassphraseError extends Error {
  static override name = 'WrongPassphraseError'
  override name = 'WrongPassphraseError'

  constructor (message = 'the passphrase does not open this authority key file', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * Bytes given to `importAuthorityKey` are not an authority key file: not a
 * passphrase-encrypted age file, or one that does not hold a
 * protobuf-marshalled Ed25519 private key.
 */
export class InvalidAuthorityKeyError extends Error {
  static override name = 'InvalidAuthorityKeyError'
  override name = 'InvalidAuthorityKeyError'

  constructor (message = 'not an authority key file', options?: ChorusErrorOptions) {
    super(message, options)
  }
}

/**
 * A key given to a validator, selector or replacer made by `routeByPrefix`
 * starts with none of its prefixes, so no policy can vouch for it.
 */
export class UnroutedKeyError extends Error {
  static override name = 'UnroutedKeyError'
  override name = 'UnroutedKeyError'

  /** The key that matched no prefix. */
  readonly key: string

  constructor (key: string, options?: ChorusErrorOptions) {
    super(`no record policy for key ${key.length > 200 ? `${key.slice(0, 200)}…` : key}`, options)
    this.key = key
  }
}
