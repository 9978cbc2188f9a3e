import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { authoritySigningBytes } from '../src/index.js'
import type { AuthorityPrivateKey } from '../src/index.js'

/** A fresh peer id string (Ed25519), as a node would have. */
export async function newPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

/** A fresh age X25519 key pair. */
export async function newAgeKey (): Promise<{ identity: string, recipient: string }> {
  const identity = await generateX25519Identity()
  return { identity, recipient: await identityToRecipient(identity) }
}

/**
 * An envelope with an arbitrary body text, signed by `privateKey` (or with
 * `signature` as given): for records the signing functions refuse to make.
 */
export async function craftEnvelope (body: string, privateKey: AuthorityPrivateKey, options: { version?: number, signature?: Uint8Array } = {}): Promise<Uint8Array> {
  const bodyBytes = new TextEncoder().encode(body)
  const signature = options.signature ?? await privateKey.sign(authoritySigningBytes(bodyBytes))
  const out = new Uint8Array(5 + bodyBytes.length + signature.length)
  out[0] = options.version ?? 1
  new DataView(out.buffer).setUint32(1, bodyBytes.length, false)
  out.set(bodyBytes, 5)
  out.set(signature, 5 + bodyBytes.length)
  return out
}

/** A fixed clock. */
export function fixedClock (now: number): { now: () => number } {
  return { now: () => now }
}

export const NOW = 1_750_000_000_000
