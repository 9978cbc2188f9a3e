/**
 * @packageDocumentation
 *
 * UCXL addresses: strict and lenient parsing, canonical formatting,
 * temporal segments and version resolution, matching, JSON, and the DHT keys
 * CHORUS stores content under. Pure functions with no Node-only imports: it
 * runs in browsers too.
 *
 * @example
 *
 * ```ts
 * import { dhtKey, format, headKey, matches, parse, parseLenient, resolveVersion } from '@chorus-dht/ucxl'
 *
 * const address = parse('ucxl://agent1:backend_developer@proj:task1/*^/decisions/api')
 * address.temporal_segment // { type: 'latest' }
 * format(address) // 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api'
 *
 * // The slash form of the CHORUS DHT docs, explicitly:
 * parseLenient('ucxl://agent1/backend_developer/proj/task1/decisions/api').raw === address.raw // true
 *
 * dhtKey(address) // '/CHORUS/ucxl/…=' (sha-256 of the canonical string, base64url with padding)
 * headKey('ucxl://agent1:backend_developer@proj:task1/~~2/decisions/api') === dhtKey(address) // true
 * matches('ucxl://any:backend_developer@proj:any/*~/decisions/api', address) // true
 * resolveVersion({ type: 'relative', direction: 'backward', count: 2 }, { first: 1, latest: 5 }) // 3
 * ```
 */

export type { TemporalSegment, TemporalType, UCXLAddress } from '@chorus-dht/types'
export * from './constants.js'
export * from './errors.js'
export {
  format,
  fromJSON,
  isUcxlAddress,
  matches,
  parse,
  parseLenient,
  toJSON,
  validate,
  withTemporal,
  type UcxlComponent,
  type UCXLAddressFields,
  type ValidateOptions,
  type ValidationResult
} from './address.js'
export { formatTemporal, parseTemporal, resolveVersion, type ParseTemporalOptions, type VersionHistory } from './temporal.js'
export { dhtKey, headKey, versionKey } from './dht-key.js'
