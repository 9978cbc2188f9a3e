import { Encrypter, armor, identityToRecipient } from 'age-encryption'
import type { Identity, Stanza } from 'age-encryption'
import { AGE_ARMOR_HEADER, AGE_X25519_IDENTITY_PATTERN, AGE_X25519_RECIPIENT_PATTERN } from './constants.js'

/**
 * Whether `value` is an age X25519 recipient (`age1…`, bech32 checksum
 * included). Post-quantum and tag recipients are not: grants and the role
 * directory carry X25519 recipients only, the kind the age CLI and every
 * chorus-dht node read.
 */
export function isX25519Recipient (value: unknown): value is string {
  if (typeof value !== 'string' || !AGE_X25519_RECIPIENT_PATTERN.test(value)) return false
  try {
    // The constructor decodes the bech32 string, so a bad checksum throws here.
    new Encrypter().addRecipient(value)
    return true
  } catch {
    return false
  }
}

/** Whether `value` is an age X25519 identity (`AGE-SECRET-KEY-1…`, checksum included). */
export async function isX25519Identity (value: unknown): Promise<boolean> {
  if (typeof value !== 'string' || !AGE_X25519_IDENTITY_PATTERN.test(value)) return false
  try {
    await identityToRecipient(value)
    return true
  } catch {
    return false
  }
}

/** Whether `value` looks like an armored age file and its armor decodes. */
export function isArmoredAgeFile (value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith(AGE_ARMOR_HEADER)) return false
  try {
    armor.decode(value)
    return true
  } catch {
    return false
  }
}

/**
 * Why an age file did not open, told apart without reading the library's
 * error messages: a last identity is called only when every real identity
 * returned `null`, i.e. none matched.
 */
export interface NoMatchProbe extends Identity {
  /** The stanzas of the file when no identity matched, else `undefined`. */
  unmatched?: Stanza[]
}

/** An identity that matches nothing and records that it was reached. */
export function noMatchProbe (): NoMatchProbe {
  const probe: NoMatchProbe = {
    unwrapFileKey (stanzas) {
      probe.unmatched = stanzas
      return null
    }
  }
  return probe
}
