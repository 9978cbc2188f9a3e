import { xorHex } from '@chorus-dht/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'

const encoder = new TextEncoder()

/** sha-256 of the UTF-8 key: the key's position in the Kademlia keyspace. */
export function keyPoint (key: string): Uint8Array {
  return sha256(encoder.encode(key))
}

/**
 * sha-256 of the peer id's bytes (its multihash, as kad-dht does). A string
 * that is not a libp2p peer id (a test or mock id) is hashed as UTF-8.
 */
export function peerPoint (peerId: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = peerIdFromString(peerId).toMultihash().bytes
  } catch {
    bytes = encoder.encode(peerId)
  }
  return sha256(bytes)
}

/**
 * Kademlia XOR distance between a key and a peer, as 64 lowercase hex
 * digits: sha-256(UTF-8 key) XOR sha-256(peer id bytes). Smaller is closer;
 * equal-length hex strings compare like the numbers they spell.
 */
export function xorDistance (key: string, peerId: string): string {
  return xorHex(keyPoint(key), peerPoint(peerId))
}
