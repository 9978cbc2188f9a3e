import { equals as bytesEqual } from 'uint8arrays/equals'
import { namespaceOf } from '@chorus-dht/utils'
import { InvalidParametersError } from './errors.js'
import type { RecordPolicy } from '@chorus-dht/types'

/**
 * The namespace of a record key (`CHORUS` for `/CHORUS/ucxl/…`): the one rule
 * of `@chorus-dht/utils`, as libp2p's kad-dht reads keys. A key `/NS/rest`
 * with a non-empty rest has namespace `NS`; anything else (`/CHORUS/` alone)
 * has none.
 */
export { namespaceOf }

/**
 * Validates a record exactly as libp2p's kad-dht does: the key must have a
 * namespace, the namespace must have a validator, and the validator must
 * not throw. Every failure is an `InvalidParametersError` (the validator's
 * own error is kept as `cause`).
 */
export async function validateRecord (policy: RecordPolicy, key: string, value: Uint8Array): Promise<void> {
  const ns = namespaceOf(key)
  if (ns === undefined) {
    throw new InvalidParametersError(`Record key "${key}" is missing a namespace (expected /<namespace>/<name>)`)
  }
  const validator = policy.validators?.[ns]
  if (validator == null) {
    throw new InvalidParametersError(`No validator available for key type "${ns}"`)
  }
  try {
    await validator(key, value)
  } catch (err: any) {
    throw new InvalidParametersError(`Record for key "${key}" failed validation: ${err?.message ?? String(err)}`, { cause: err })
  }
}

/** Whether a record passes validation (no throw). */
export async function isValidRecord (policy: RecordPolicy, key: string, value: Uint8Array): Promise<boolean> {
  try {
    await validateRecord(policy, key, value)
    return true
  } catch {
    return false
  }
}

/**
 * Picks the best of several valid records with the namespace's selector,
 * as kad-dht's `bestRecord` does: a missing selector is an error
 * (`InvalidParametersError`), one record needs no selector call.
 */
export function selectRecord (policy: RecordPolicy, key: string, values: Uint8Array[]): number {
  if (values.length === 0) throw new InvalidParametersError('No records given')
  const ns = namespaceOf(key)
  const selector = ns === undefined ? undefined : policy.selectors?.[ns]
  if (selector == null) {
    throw new InvalidParametersError(`No selector function configured for key type "${ns ?? ''}"`)
  }
  if (values.length === 1) return 0
  const i = selector(key, values)
  if (!Number.isInteger(i) || i < 0 || i >= values.length) {
    throw new InvalidParametersError(`Selector for key type "${ns}" returned ${String(i)}, not an index of ${values.length} records`)
  }
  return i
}

/**
 * The replacement rule of the DHT contract (`RecordReplacer` in
 * `@chorus-dht/types`): whether a valid `incoming` record may replace the
 * record a node holds for `key`. No held record, a held record that no
 * longer validates, or identical bytes: yes. Otherwise the namespace's
 * replacer decides; without one, `incoming` wins only when the selector
 * prefers it (`selector(key, [held, incoming]) === 1`), so nothing is rolled
 * back to a record the selector ranks lower. Without a replacer and without
 * a selector nothing can be preferred, so the held record is kept.
 */
export async function mayReplace (policy: RecordPolicy, key: string, held: Uint8Array | undefined, incoming: Uint8Array): Promise<boolean> {
  if (held == null || bytesEqual(held, incoming)) return true
  if (!(await isValidRecord(policy, key, held))) return true
  const ns = namespaceOf(key)
  if (ns === undefined) return false
  const replacer = policy.replacers?.[ns]
  if (replacer != null) return replacer(key, held.slice(), incoming.slice()) === true
  const selector = policy.selectors?.[ns]
  if (selector == null) return false
  return selector(key, [held.slice(), incoming.slice()]) === 1
}

/** Merges record policies (validators, selectors and replacers); later ones win for the same namespace. */
export function mergePolicies (...policies: Array<RecordPolicy | undefined>): RecordPolicy {
  const out: Required<RecordPolicy> = { validators: {}, selectors: {}, replacers: {} }
  for (const p of policies) {
    Object.assign(out.validators, p?.validators)
    Object.assign(out.selectors, p?.selectors)
    Object.assign(out.replacers, p?.replacers)
  }
  return out
}
