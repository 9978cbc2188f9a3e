import { NotFoundError, type TemporalSegment } from '@chorus-dht/types'
import { describeChar, isDigit } from './charset.js'
import { MAX_ADDRESS_LENGTH, MAX_TEMPORAL_COUNT } from './constants.js'
import { InvalidUcxlAddressError } from './errors.js'

/** Options of {@link parseTemporal}. */
export interface ParseTemporalOptions {
  /**
   * Accept counts with leading zeros (`*~007` is `*~7`), as CHORUS does.
   *
   * @default false
   */
  lenient?: boolean
}

/** The version history a temporal segment is resolved against. */
export interface VersionHistory {
  /** The first (oldest) version number that exists. */
  first: number
  /** The latest (newest) version number that exists. */
  latest: number
}

const FORMS = "one of '*^', '*~', '*~N', '~~N', '^^N'"

/** The segment as written in an address, for messages; never throws. */
function describeSegment (segment: unknown): string {
  try {
    return formatTemporal(segment as TemporalSegment)
  } catch {
    try {
      return JSON.stringify(segment) ?? String(segment)
    } catch {
      return String(typeof segment)
    }
  }
}

/**
 * Reads the decimal count of `*~N`, `~~N` or `^^N`.
 *
 * @internal
 */
function parseCount (digits: string, form: string, raw: string, lenient: boolean): number {
  if (digits.length === 0) {
    throw new InvalidUcxlAddressError('temporal_segment', `'${form}' needs a count, e.g. '${form}1'`, raw)
  }
  for (let i = 0; i < digits.length; i++) {
    if (!isDigit(digits.charCodeAt(i))) {
      throw new InvalidUcxlAddressError('temporal_segment', `the count after '${form}' must be decimal digits, found ${describeChar(digits, i)}`, raw)
    }
  }
  let start = 0
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++
  if (start > 0 && !lenient) {
    throw new InvalidUcxlAddressError('temporal_segment', `leading zeros are not allowed in a count: write '${form}${digits.slice(start)}'`, raw)
  }
  const significant = digits.slice(start)
  // 16 digits is the most MAX_SAFE_INTEGER has; longer is too big without converting.
  const value = significant.length > 16 ? Number.POSITIVE_INFINITY : Number(significant)
  if (value > MAX_TEMPORAL_COUNT) {
    const shown = significant.length > 24 ? `${significant.slice(0, 24)}…` : significant
    throw new InvalidUcxlAddressError('temporal_segment', `count ${shown} is larger than ${MAX_TEMPORAL_COUNT} (Number.MAX_SAFE_INTEGER)`, raw)
  }
  return value
}

/**
 * Parses a temporal segment text with a given `raw` for error messages.
 *
 * @internal
 */
export function parseTemporalText (text: string, raw: string, lenient: boolean): TemporalSegment {
  if (text.length > MAX_ADDRESS_LENGTH) {
    throw new InvalidUcxlAddressError('temporal_segment', `the temporal segment is ${text.length} characters long; the limit is ${MAX_ADDRESS_LENGTH}`, raw)
  }
  if (text === '*^') return { type: 'latest' }
  if (text === '*~') return { type: 'any' }
  if (text.length === 0) {
    throw new InvalidUcxlAddressError('temporal_segment', `the temporal segment is empty; expected ${FORMS}`, raw)
  }
  const form = text.slice(0, 2)
  const digits = text.slice(2)
  if (form === '*~') return { type: 'specific', count: parseCount(digits, form, raw, lenient) }
  if (form === '~~') return { type: 'relative', direction: 'backward', count: parseCount(digits, form, raw, lenient) }
  if (form === '^^') return { type: 'relative', direction: 'forward', count: parseCount(digits, form, raw, lenient) }
  const shown = text.length > 32 ? `${text.slice(0, 32)}…` : text
  throw new InvalidUcxlAddressError('temporal_segment', `unknown temporal segment '${shown}'; expected ${FORMS}`, raw)
}

/**
 * Parses a temporal segment: `*^` (latest), `*~` (any), `*~N` (version N),
 * `~~N` (N versions back from the latest), `^^N` (N versions forward from the
 * first). N is decimal, at most `Number.MAX_SAFE_INTEGER`, and has no leading
 * zeros unless `options.lenient` is set.
 *
 * @throws {InvalidUcxlAddressError} field `temporal_segment`
 */
export function parseTemporal (text: string, options?: ParseTemporalOptions): TemporalSegment {
  if (typeof text !== 'string') {
    throw new InvalidUcxlAddressError('temporal_segment', `expected a string, got ${text === null ? 'null' : typeof text}`, String(typeof text))
  }
  return parseTemporalText(text, text, options?.lenient === true)
}

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Checks a temporal segment object and returns a clean copy holding only the
 * members its type uses. CHORUS writes `count` with `omitempty`, so a missing
 * count is read as 0 when `missingCountIsZero` is set (JSON input only).
 *
 * @internal
 */
