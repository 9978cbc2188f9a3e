/**
 * The age X25519 recipient type on node:crypto (OpenSSL), about 20 times
 * faster than the pure-JS curve `age-encryption` falls back to on Node 20.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { bech32 } from '@scure/base'
import { decodeBase64, encodeBase64 } from './base64.js'
import { hkdf32, openFileKey, sealFileKey } from './format.js'
import type { Identity, Recipient, Stanza } from './format.js'

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const LABEL = Buffer.from('age-encryption.org/v1/X25519')

/** Bech32 without the 90-character limit, as age uses it. */
export function decodeBech32 (s: string): { prefix: string, bytes: Uint8Array } | undefined {
  try {
    const { prefix, words } = bech32.decode(s as `${string}1${string}`, false)
    return { prefix, bytes: bech32.fromWords(words) }
  } catch {
    return undefined
  }
}

/** `age1…` for a raw X25519 public key. */
export function encodeRecipient (publicKey: Uint8Array): string {
  return bech32.encode('age', bech32.toWords(publicKey), false)
}

/** `AGE-SECRET-KEY-1…` for a raw X25519 scalar. */
export function encodeIdentity (scalar: Uint8Array): string {
  return bech32.encode('age-secret-key-', bech32.toWords(scalar), false).toUpperCase()
}

/** The 32 raw bytes of an `age1…` X25519 recipient, or `undefined`. */
export function decodeX25519Recipient (s: string): Uint8Array | undefined {
  // the human-readable part decides (bech32 data never holds a '1'): an
  // X25519 key whose data begins with "pq" or "tag" is still an X25519 key
  if (!s.startsWith('age1')) return undefined
  const d = decodeBech32(s)
  if (d === undefined || d.prefix !== 'age' || d.bytes.length !== 32) return undefined
  return d.bytes
}

/** The 32 raw bytes of an `AGE-SECRET-KEY-1…` identity, or `undefined`. */
export function decodeX25519Identity (s: string): Uint8Array | undefined {
  if (!s.startsWith('AGE-SECRET-KEY-1')) return undefined
  const d = decodeBech32(s)
  if (d === undefined || d.prefix.toUpperCase() !== 'AGE-SECRET-KEY-' || d.bytes.length !== 32) return undefined
  return d.bytes
}

// JWK import and export are 10 to 20 times cheaper than DER in Node 20.
function publicKeyObject (raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
}

function rawPublicKey (key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url')
}

/** A fresh X25519 key pair as `{ publicKey: 'age1…', privateKey: 'AGE-SECRET-KEY-1…' }`. */
export function generateX25519KeyPair (): { publicKey: string, privateKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
  return { publicKey: encodeRecipient(rawPublicKey(publicKey)), privateKey: encodeIdentity(scalar) }
}

/** Wraps file keys for one X25519 recipient. */
export class X25519Recipient implements Recipient {
  private readonly raw: Uint8Array
  private readonly key: KeyObject

  constructor (raw: Uint8Array) {
    this.raw = raw
    this.key = publicKeyObject(raw)
  }

  wrapFileKey (fileKey: Uint8Array): Stanza[] {
    const eph = generateKeyPairSync('x25519')
    const share = rawPublicKey(eph.publicKey)
    const secret = diffieHellman({ privateKey: eph.privateKey, publicKey: this.key })
    const key = hkdf32(secret, Buffer.concat([share, this.raw]), LABEL)
    return [{ args: ['X25519', encodeBase64(share)], body: sealFileKey(key, fileKey) }]
  }
}

/** Unwraps file keys sent to one X25519 identity. */
export class X25519Identity implements Identity {
  private readonly key: KeyObject
  /** The matching `age1…` recipient. */
  readonly recipient: string
  private readonly rawRecipient: Buffer

  constructor (scalar: Uint8Array) {
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' })
    this.rawRecipient = rawPublicKey(createPublicKey(this.key))
    this.recipient = encodeRecipient(this.rawRecipient)
  }

  unwrapFileKey (stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue
      if (s.args.length !== 2) throw new Error('X25519 stanza must have exactly one argument')
      const share = decodeBase64(s.args[1])
      if (share?.length !== 32) throw new Error('X25519 share is not 32 bytes of canonical base64')
      if (s.body.length !== 32) throw new Error('X25519 stanza body is not 32 bytes')
      let secret: Buffer
      try {
        secret = diffieHellman({ privateKey: this.key, publicKey: sharePublicKey(s, share) })
      } catch (err: any) {
        // OpenSSL refuses low-order points (an all-zero shared secret).
        throw new Error(`X25519 share is invalid: ${err.message}`, { cause: err })
      }
      if (secret.every(b => b === 0)) throw new Error('X25519 shared secret is all zero')
      const fileKey = openFileKey(hkdf32(secret, Buffer.concat([share, this.rawRecipient]), LABEL), s.body)
      if (fileKey !== null) return fileKey
    }
    return null
  }
}

// The share's key object is parsed once per stanza, however many identities try it.
const shareKeys = new WeakMap<Stanza, KeyObject>()

function sharePublicKey (s: Stanza, share: Uint8Array): KeyObject {
  let k = shareKeys.get(s)
  if (k === undefined) {
    k = publicKeyObject(share)
    shareKeys.set(s, k)
  }
  return k
}
