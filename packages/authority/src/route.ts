import type { RecordPolicy, RecordReplacer, RecordSelector, RecordValidator } from '@chorus-dht/types'
import { InvalidParametersError, UnroutedKeyError } from './errors.js'
import type { CompleteRecordPolicy } from './policy.js'

interface Route {
  prefix: string
  validator: RecordValidator
  selector?: RecordSelector
  replacer?: RecordReplacer
}

/**
 * One record policy made of several, chosen by key prefix. DHTs pick a
 * validator by the key's first segment only (`CHORUS` for both
 * `/CHORUS/authority/…` and `/CHORUS/ucxl/…`); this puts one dispatcher in
 * each namespace that hands the key to the policy of the longest matching
 * prefix, using that policy's validator, selector and replacer for the
 * namespace.
 *
 * - A key that matches no prefix is rejected by the validator
 *   (`UnroutedKeyError`), never selected over a routed one (the selector
 *   answers 0) and never replaces a held record (the replacer answers
 *   `false`).
 * - Every policy must have a validator for its prefix's namespace
 *   (`InvalidParametersError` otherwise). Without a selector the first
 *   value wins; without a replacer an incoming record replaces the held
 *   one when the selector prefers it, and always when there is no selector
 *   either (the DHT contract's default).
 * - A prefix starts with `/` and names a namespace (`/CHORUS/…`); end it
 *   with `/` so `/CHORUS/ucxl/` does not also match `/CHORUS/ucxlfoo`.
 *
 * @example
 * ```ts
 * const policy = routeByPrefix({
 *   '/CHORUS/authority/': authorityRecordPolicy({ authority }),
 *   '/CHORUS/ucxl/': chorusRecordPolicy()
 * })
 * // policy.validators.CHORUS, policy.selectors.CHORUS, policy.replacers.CHORUS
 * ```
 */
export function routeByPrefix (routes: Record<string, RecordPolicy>): CompleteRecordPolicy {
  if (routes == null || typeof routes !== 'object') throw new InvalidParametersError('routes must be an object of prefix → RecordPolicy')
  const byNamespace = new Map<string, Route[]>()
  for (const [prefix, policy] of Object.entries(routes)) {
    const namespace = prefix.startsWith('/') ? prefix.split('/')[1] : ''
    if (namespace === '') throw new InvalidParametersError(`prefix ${JSON.stringify(prefix)} must start with "/" and a namespace, e.g. "/CHORUS/ucxl/"`)
    const validator = policy?.validators?.[namespace]
    if (validator == null) throw new InvalidParametersError(`the policy for prefix ${JSON.stringify(prefix)} has no validator for namespace ${namespace}`)
    const list = byNamespace.get(namespace) ?? []
    list.push({ prefix, validator, selector: policy.selectors?.[namespace], replacer: policy.replacers?.[namespace] })
    byNamespace.set(namespace, list)
  }
  const result: CompleteRecordPolicy = { validators: {}, selectors: {}, replacers: {} }
  for (const [namespace, list] of byNamespace) {
    // Longest prefix first, so a more specific route wins.
    list.sort((a, b) => b.prefix.length - a.prefix.length)
    const match = (key: string): Route | undefined => typeof key === 'string' ? list.find(r => key.startsWith(r.prefix)) : undefined
    result.validators[namespace] = (key, value) => {
      const route = match(key)
      if (route == null) throw new UnroutedKeyError(String(key))
      return route.validator(key, value)
    }
    result.selectors[namespace] = (key, values) => {
      const route = match(key)
      return route?.selector == null ? 0 : route.selector(key, values)
    }
    result.replacers[namespace] = (key, held, incoming) => {
      const route = match(key)
      if (route == null) return false
      if (route.replacer != null) return route.replacer(key, held, incoming)
      if (route.selector != null) return route.selector(key, [held, incoming]) === 1
      return true
    }
  }
  return result
}