export function normalizeTemporal (segment: unknown, rawOf: string | (() => string), missingCountIsZero = false): TemporalSegment {
  // The raw text is only needed for an error, so a caller may pass it lazily.
  const raw = (): string => (typeof rawOf === 'string' ? rawOf : rawOf())
  if (segment === null || typeof segment !== 'object') {
    throw new InvalidUcxlAddressError('temporal_segment', `expected a temporal segment object, got ${segment === null ? 'null' : typeof segment}`, raw())
  }
  const { type, direction, count } = segment as Record<string, unknown>
  const noDirection = direction === undefined || direction === ''
  switch (type) {
    case 'latest':
    case 'any':
      if (!noDirection) throw new InvalidUcxlAddressError('temporal_segment', `a '${type}' segment has no direction`, raw())
      if (count !== undefined && count !== 0) throw new InvalidUcxlAddressError('temporal_segment', `a '${type}' segment has no count`, raw())
      return { type }
    case 'specific': {
      if (!noDirection) throw new InvalidUcxlAddressError('temporal_segment', "a 'specific' segment has no direction", raw())
      const n = count === undefined && missingCountIsZero ? 0 : count
      if (!isCount(n)) throw new InvalidUcxlAddressError('temporal_segment', `count must be an integer from 0 to ${MAX_TEMPORAL_COUNT}, got ${String(count)}`, raw())
      return { type, count: n }
    }
    case 'relative': {
      if (direction !== 'backward' && direction !== 'forward') {
        throw new InvalidUcxlAddressError('temporal_segment', `a 'relative' segment needs direction 'backward' or 'forward', got ${String(direction)}`, raw())
      }
      const n = count === undefined && missingCountIsZero ? 0 : count
      if (!isCount(n)) throw new InvalidUcxlAddressError('temporal_segment', `count must be an integer from 0 to ${MAX_TEMPORAL_COUNT}, got ${String(count)}`, raw())
      return { type, direction, count: n }
    }
    default:
      throw new InvalidUcxlAddressError('temporal_segment', `type must be 'latest', 'any', 'specific' or 'relative', got ${String(type)}`, raw())
  }
}

/**
 * Formats a temporal segment object as it is written in an address
 * (`*^`, `*~`, `*~N`, `~~N`, `^^N`).
 *
 * @throws {InvalidUcxlAddressError} field `temporal_segment` when the object is malformed
 */
export function formatTemporal (segment: TemporalSegment): string {
  return formatNormalized(normalizeTemporal(segment, '[temporal segment]'))
}

/** @internal */
export function formatNormalized (segment: TemporalSegment): string {
  switch (segment.type) {
    case 'latest': return '*^'
    case 'any': return '*~'
    case 'specific': return `*~${segment.count}`
    default: return `${segment.direction === 'backward' ? '~~' : '^^'}${segment.count}`
  }
}

/** @internal */
export function sameTemporal (a: TemporalSegment, b: TemporalSegment): boolean {
  return a.type === b.type && a.count === b.count && a.direction === b.direction
}

/**
 * Resolves a temporal segment to a version number against a history of
 * versions `first..latest`: `*^` → latest, `*~` → first, `*~N` → N,
 * `~~N` → latest − N, `^^N` → first + N.
 *
 * @throws {NotFoundError} when the history is empty (`latest < first`, or
 * `first`/`latest` not integers) or the version falls outside `[first, latest]`
 * @throws {InvalidUcxlAddressError} field `temporal_segment` when the segment is malformed
 */
export function resolveVersion (segment: TemporalSegment | string, history: VersionHistory): number {
  const seg = typeof segment === 'string' ? parseTemporal(segment) : normalizeTemporal(segment, describeSegment(segment))
  const text = formatNormalized(seg)
  const first = history?.first
  const latest = history?.latest
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(latest)) {
    throw new NotFoundError(`Cannot resolve ${text}: the version history is empty (first=${String(first)}, latest=${String(latest)})`)
  }
  if (latest < first) {
    throw new NotFoundError(`Cannot resolve ${text}: the version history is empty (first=${first}, latest=${latest})`)
  }
  let version: number
  switch (seg.type) {
    case 'latest': version = latest; break
    case 'any': version = first; break
    case 'specific': version = seg.count!; break
    default: version = seg.direction === 'backward' ? latest - seg.count! : first + seg.count!
  }
  if (version < first || version > latest) {
    throw new NotFoundError(`Version ${text} resolves to ${version}, outside the history [${first}, ${latest}]`)
  }
  return version
}
