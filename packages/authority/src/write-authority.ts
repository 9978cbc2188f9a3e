import { CertificateError, InvalidParametersError } from '@chorus-dht/types'
import { certificateKey, revocationsKey } from './keys.js'
import { decodeAuthorityRecord, resolveValidatorInit, verifyResolved } from './records.js'
import type { AuthorityRecord, AuthorityRecordValidatorInit, CertificateRecord, RevocationsRecord } from './records.js'
import type { WriteAuthority, WriteClaims } from '@chorus-dht/types'

/** Init of {@link createWriteAuthority}. */
export interface WriteAuthorityInit extends AuthorityRecordValidatorInit {
  /**
   * Whether a role may store (its authority level is not `read_only`): a
   * certificate for a role that may not store authorises nothing.
   */
  canStore(role: string): boolean
}

/** A {@link WriteAuthority} whose own certificates and revocation list can be updated as the node follows the DHT. */
export interface FollowedWriteAuthority extends WriteAuthority {
  /** Verifies a certificate record (signed by the authority) and holds it for the roles it names; rejects one for another peer. */
  addCertificate(value: Uint8Array): Promise<CertificateRecord>
  /** Verifies and installs a revocation list; an older generation than the one held is ignored (never rolled back). Resolves whether it was installed. */
  setRevocations(value: Uint8Array): Promise<boolean>
  /** The revocation list in force, if any. */
  revocations(): RevocationsRecord | undefined
}

const MAX_VERIFIED = 4096

/**
 * Write authority under a network authority: holds this node's own
 * certificates (`certificateFor`), and checks the certificate every record
 * carries (`verify`): signed by the configured authority, for the record's
 * signer and creator role, unexpired at the record's timestamp, for a role
 * that may store, and the signer not revoked at or before that timestamp.
 * A record made before its signer's revocation stays valid.
 */
export function createWriteAuthority (self: string, init: WriteAuthorityInit): FollowedWriteAuthority {
  if (typeof init?.canStore !== 'function') throw new InvalidParametersError('init.canStore is required')
  const resolved = resolveValidatorInit(init)
  const own = new Map<string, { value: Uint8Array, record: CertificateRecord }>()
  // certificate bytes → record, for certificates whose signature verified
  const verified = new Map<string, CertificateRecord>()
  let revocationList: RevocationsRecord | undefined

  const verifyCertificate = async (value: Uint8Array): Promise<CertificateRecord> => {
    const memo = Buffer.from(value).toString('base64')
    const known = verified.get(memo)
    if (known != null) return known
    let record: AuthorityRecord
    try {
      record = await verifyAnyKey(value)
    } catch (err: any) {
      const reason = err?.reason === 'foreign-authority' ? 'foreign-authority' : err?.reason === 'bad-signature' ? 'bad-signature' : 'malformed'
      throw new CertificateError(`the record's certificate is not valid: ${String(err?.message)}`, { reason, cause: err })
    }
    if (record.type !== 'cert') throw new CertificateError(`the record carries a ${record.type} record, not a certificate`, { reason: 'malformed' })
    verified.set(memo, record)
    if (verified.size > MAX_VERIFIED) verified.delete(verified.keys().next().value!)
    return record
  }

  /** Decodes once to learn the peer, then verifies the record under the key it must have. */
  const verifyAnyKey = async (value: Uint8Array): Promise<AuthorityRecord> => {
    const peek = decodeAuthorityRecord(value)
    if (peek.type !== 'cert') return peek
    return await verifyResolved(certificateKey(init.authority, peek.peer), value, resolved)
  }

  return {
    authority: init.authority,

    certificateFor (role: string): Uint8Array | undefined {
      const held = own.get(role)
      if (held == null) return undefined
      return held.record.expiresAt > resolved.clock.now() ? held.value : undefined
    },

    async verify (certificate: Uint8Array, claims: WriteClaims): Promise<void> {
      const cert = await verifyCertificate(certificate)
      if (cert.peer !== claims.signer) {
        throw new CertificateError(`the certificate is for ${cert.peer}, not for the record's signer ${claims.signer}`, { reason: 'wrong-peer' })
      }
      if (!cert.roles.includes(claims.role)) {
        throw new CertificateError(`the certificate of ${cert.peer} names ${cert.roles.join(', ')}, not the creator role ${claims.role}`, { reason: 'wrong-role' })
      }
      if (!init.canStore(claims.role)) {
        throw new CertificateError(`role ${claims.role} may not store`, { reason: 'read-only' })
      }
      if (claims.timestamp < cert.issuedAt || claims.timestamp >= cert.expiresAt) {
        throw new CertificateError(`the certificate of ${cert.peer} is valid from ${new Date(cert.issuedAt).toISOString()} to ${new Date(cert.expiresAt).toISOString()}, not at the record's time`, { reason: 'expired' })
      }
      const revoked = revocationList?.revoked.find(r => r.peer === claims.signer)
      if (revoked != null && claims.timestamp >= revoked.at) {
        throw new CertificateError(`${claims.signer} was revoked at ${new Date(revoked.at).toISOString()}`, { reason: 'revoked' })
      }
    },

    async addCertificate (value: Uint8Array): Promise<CertificateRecord> {
      const record = await verifyCertificate(value)
      if (record.peer !== self) throw new InvalidParametersError(`the certificate is for ${record.peer}, not for this node ${self}`)
      for (const role of record.roles) {
        const held = own.get(role)
        if (held == null || held.record.sequence <= record.sequence) own.set(role, { value, record })
      }
      return record
    },

    async setRevocations (value: Uint8Array): Promise<boolean> {
      const record = await verifyResolved(revocationsKey(init.authority), value, resolved)
      if (record.type !== 'revocations') throw new InvalidParametersError('not a revocation list')
      if (revocationList != null && record.generation <= revocationList.generation) return false
      revocationList = record
      return true
    },

    revocations: () => revocationList
  }
}
