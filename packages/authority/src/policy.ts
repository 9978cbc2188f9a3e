import type { RecordPolicy, RecordReplacer, RecordSelector, RecordValidator } from '@chorus-dht/types'
import { AUTHORITY_NAMESPACE } from './constants.js'
import { type AuthorityRecord, type AuthorityRecordValidatorInit, decodeAuthorityRecord, resolveValidatorInit, verifyResolved } from './records.js'

/**
 * The DHT validator for `/CHORUS/authority/…` keys: see
 * `verifyAuthorityRecord` for what it rejects. Every rejection is an
 * `InvalidAuthorityRecordError` with a `reason`. `init` is checked once,
 * here (`InvalidParametersError` for an authority id that is not an
 * Ed25519 peer id).
 */
export function authorityRecordValidator (init: AuthorityRecordValidatorInit): RecordValidator {
  const resolved = resolveValidatorInit(init)
  return async (key, value) => {
    await verifyResolved(key, value, resolved)
  }
}

function counter (record: AuthorityRecord): number {
  return record.type === 'directory' || record.type === 'revocations' ? record.generation : record.sequence
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}

interface Candidate {
  record: AuthorityRecord
  value: Uint8Array
}

/**
 * Orders two records of one key: negative when `a` is better. The higher
 * `generation` (directory, revocations) or `sequence` (grant, cert), then
 * the later `issuedAt`, then the lexicographically lower bytes: a total
 * order, so every node picks the same winner.
 */
function compareCandidates (a: Candidate, b: Candidate): number {
  return (counter(b.record) - counter(a.record)) ||
    (b.record.issuedAt - a.record.issuedAt) ||
    compareBytes(a.value, b.value)
}

function decode (value: Uint8Array): Candidate | undefined {
  try {
    return { record: decodeAuthorityRecord(value), value }
  } catch {
    return undefined
  }
}

/**
 * The selector for authority records: the highest generation or sequence,
 * then the later `issuedAt`, then the lower bytes. Values that do not
 * decode lose to any that do (the first of them wins when none decodes).
 * It does not verify signatures: the DHT runs it on validated values only.
 */
export const authorityRecordSelector: RecordSelector = (_key, values) => {
  let best = -1
  let bestCandidate: Candidate | undefined
  values.forEach((value, i) => {
    const candidate = decode(value)
    if (candidate == null) return
    if (bestCandidate == null || compareCandidates(candidate, bestCandidate) < 0) {
      best = i
      bestCandidate = candidate
    }
  })
  return best === -1 ? 0 : best
}

/**
 * The replacement rule for authority records: an incoming record replaces
 * the held one only when the selector ranks it better, so a lower
 * generation or sequence never replaces a higher one (a replayed old
 * directory, grant, certificate or revocation list is refused: nothing is
 * rolled back). A held value that does not decode is replaced; an incoming
 * one that does not decode is refused.
 */
export const authorityRecordReplacer: RecordReplacer = (_key, held, incoming) => {
  const heldCandidate = decode(held)
  if (heldCandidate == null) return true
  const incomingCandidate = decode(incoming)
  if (incomingCandidate == null) return false
  return compareCandidates(incomingCandidate, heldCandidate) < 0
}

/** A record policy with all three parts set. */
export type CompleteRecordPolicy = Required<Pick<RecordPolicy, 'validators' | 'selectors' | 'replacers'>>

/**
 * The validator, selector and replacement rule for the `CHORUS` namespace,
 * for a DHT that holds authority records only. Where `/CHORUS/ucxl/…` (or
 * anything else under `/CHORUS/`) is stored too, combine the policies with
 * `routeByPrefix`.
 */
export function authorityRecordPolicy (init: AuthorityRecordValidatorInit): CompleteRecordPolicy {
  return {
    validators: { [AUTHORITY_NAMESPACE]: authorityRecordValidator(init) },
    selectors: { [AUTHORITY_NAMESPACE]: authorityRecordSelector },
    replacers: { [AUTHORITY_NAMESPACE]: authorityRecordReplacer }
  }
}
