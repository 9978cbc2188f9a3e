import { peerIdFromString } from '@libp2p/peer-id'
import { AUTHORITY_KEY_PREFIX, MAX_ROLE_NAME_LENGTH, ROLE_NAME_PATTERN } from './constants.js'
import { InvalidParametersError } from './errors.js'
import { authorityPublicKey } from './identity.js'

/** Whether `role` is a role name records accept: `A-Z a-z 0-9 _ -`, 1 to 64 characters. */
export function isRoleName (role: unknown): role is string {
  return typeof role === 'string' && role.length <= MAX_ROLE_NAME_LENGTH && ROLE_NAME_PATTERN.test(role)
}

/** Whether `peer` is the canonical string of a libp2p peer id. */
export function isPeerIdString (peer: unknown): peer is string {
  if (typeof peer !== 'string' || peer.length === 0 || peer.length > 256) return false
  try {
    return peerIdFromString(peer).toString() === peer
  } catch {
    return false
  }
}

function checkAuthority (id: string): void {
  authorityPublicKey(id)
}

function checkPeer (peer: string): void {
  if (!isPeerIdString(peer)) throw new InvalidParametersError(`peer ${JSON.stringify(peer)} is not a canonical peer-id string`)
}

function checkRole (role: string): void {
  if (!isRoleName(role)) throw new InvalidParametersError(`role ${JSON.stringify(role)} is not a role name (A-Z a-z 0-9 _ -, at most ${MAX_ROLE_NAME_LENGTH})`)
}

/** @internal Key builders without argument checks, for records already checked. */
export const rawKeys = {
  directory: (id: string): string => `${AUTHORITY_KEY_PREFIX}${id}/directory`,
  grant: (id: string, peer: string, role: string): string => `${AUTHORITY_KEY_PREFIX}${id}/grant/${peer}/${role}`,
  cert: (id: string, peer: string): string => `${AUTHORITY_KEY_PREFIX}${id}/cert/${peer}`,
  revocations: (id: string): string => `${AUTHORITY_KEY_PREFIX}${id}/revocations`
}

/** `/CHORUS/authority/<id>/directory`: the role directory of authority `id`. */
export function directoryKey (id: string): string {
  checkAuthority(id)
  return rawKeys.directory(id)
}

/** `/CHORUS/authority/<id>/grant/<peer>/<role>`: the grant of `role` to `peer`. */
export function grantKey (id: string, peer: string, role: string): string {
  checkAuthority(id)
  checkPeer(peer)
  checkRole(role)
  return rawKeys.grant(id, peer, role)
}

/** `/CHORUS/authority/<id>/cert/<peer>`: the role certificate of `peer`. */
export function certificateKey (id: string, peer: string): string {
  checkAuthority(id)
  checkPeer(peer)
  return rawKeys.cert(id, peer)
}

/** `/CHORUS/authority/<id>/revocations`: the revocation list of authority `id`. */
export function revocationsKey (id: string): string {
  checkAuthority(id)
  return rawKeys.revocations(id)
}
