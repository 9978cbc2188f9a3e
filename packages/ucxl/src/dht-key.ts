import { sha256 } from '@noble/hashes/sha2.js'
import type { UCXLAddress } from '@chorus-dht/types'
import { toAddress, withTemporal, type UCXLAddressFields } from './address.js'
import { DHT_KEY_PREFIX, MAX_TEMPORAL_COUNT } from './constants.js'
import { InvalidUcxlAddressError } from './errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Base64url with `=` padding, as Go's `base64.URLEncoding` writes it.
 *
 * @internal
 */
export function base64UrlPadded (bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63]
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i] << 16
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}==`
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}=`
  }
  return out
}

/** Canonical addresses are ASCII, so each character is one byte. */
function asciiBytes (s: string): Uint8Array {
  const bytes = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i)
  return bytes
}

function keyOfCanonical (canonical: string): string {
  return DHT_KEY_PREFIX + base64UrlPadded(sha256(asciiBytes(canonical)))
}

/**
 * The DHT key of an address:
 * `"/CHORUS/ucxl/" + base64url-with-padding(sha256(canonical string))`.
 * A string is parsed leniently first, so the slash form and the canonical
 * form of one address have the same key; an object is validated and its
 * canonical string rebuilt from its fields (its `raw` is not trusted).
 *
 * @throws {InvalidUcxlAddressError} when the address is malformed
 */
export function dhtKey (address: UCXLAddress | UCXLAddressFields | string): string {
  return keyOfCanonical(toAddress(address).raw)
}

/**
 * The key of the head record of an address: {@link dhtKey} of the address
 * with temporal segment `*^`.
 *
 * @throws {InvalidUcxlAddressError} when the address is malformed
 */
export function headKey (address: UCXLAddress | string): string {
  return keyOfCanonical(withTemporal(address, { type: 'latest' }).raw)
}

/**
 * The key of the immutable record of version `n` of an address:
 * {@link dhtKey} of the address with temporal segment `*~n`.
 *
 * @throws {InvalidUcxlAddressError} when the address is malformed or `n` is
 * not an integer from 0 to `Number.MAX_SAFE_INTEGER` (field `temporal_segment`)
 */
export function versionKey (address: UCXLAddress | string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TEMPORAL_COUNT) {
    throw new InvalidUcxlAddressError('temporal_segment', `version must be an integer from 0 to ${MAX_TEMPORAL_COUNT}, got ${String(n)}`, typeof address === 'string' ? address : String(address?.raw))
  }
  return keyOfCanonical(withTemporal(address, { type: 'specific', count: n }).raw)
}
