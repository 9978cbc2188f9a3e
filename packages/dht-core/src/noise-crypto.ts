import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface, KeyPair } from '@chainsafe/libp2p-noise'
import type { KeyObject } from 'node:crypto'

/**
 * The X25519 steps of noise without DER: libp2p-noise's Node crypto imports
 * both keys of every Diffie-Hellman from PKCS#8 / SPKI DER, which goes
 * through OpenSSL's decoder framework (about 370 µs for the private key and
 * 90 µs for the public one on Node 20, against 35 µs for the DH itself). A
 * handshake makes three DHs on each side, and a CPU profile of 20 puts on a
 * 100-node network showed those imports at a fifth of all CPU.
 *
 * Here the key pairs are generated as key objects, the private key object is
 * kept with the raw bytes noise holds (a WeakMap on that very array: noise
 * passes its key pair's `privateKey` back to every DH, and the entry goes
 * when the key pair does), and peers' public keys are imported from JWK,
 * which Node reads as raw bytes (6 µs). The bytes on the wire and the shared
 * secrets are the same as with libp2p-noise's own crypto (tested against it);
 * the hashing and the cipher are libp2p-noise's.
 */
const privateKeys = new WeakMap<Uint8Array, KeyObject>()

/** A key as noise hands it over: bytes, or a Uint8ArrayList of them. */
type NoiseBytes = Parameters<ICryptoInterface['generateX25519SharedKey']>[1]

function raw (bytes: NoiseBytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.subarray()
}

function jwkBytes (key: KeyObject, field: 'x' | 'd'): Uint8Array {
  // Node's JWK of an X25519 key always has x, and d when it is a private key
  return Buffer.from(key.export({ format: 'jwk' })[field] as string, 'base64url')
}

function remember (privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  const pair = { publicKey: jwkBytes(publicKey, 'x'), privateKey: jwkBytes(privateKey, 'd') }
  privateKeys.set(pair.privateKey, privateKey)
  return pair
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair (): KeyPair {
    const { privateKey, publicKey } = generateKeyPairSync('x25519')
    return remember(privateKey, publicKey)
  },
  generateX25519SharedKey (privateKey: NoiseBytes, publicKey: NoiseBytes): Uint8Array {
    const ours = privateKey instanceof Uint8Array ? privateKeys.get(privateKey) : undefined
    // a key this module did not make (noise's static key from a seed): libp2p-noise's DER import
    if (ours == null) return defaultCrypto.generateX25519SharedKey(privateKey, publicKey)
    const theirs = raw(publicKey)
    if (theirs.byteLength !== 32) throw new Error(`X25519 public key must be 32 bytes, got ${theirs.byteLength}`)
    return diffieHellman({
      privateKey: ours,
      publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(theirs.buffer, theirs.byteOffset, theirs.byteLength).toString('base64url') }, format: 'jwk' })
    })
  }
}
