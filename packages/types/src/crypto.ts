import type { AbortOptions } from './abort.js'

/** An age X25519 key pair as text. */
export interface AgeKeyPair {
  /** The recipient, `age1…`. */
  publicKey: string
  /** The identity, `AGE-SECRET-KEY-1…`. */
  privateKey: string
}

/** Which half of an age key pair a string should be. */
export type AgeKeyKind = 'public' | 'private'

/**
 * Role-based encryption to standard age v1 files. Implemented by
 * `@chorus-dht/crypto-age`.
 *
 * Errors (by `name`): `AccessDeniedError` when no held identity matches,
 * `IntegrityError` for a tampered or truncated ciphertext,
 * `InvalidParametersError` for a malformed key or an unknown role.
 */
export interface CryptoProvider {
  /** Encrypts to the current recipient of one role. */
  encryptForRole(content: Uint8Array, role: string, options?: AbortOptions): Promise<Uint8Array>
  /** Encrypts to the current recipients of several roles: one stanza per role. */
  encryptForMultipleRoles(content: Uint8Array, roles: string[], options?: AbortOptions): Promise<Uint8Array>
  /**
   * Encrypts new content by `creatorRole` for every role allowed to read it
   * (see `RoleRegistry.recipientsFor`).
   */
  encryptUCXLContent(content: Uint8Array, creatorRole: string, options?: AbortOptions): Promise<Uint8Array>
  /** Decrypts with the identities (current and rotated) held for `role`. */
  decryptWithRole(ciphertext: Uint8Array, role: string, options?: AbortOptions): Promise<Uint8Array>
  /** Decrypts with an explicit `AGE-SECRET-KEY-1…` identity. */
  decryptWithPrivateKey(ciphertext: Uint8Array, privateKey: string, options?: AbortOptions): Promise<Uint8Array>
  /**
   * Decrypts with any identity this provider holds, trying each held role.
   * Throws `AccessDeniedError` when none matches.
   */
  decrypt(ciphertext: Uint8Array, options?: AbortOptions): Promise<Uint8Array>
  /**
   * Whether this provider knows the current recipient of `role` (from its
   * configuration, a role directory, or a held identity), so content can be
   * encrypted for it.
   */
  hasRecipient(role: string): boolean
  /** Whether this provider holds an identity for `role`. */
  canDecryptContent(role: string): boolean
  /** The roles this provider holds identities for. */
  heldRoles(): string[]
  /** A fresh X25519 key pair. */
  generateAgeKeyPair(): Promise<AgeKeyPair>
  /** Throws `InvalidParametersError` naming the problem when `key` is not a valid key of `kind`. */
  validateAgeKey(key: string, kind: AgeKeyKind): void
}
