/**
 * @packageDocumentation
 *
 * The records of a network authority: an Ed25519 key pair held by an
 * operator whose id (its peer-id string, which embeds the public key) every
 * node is configured with. The authority signs the role directory (role →
 * current age recipient), grants (a role's identities encrypted to one
 * node's own age key), role certificates (peer → roles until an expiry) and
 * the revocation list; every peer validates them with the DHT validator,
 * selector and replacement rule of this package (signature, newest wins,
 * never rolled back).
 *
 * @example
 *
 * ```ts
 * import {
 *   authorityRecordPolicy, decryptGrantIdentities, encryptGrantIdentities,
 *   exportAuthorityKey, generateAuthority, importAuthorityKey, signGrant
 * } from '@chorus-dht/authority'
 *
 * const { privateKey, id } = await generateAuthority()
 * const file = await exportAuthorityKey(privateKey, 'correct horse battery staple') // `age -d` opens it
 * const again = await importAuthorityKey(file, 'correct horse battery staple') // again.id === id
 *
 * // Grant the role's identities to a node, encrypted to the node's own age recipient.
 * const identities = await encryptGrantIdentities([roleIdentity], nodeRecipient)
 * const { key, value } = await signGrant(privateKey, {
 *   peer: nodePeerId, role: 'backend_developer', sequence: 1, to: nodeRecipient, identities
 * })
 * await dht.putValue(key, value) // a DHT whose policy includes authorityRecordPolicy({ authority: id })
 *
 * // On the node:
 * const roleIdentities = await decryptGrantIdentities(identities, nodeIdentity)
 * ```
 */

export * from './constants.js'
export * from './errors.js'
export {
  exportAuthorityKey,
  generateAuthority,
  importAuthorityKey,
  authorityIdFromPrivateKey,
  authorityPublicKey,
  type Authority,
  type AuthorityPrivateKey,
  type AuthorityPublicKey,
  type ExportAuthorityKeyOptions
} from './identity.js'
export { createWriteAuthority } from './write-authority.js'
export type { FollowedWriteAuthority, WriteAuthorityInit } from './write-authority.js'
export { certificateKey, directoryKey, grantKey, isPeerIdString, isRoleName, revocationsKey } from './keys.js'
export {
  authorityRecordKey,
  authoritySigningBytes,
  decodeAuthorityEnvelope,
  decodeAuthorityRecord,
  signCertificate,
  signDirectory,
  signGrant,
  signRevocations,
  verifyAuthorityRecord,
  type AuthorityRecord,
  type AuthorityRecordType,
  type AuthorityRecordValidatorInit,
  type CertificateBody,
  type CertificateRecord,
  type DecodedAuthorityEnvelope,
  type DirectoryBody,
  type DirectoryRecord,
  type DirectoryRoleEntry,
  type GrantBody,
  type GrantRecord,
  type RevocationsBody,
  type RevocationsRecord,
  type RevokedPeer,
  type SignedAuthorityRecord
} from './records.js'
export { decryptGrantIdentities, encryptGrantIdentities } from './grant-identities.js'
export { isX25519Identity, isX25519Recipient } from './age.js'
export {
  authorityRecordPolicy,
  authorityRecordReplacer,
  authorityRecordSelector,
  authorityRecordValidator,
  type CompleteRecordPolicy
} from './policy.js'
export { routeByPrefix } from './route.js'
