import { Decrypter, Encrypter, armor } from 'age-encryption'
import { isX25519Identity, isX25519Recipient, noMatchProbe } from './age.js'
import { AccessDeniedError, IntegrityError, InvalidParametersError } from './errors.js'

/**
 * Encrypts a role's identities (every generation, oldest first is the
 * convention) to one node's own age X25519 recipient. The plaintext is the
 * identities, one per line, each line ending in `\n`; the result is an
 * ASCII-armored age v1 file, the form `GrantRecord.identities` carries and
 * `age -d -i <node identity file>` opens.
 */
export async function encryptGrantIdentities (identities: string[], toRecipient: string): Promise<string> {
  if (!Array.isArray(identities) || identities.length === 0) {
    throw new InvalidParametersError('identities must be a non-empty array of AGE-SECRET-KEY-1… strings')
  }
  for (const [i, identity] of identities.entries()) {
    if (!await isX25519Identity(identity)) throw new InvalidParametersError(`identities[${i}] is not an age X25519 identity`)
  }
  if (!isX25519Recipient(toRecipient)) throw new InvalidParametersError('toRecipient must be an age X25519 recipient (age1…)')
  const encrypter = new Encrypter()
  encrypter.addRecipient(toRecipient)
  return armor.encode(await encrypter.encrypt(identities.map(id => `${id}\n`).join('')))
}

/**
 * Opens a grant ciphertext (armored, or the binary age file) with the
 * node's own identity and returns the role identities it holds. Lines that
 * are empty or start with `#` (as `age-keygen` writes) are skipped.
 * Throws `AccessDeniedError` when it was encrypted to another recipient,
 * `IntegrityError` when it is corrupt or holds something else, and
 * `InvalidParametersError` for a `nodeIdentity` that is not X25519.
 */
export async function decryptGrantIdentities (ciphertext: string | Uint8Array, nodeIdentity: string): Promise<string[]> {
  if (!await isX25519Identity(nodeIdentity)) throw new InvalidParametersError('nodeIdentity must be an age X25519 identity (AGE-SECRET-KEY-1…)')
  let file: Uint8Array
  if (typeof ciphertext === 'string') {
    try {
      file = armor.decode(ciphertext)
    } catch (err) {
      throw new IntegrityError('the grant ciphertext is not an armored age file', { cause: err })
    }
  } else if (ciphertext instanceof Uint8Array) {
    file = ciphertext
  } else {
    throw new InvalidParametersError('ciphertext must be a string or a Uint8Array')
  }
  const decrypter = new Decrypter()
  decrypter.addIdentity(nodeIdentity)
  const probe = noMatchProbe()
  decrypter.addIdentity(probe)
  let text: string
  try {
    text = await decrypter.decrypt(file, 'text')
  } catch (err) {
    if (probe.unmatched != null) throw new AccessDeniedError('the grant is not encrypted to this node identity', { cause: err })
    throw new IntegrityError('the grant ciphertext does not decrypt', { cause: err })
  }
  const lines = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  for (const line of lines) {
    if (!await isX25519Identity(line)) throw new IntegrityError('the grant plaintext holds a line that is not an age identity')
  }
  if (lines.length === 0) throw new IntegrityError('the grant plaintext holds no identity')
  return lines
}
