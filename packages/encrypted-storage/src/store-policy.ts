import { InvalidUcxlAddressError } from '@chorus-dht/ucxl'
import { headKeyOf } from './keys.js'
import { AccessDeniedError, InvalidParametersError, MissingRecipientError, RecordTooLargeError } from './errors.js'
import { envelopeOverhead } from './record.js'
import type { CryptoProvider, RoleRegistry, UCXLAddress, UCXLMetadata } from '@chorus-dht/types'

/** Bytes age adds around a plaintext, as an upper bound: header, one stanza per recipient, nonce and a tag per 64 KiB chunk. */
function ageOverhead (size: number, recipients: number): number {
  return 64 + 128 * Math.max(1, recipients) + 16 + 16 * Math.max(1, Math.ceil(size / 65536))
}

/** Checks a store's arguments and the creator's right to store, before anything is encrypted. */
export function checkStore (roles: RoleRegistry, parsed: UCXLAddress, address: string, content: Uint8Array, creatorRole: string, contentType: string): void {
  if (parsed.temporal_segment.type !== 'latest') {
    throw new InvalidUcxlAddressError('temporal_segment', 'a store writes a new version of the address: use *^ or no temporal segment', address)
  }
  if (!(content instanceof Uint8Array)) throw new InvalidParametersError('content must be a Uint8Array')
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 256) {
    throw new InvalidParametersError('contentType must be a non-empty string of at most 256 characters')
  }
  if (typeof creatorRole !== 'string' || !roles.has(creatorRole)) {
    throw new AccessDeniedError(`unknown role ${String(creatorRole)} may not store`)
  }
  if (!roles.canStore(creatorRole)) {
    throw new AccessDeniedError(`role ${creatorRole} (authority ${roles.get(creatorRole)?.authority}) may not store`)
  }
}

/**
 * The roles new content is encrypted for: every role that may read the
 * creator's content, or the caller's explicit set (which must include the
 * creator and name only roles that may read it). Each must have a known
 * recipient: a role without one is a `MissingRecipientError` naming it,
 * never a silently missing stanza.
 */
export function readersFor (components: { roles: RoleRegistry, crypto: CryptoProvider }, creatorRole: string, explicit?: string[]): string[] {
  const { roles, crypto } = components
  let readers: string[]
  if (explicit == null) {
    readers = [...new Set(roles.recipientsFor(creatorRole))]
    if (!readers.includes(creatorRole)) readers.unshift(creatorRole)
  } else {
    if (!Array.isArray(explicit) || explicit.some(r => typeof r !== 'string')) throw new InvalidParametersError('readers must be a list of role names')
    readers = [...new Set([creatorRole, ...explicit])]
    for (const r of readers) {
      if (!roles.has(r)) throw new InvalidParametersError(`unknown reader role ${r}`)
      if (!roles.canDecrypt(r, creatorRole)) throw new AccessDeniedError(`role ${r} may not read content created by ${creatorRole}`)
    }
  }
  for (const r of readers) {
    if (!crypto.hasRecipient(r)) throw new MissingRecipientError(`no recipient is known for role ${r}, which may read content of ${creatorRole}: publish or import its recipient, or pass a smaller readers set`, { role: r })
  }
  return readers
}

/** Refuses content that cannot fit a record of `maxRecordSize` once enveloped and encrypted for `recipients` roles. */
export function checkContentSize (maxRecordSize: number, base: UCXLMetadata, recipients: number, certificate?: Uint8Array): void {
  const limit = maxRecordSize - envelopeOverhead('version', headKeyOf(base.address), base, 64, certificate) - ageOverhead(base.size, recipients)
  if (base.size > limit) {
    throw new RecordTooLargeError(`content of ${base.size} bytes exceeds the limit of ${Math.max(0, limit)} bytes for this address and role (maxRecordSize ${maxRecordSize} minus envelope and encryption overhead)`, { size: base.size, limit: Math.max(0, limit) })
  }
}
