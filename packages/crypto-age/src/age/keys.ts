/**
 * Turning key strings into recipient and identity objects: X25519 on
 * node:crypto, post-quantum hybrid (ML-KEM-768 + X25519) through
 * `age-encryption`, with a bounded cache so a key is parsed once.
 */
import { InvalidParametersError } from '@chorus-dht/types'
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption'
import type { Identity, Recipient } from './format.js'
import { decodeBech32, decodeX25519Identity, decodeX25519Recipient, X25519Identity, X25519Recipient } from './x25519.js'

const CACHE_LIMIT = 1024
const recipientCache = new Map<string, Recipient>()
const identityCache = new Map<string, Identity>()

function remember<T> (cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
  cache.set(key, value)
  return value
}

function describe (s: unknown): string {
  if (typeof s !== 'string') return typeof s
  return s.length > 20 ? `"${s.slice(0, 12)}…" (${s.length} characters)` : JSON.stringify(s)
}

/**
 * Why `s` is not a valid public key, or `undefined` when it is one.
 * Accepts X25519 (`age1…`) and hybrid post-quantum (`age1pq1…`) recipients.
 */
export function recipientProblem (s: unknown): string | undefined {
  if (typeof s !== 'string') return 'not a string'
  if (s.startsWith('age1pq1')) {
    const d = decodeBech32(s)
    if (d === undefined || d.prefix !== 'age1pq' || d.bytes.length !== 1216) return 'not a valid age1pq1 hybrid recipient (bad bech32 or length)'
    return undefined
  }
  if (!s.startsWith('age1')) return 'does not start with "age1"'
  if (decodeX25519Recipient(s) === undefined) return 'not a valid X25519 recipient (bad bech32 checksum, case or length)'
  return undefined
}

/**
 * Why `s` is not a valid private key, or `undefined` when it is one.
 * Never puts the key itself in the message.
 */
export function identityProblem (s: unknown): string | undefined {
  if (typeof s !== 'string') return 'not a string'
  if (s.startsWith('AGE-SECRET-KEY-PQ-1')) {
    const d = decodeBech32(s)
    if (d === undefined || d.prefix.toUpperCase() !== 'AGE-SECRET-KEY-PQ-' || d.bytes.length !== 32) return 'not a valid AGE-SECRET-KEY-PQ-1 hybrid identity (bad bech32 or length)'
    return undefined
  }
  if (!s.startsWith('AGE-SECRET-KEY-1')) return 'does not start with "AGE-SECRET-KEY-1"'
  if (decodeX25519Identity(s) === undefined) return 'not a valid X25519 identity (bad bech32 checksum, case or length)'
  return undefined
}

/** Parses a recipient; throws `InvalidParametersError` naming `what`. */
export function parseRecipient (s: string, what = 'recipient'): Recipient {
  const cached = recipientCache.get(s)
  if (cached !== undefined) return cached
  const problem = recipientProblem(s)
  if (problem !== undefined) throw new InvalidParametersError(`${what} ${describe(s)} is ${problem}`)
  const raw = decodeX25519Recipient(s)
  if (raw !== undefined) return remember(recipientCache, s, new X25519Recipient(raw))
  return remember(recipientCache, s, foreignRecipient(s, what))
}

/** Parses an identity; throws `InvalidParametersError` naming `what`. */
export function parseIdentity (s: string, what = 'identity'): Identity {
  const cached = identityCache.get(s)
  if (cached !== undefined) return cached
  const problem = identityProblem(s)
  if (problem !== undefined) throw new InvalidParametersError(`${what} is ${problem}`)
  const scalar = decodeX25519Identity(s)
  if (scalar !== undefined) return remember(identityCache, s, new X25519Identity(scalar))
  return remember(identityCache, s, foreignIdentity(s, what))
}

/** The `age1…` recipient of an identity string. */
export async function recipientOf (identity: string, what = 'identity'): Promise<string> {
  const parsed = parseIdentity(identity, what)
  if (parsed instanceof X25519Identity) return parsed.recipient
  return await identityToRecipient(identity)
}

// age-encryption exports the Recipient/Identity interfaces but not its hybrid
// classes; Encrypter/Decrypter build them from strings. Reach them through
// the instance and check the shape, so a change upstream fails loudly here.
function foreignRecipient (s: string, what: string): Recipient {
  const e = new Encrypter()
  try {
    e.addRecipient(s)
  } catch (err: any) {
    throw new InvalidParametersError(`${what} ${describe(s)} is invalid: ${err.message}`, { cause: err })
  }
  const r = (e as any).recipients?.[0]
  if (typeof r?.wrapFileKey !== 'function') throw new Error('age-encryption changed: cannot reach its hybrid recipient')
  return r as Recipient
}

function foreignIdentity (s: string, what: string): Identity {
  const d = new Decrypter()
  try {
    d.addIdentity(s)
  } catch (err: any) {
    throw new InvalidParametersError(`${what} is invalid: ${err.message}`, { cause: err })
  }
  const id = (d as any).identities?.[0]
  if (typeof id?.unwrapFileKey !== 'function') throw new Error('age-encryption changed: cannot reach its hybrid identity')
  return id as Identity
}
