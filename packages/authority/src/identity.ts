import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { AGE_ARMOR_HEADER, DEFAULT_SCRYPT_WORK_FACTOR, MAX_SCRYPT_WORK_FACTOR, MIN_SCRYPT_WORK_FACTOR } from './constants.js'
import { Decrypter, Encrypter, armor } from 'age-encryption'
import { noMatchProbe } from './age.js'
import { InvalidAuthorityKeyError, InvalidParametersError, WrongPassphraseError } from './errors.js'

/** A libp2p private key; authority keys are always Ed25519. */
export type AuthorityPrivateKey = Parameters<typeof privateKeyToProtobuf>[0]

/** The public half of an authority: what verifies its signatures. */
export type AuthorityPublicKey = NonNullable<AuthorityPrivateKey['publicKey']>

/** A freshly generated authority. */
export interface Authority {
  /** The Ed25519 private key. Keep it offline; export it only with {@link exportAuthorityKey}. */
  privateKey: AuthorityPrivateKey
  /**
   * The authority id: the peer-id string of the key (`12D3KooW…`). It embeds
   * the public key, so it is all a node needs to be configured with.
   */
  id: string
}

/** Options of {@link exportAuthorityKey}. */
export interface ExportAuthorityKeyOptions {
  /**
   * The scrypt work factor (log2 N) of the file, from 10 to 20. Lower is
   * faster to open and cheaper to brute-force.
   * @default 18
   */
  workFactor?: number
  /**
   * Write the file ASCII-armored (`-----BEGIN AGE ENCRYPTED FILE-----`)
   * instead of binary.
   * @default false
   */
  armor?: boolean
}

function assertEd25519 (privateKey: AuthorityPrivateKey, what: string): void {
  if (privateKey == null || typeof privateKey !== 'object' || privateKey.type !== 'Ed25519') {
    throw new InvalidParametersError(`${what} must be an Ed25519 private key`)
  }
}

/** Throws `InvalidParametersError` unless `privateKey` is an Ed25519 libp2p key. */
export function assertAuthorityPrivateKey (privateKey: AuthorityPrivateKey): void {
  assertEd25519(privateKey, 'the authority key')
}

/** The authority id (peer-id string) of an authority private key. */
export function authorityIdFromPrivateKey (privateKey: AuthorityPrivateKey): string {
  assertAuthorityPrivateKey(privateKey)
  return peerIdFromPrivateKey(privateKey).toString()
}

/**
 * The public key embedded in an authority id. Throws
 * `InvalidParametersError` when `id` is not the canonical string of an
 * Ed25519 peer id.
 */
export function authorityPublicKey (id: string): AuthorityPublicKey {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidParametersError('the authority id must be a non-empty peer-id string')
  }
  let peerId: ReturnType<typeof peerIdFromString>
  try {
    peerId = peerIdFromString(id)
  } catch (err) {
    throw new InvalidParametersError(`the authority id ${JSON.stringify(id)} is not a peer id`, { cause: err })
  }
  if (peerId.type !== 'Ed25519' || peerId.publicKey == null) {
    throw new InvalidParametersError(`the authority id ${JSON.stringify(id)} is not an Ed25519 peer id`)
  }
  if (peerId.toString() !== id) {
    throw new InvalidParametersError(`the authority id ${JSON.stringify(id)} is not in canonical form (${peerId.toString()})`)
  }
  return peerId.publicKey
}

/** Generates a new authority: an Ed25519 key pair and its id. */
export async function generateAuthority (): Promise<Authority> {
  const privateKey = await generateKeyPair('Ed25519')
  return { privateKey, id: peerIdFromPrivateKey(privateKey).toString() }
}

function assertPassphrase (passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidParametersError('the passphrase must be a non-empty string')
  }
}

/**
 * The authority key as an age file encrypted with a passphrase (scrypt
 * recipient), holding the protobuf-marshalled private key
 * (`privateKeyToProtobuf`). `age -d` opens it with the passphrase. There is
 * deliberately no unencrypted variant.
 */
export async function exportAuthorityKey (privateKey: AuthorityPrivateKey, passphrase: string, options: ExportAuthorityKeyOptions = {}): Promise<Uint8Array> {
  assertAuthorityPrivateKey(privateKey)
  assertPassphrase(passphrase)
  const workFactor = options.workFactor ?? DEFAULT_SCRYPT_WORK_FACTOR
  if (!Number.isInteger(workFactor) || workFactor < MIN_SCRYPT_WORK_FACTOR || workFactor > MAX_SCRYPT_WORK_FACTOR) {
    throw new InvalidParametersError(`workFactor must be an integer from ${MIN_SCRYPT_WORK_FACTOR} to ${MAX_SCRYPT_WORK_FACTOR}`)
  }
  const encrypter = new Encrypter()
  encrypter.setPassphrase(passphrase)
  encrypter.setScryptWorkFactor(workFactor)
  const file = await encrypter.encrypt(privateKeyToProtobuf(privateKey))
  return options.armor === true ? new TextEncoder().encode(armor.encode(file)) : file
}

const ARMOR_PREFIX = new TextEncoder().encode(AGE_ARMOR_HEADER)

function isArmored (bytes: Uint8Array): boolean {
  // Armor may be preceded by whitespace.
  let i = 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++
  if (bytes.length - i < ARMOR_PREFIX.length) return false
  return ARMOR_PREFIX.every((b, j) => bytes[i + j] === b)
}

/**
 * Opens a file written by {@link exportAuthorityKey} (binary or armored).
 * Throws `WrongPassphraseError` when the passphrase does not open it and
 * `InvalidAuthorityKeyError` when the bytes are not a passphrase-encrypted
 * age file holding an Ed25519 private key.
 */
export async function importAuthorityKey (file: Uint8Array, passphrase: string): Promise<Authority> {
  if (!(file instanceof Uint8Array)) {
    throw new InvalidParametersError('the authority key file must be a Uint8Array')
  }
  assertPassphrase(passphrase)
  let bytes = file
  if (isArmored(file)) {
    try {
      bytes = armor.decode(new TextDecoder('utf-8', { fatal: true }).decode(file))
    } catch (err) {
      throw new InvalidAuthorityKeyError('the armored authority key file does not decode', { cause: err })
    }
  }
  const decrypter = new Decrypter()
  decrypter.addPassphrase(passphrase)
  const probe = noMatchProbe()
  decrypter.addIdentity(probe)
  let plaintext: Uint8Array
  try {
    plaintext = await decrypter.decrypt(bytes)
  } catch (err) {
    if (probe.unmatched != null) {
      if (probe.unmatched.some(s => s.args[0] === 'scrypt')) throw new WrongPassphraseError(undefined, { cause: err })
      throw new InvalidAuthorityKeyError('the age file is not passphrase-encrypted', { cause: err })
    }
    throw new InvalidAuthorityKeyError('not a readable age file', { cause: err })
  }
  let privateKey: AuthorityPrivateKey
  try {
    privateKey = privateKeyFromProtobuf(plaintext)
  } catch (err) {
    throw new InvalidAuthorityKeyError('the age file does not hold a protobuf-marshalled private key', { cause: err })
  }
  if (privateKey.type !== 'Ed25519') {
    throw new InvalidAuthorityKeyError(`the age file holds a ${privateKey.type} key, not an Ed25519 authority key`)
  }
  return { privateKey, id: peerIdFromPrivateKey(privateKey).toString() }
}
