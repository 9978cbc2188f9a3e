import type { AbortOptions } from './abort.js'

/** What a record's writer proves under a network authority (SPEC §10). */
export interface WriteClaims {
  /** The peer id that signed the record. */
  signer: string
  /** The record's creator role. */
  role: string
  /** The record's timestamp, ms since the epoch. */
  timestamp: number
}

/**
 * Write authority under a network authority: the certificates this node
 * puts into the records it writes, and the check every peer runs on the
 * certificate a record carries. Implemented by `@chorus-dht/authority`
 * (`createWriteAuthority`); handed to the storage layer as a component.
 */
export interface WriteAuthority {
  /** The authority's id (its peer-id string). */
  readonly authority: string
  /**
   * The certificate (the authority-signed certificate record, as bytes)
   * this node puts into the records it writes as `role`; undefined when it
   * holds none valid now.
   */
  certificateFor(role: string): Uint8Array | undefined
  /**
   * Checks the certificate a record carries. Throws `CertificateError`
   * (with `reason`) unless it is signed by the configured authority, names
   * `claims.signer` and `claims.role`, is unexpired at `claims.timestamp`,
   * the role may store (not `read_only`), and the signer was not revoked at
   * or before `claims.timestamp`.
   */
  verify(certificate: Uint8Array, claims: WriteClaims, options?: AbortOptions): Promise<void> | void
}
