// Over 400 lines: the UCXL address grammar, once: the strict parser, the
// lenient one, the normaliser of address objects and the formatter share
// its component and path readers, and must agree on every character.
import type { TemporalSegment, UCXLAddress } from '@chorus-dht/types'
import { describeChar, isComponentChar, isPathChar } from './charset.js'
import { ANY, MAX_ADDRESS_LENGTH, UCXL_SCHEME } from './constants.js'
import { InvalidUcxlAddressError, type UcxlField } from './errors.js'
import { formatNormalized, normalizeTemporal, parseTemporalText, sameTemporal } from './temporal.js'

/** The four named components of an address, in order. */
export type UcxlComponent = 'agent' | 'role' | 'project' | 'task'

const COMPONENTS: readonly UcxlComponent[] = ['agent', 'role', 'project', 'task']

/** An address object without its `raw` string, as {@link format} accepts it. */
export type UCXLAddressFields = Omit<UCXLAddress, 'raw'>

/** Options of {@link validate}. */
export interface ValidateOptions {
  /**
   * Validate with {@link parseLenient} instead of {@link parse}.
   *
   * @default false
   */
  lenient?: boolean
}

/** The result of {@link validate}. */
export interface ValidationResult {
  /** Whether the input is a valid address. */
  valid: boolean
  /** Why it is not, when it is not. */
  error?: InvalidUcxlAddressError
}

/** Describes a non-string input for error messages without calling its methods. */
function describeValue (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Rejects non-strings and over-long strings before anything else reads them. */
function checkInput (input: unknown): asserts input is string {
  if (typeof input !== 'string') {
    throw new InvalidUcxlAddressError('scheme', `the address must be a string, got ${describeValue(input)}`, `[${describeValue(input)}]`)
  }
  if (input.length > MAX_ADDRESS_LENGTH) {
    throw new InvalidUcxlAddressError('scheme', `the address is ${input.length} characters long; the limit is ${MAX_ADDRESS_LENGTH}`, input)
  }
}

function invalidCharReason (field: UcxlField, s: string, index: number, lenient: boolean, withIndex = true): string {
  const where = withIndex ? ` at index ${index}` : ''
  if (s[index] === '*') {
    return lenient
      ? `'*' is only accepted as the whole ${field} (meaning '${ANY}')${where}`
      : `'*' is not valid in the ${field}; use '${ANY}' for the wildcard${where}`
  }
  const hint = !lenient && field === 'agent' && s[index] === '/'
    ? '; the slash form ucxl://agent/role/project/task/path is accepted only by parseLenient'
    : ''
  return `invalid character ${describeChar(s, index)}${where}; allowed: A-Z a-z 0-9 _ -${hint}`
}

/**
 * Reads one component starting at `start`, stopping at `terminator`, at
 * `end`, or failing at the first character outside the component charset.
 * Returns the component and the index it stopped at.
 */
function readComponent (s: string, start: number, end: number, terminator: string, field: UcxlComponent, lenient: boolean): [string, number] {
  let i = start
  while (i < end && isComponentChar(s.charCodeAt(i))) i++
  if (lenient && i === start && s[i] === '*' && (i + 1 === end || s[i + 1] === terminator)) {
    return [ANY, i + 1]
  }
  if (i < end && s[i] !== terminator) {
    throw new InvalidUcxlAddressError(field, invalidCharReason(field, s, i, lenient), s)
  }
  if (i === start) {
    throw new InvalidUcxlAddressError(field, `the ${field} is empty`, s)
  }
  return [s.slice(start, i), i]
}

/** Checks a path; `raw` is the address for messages, `offset` where the path starts in it. */
function checkPath (path: string, rawOf: string | (() => string), offset: number): void {
  if (path.length === 0) return
  const raw = (): string => (typeof rawOf === 'string' ? rawOf : rawOf())
  if (path.charCodeAt(0) === 47) {
    throw new InvalidUcxlAddressError('path', "the path must not start with '/' (no '//' after the temporal segment)", raw())
  }
  let segmentStart = 0
  for (let i = 0; i <= path.length; i++) {
    const code = i < path.length ? path.charCodeAt(i) : 47
    if (code === 47) {
      if (i === segmentStart) {
        throw new InvalidUcxlAddressError('path', i === path.length ? "the path must not end with '/'" : `the path must not contain '//' (index ${offset + i - 1})`, raw())
      }
      if (i - segmentStart === 2 && path.charCodeAt(segmentStart) === 46 && path.charCodeAt(segmentStart + 1) === 46) {
        throw new InvalidUcxlAddressError('path', `the path must not contain a '..' segment (index ${offset + segmentStart})`, raw())
      }
      segmentStart = i + 1
    } else if (!isPathChar(code)) {
      throw new InvalidUcxlAddressError('path', `invalid character ${describeChar(path, i)} at index ${offset + i}; allowed: A-Z a-z 0-9 _ - / .`, raw())
    }
  }
}

function build (agent: string, role: string, project: string, task: string, temporal: TemporalSegment, path: string): UCXLAddress {
  const raw = `${UCXL_SCHEME}${agent}:${role}@${project}:${task}/${formatNormalized(temporal)}${path.length > 0 ? `/${path}` : ''}`
  return { agent, role, project, task, temporal_segment: temporal, path, raw }
}

/**
 * Reads `TEMPORAL/path` (strict) starting at `start`.
 */
function readTemporalAndPath (s: string, start: number, lenient: boolean): [TemporalSegment, string] {
  let slash = s.indexOf('/', start)
  if (slash < 0) slash = s.length
  const temporal = parseTemporalText(s.slice(start, slash), s, lenient)
  if (slash === s.length) return [temporal, '']
  if (slash === s.length - 1) {
    // CHORUS accepts `…/*^/` as an empty path; the canonical form has no trailing '/'.
    if (lenient) return [temporal, '']
    throw new InvalidUcxlAddressError('path', "the address must not end with '/'; with an empty path it ends with the temporal segment", s)
  }
  const path = s.slice(slash + 1)
  checkPath(path, s, slash + 1)
  return [temporal, path]
}

/**
 * Parses a UCXL address in the strict canonical form
 * `ucxl://agent:role@project:task/TEMPORAL/path`.
 *
 * Only canonical strings are accepted, so for every accepted `s`,
 * `parse(s).raw === s` and `format(parse(s)) === s`. In particular counts
 * have no leading zeros and an empty path is written without a trailing `/`;
 * {@link parseLenient} accepts those variants and the slash form.
 *
 * @throws {InvalidUcxlAddressError} naming the field that is wrong
 */
export function parse (input: string): UCXLAddress {
  checkInput(input)
  if (!input.startsWith(UCXL_SCHEME)) {
    throw new InvalidUcxlAddressError('scheme', `the address must start with '${UCXL_SCHEME}'`, input)
  }
  const end = input.length
  const [agent, a] = readComponent(input, UCXL_SCHEME.length, end, ':', 'agent', false)
  if (a === end) throw new InvalidUcxlAddressError('role', "the role is missing: expected ':' after the agent", input)
  const [role, r] = readComponent(input, a + 1, end, '@', 'role', false)
  if (r === end) throw new InvalidUcxlAddressError('project', "the project is missing: expected '@' after the role", input)
  const [project, p] = readComponent(input, r + 1, end, ':', 'project', false)
  if (p === end) throw new InvalidUcxlAddressError('task', "the task is missing: expected ':' after the project", input)
  const [task, t] = readComponent(input, p + 1, end, '/', 'task', false)
  if (t === end) throw new InvalidUcxlAddressError('temporal_segment', "the temporal segment is missing: expected '/' and one of '*^', '*~', '*~N', '~~N', '^^N' after the task", input)
  const [temporal, path] = readTemporalAndPath(input, t + 1, false)
  return build(agent, role, project, task, temporal, path)
}

/** Whether a path segment looks like a temporal segment rather than a path segment. */
function looksTemporal (s: string, index: number): boolean {
  const c = s[index]
  return c === '*' || c === '~' || c === '^'
}

/**
 * Parses a UCXL address leniently and returns the canonical address (its
 * `raw` is the canonical string). On top of {@link parse} it accepts:
 *
 * - the slash form of the CHORUS DHT documentation,
 *   `ucxl://agent/role/project/task/path` (temporal `*^`), optionally with a
 *   temporal segment after the task: `ucxl://agent/role/project/task/*~3/path`;
 * - a missing temporal segment, taken as `*^` (`ucxl://a:r@p:t/notes/x`);
 * - `*` as a whole component, a synonym of `any`;
 * - counts with leading zeros (`*~007` is `*~7`), and a single trailing `/`
 *   when the path is empty, both of which CHORUS accepts;
 * - a scheme in any letter case and surrounding whitespace.
 *
 * Path rules are never relaxed.
 *
 * @throws {InvalidUcxlAddressError} naming the field that is wrong
 */
export function parseLenient (input: string): UCXLAddress {
  checkInput(input)
  const s = input.trim()
  if (s.slice(0, UCXL_SCHEME.length).toLowerCase() !== UCXL_SCHEME) {
    throw new InvalidUcxlAddressError('scheme', `the address must start with '${UCXL_SCHEME}'`, s)
  }
  const start = UCXL_SCHEME.length
  let authorityEnd = s.indexOf('/', start)
  if (authorityEnd < 0) authorityEnd = s.length
  let agent: string
  let role: string
  let project: string
  let task: string
  let next: number
  const colon = s.indexOf(':', start)
  const at = s.indexOf('@', start)
  if ((colon >= 0 && colon < authorityEnd) || (at >= 0 && at < authorityEnd)) {
    // Canonical authority `agent:role@project:task`.
    let i: number
    [agent, i] = readComponent(s, start, authorityEnd, ':', 'agent', true)
    if (i === authorityEnd) throw new InvalidUcxlAddressError('role', "the role is missing: expected ':' after the agent", s);
    [role, i] = readComponent(s, i + 1, authorityEnd, '@', 'role', true)
    if (i === authorityEnd) throw new InvalidUcxlAddressError('project', "the project is missing: expected '@' after the role", s);
    [project, i] = readComponent(s, i + 1, authorityEnd, ':', 'project', true)
    if (i === authorityEnd) throw new InvalidUcxlAddressError('task', "the task is missing: expected ':' after the project", s);
    [task, i] = readComponent(s, i + 1, authorityEnd, '/', 'task', true)
    next = i + 1
  } else {
    // Slash form `agent/role/project/task[/TEMPORAL][/path]`.
    const values: string[] = []
    let i = start
    for (let k = 0; k < COMPONENTS.length; k++) {
      const field = COMPONENTS[k]
      if (i > s.length) {
        throw new InvalidUcxlAddressError(field, `the ${field} is missing: the slash form is ucxl://agent/role/project/task/path`, s)
      }
      const [value, stop] = readComponent(s, i, s.length, '/', field, true)
      values.push(value)
      i = stop + 1
    }
    [agent, role, project, task] = values
    next = i
  }
  if (next >= s.length) return build(agent, role, project, task, { type: 'latest' }, '')
  if (looksTemporal(s, next)) {
    const [temporal, path] = readTemporalAndPath(s, next, true)
    return build(agent, role, project, task, temporal, path)
  }
  const path = s.slice(next)
  checkPath(path, s, next)
  return build(agent, role, project, task, { type: 'latest' }, path)
}

/** A best-effort address string for messages about an address object. */
function describeObject (address: unknown): string {
  if (address === null || typeof address !== 'object') return `[${describeValue(address)}]`
  const a = address as Record<string, unknown>
  const part = (v: unknown): string => (typeof v === 'string' ? v : `[${describeValue(v)}]`)
  let temporal: string
  try {
    temporal = formatNormalized(normalizeTemporal(a.temporal_segment, ''))
  } catch {
    temporal = '[invalid]'
  }
  const path = typeof a.path === 'string' ? (a.path.length > 0 ? `/${a.path}` : '') : `/[${describeValue(a.path)}]`
  return `${UCXL_SCHEME}${part(a.agent)}:${part(a.role)}@${part(a.project)}:${part(a.task)}/${temporal}${path}`
}

function checkComponentValue (value: unknown, field: UcxlComponent, raw: () => string): string {
  if (typeof value !== 'string') {
    throw new InvalidUcxlAddressError(field, `the ${field} must be a string, got ${describeValue(value)}`, raw())
  }
  if (value.length === 0) throw new InvalidUcxlAddressError(field, `the ${field} is empty`, raw())
  if (value.length > MAX_ADDRESS_LENGTH) throw new InvalidUcxlAddressError(field, `the ${field} is longer than ${MAX_ADDRESS_LENGTH} characters`, raw())
  for (let i = 0; i < value.length; i++) {
    if (!isComponentChar(value.charCodeAt(i))) {
      throw new InvalidUcxlAddressError(field, invalidCharReason(field, value, i, false, false), raw())
    }
  }
  return value
}

/**
 * Checks an address object and returns a fresh canonical address.
 *
 * @internal
 */
export function normalizeAddress (address: unknown, missingCountIsZero = false): UCXLAddress {
  const raw = (): string => describeObject(address)
  if (address === null || typeof address !== 'object' || Array.isArray(address)) {
    throw new InvalidUcxlAddressError('scheme', `expected a UCXL address object, got ${describeValue(address)}`, raw())
  }
  const a = address as Record<string, unknown>
  const agent = checkComponentValue(a.agent, 'agent', raw)
  const role = checkComponentValue(a.role, 'role', raw)
  const project = checkComponentValue(a.project, 'project', raw)
  const task = checkComponentValue(a.task, 'task', raw)
  const temporal = normalizeTemporal(a.temporal_segment, raw, missingCountIsZero)
  const path = a.path
  if (typeof path !== 'string') {
    throw new InvalidUcxlAddressError('path', `the path must be a string, got ${describeValue(path)}`, raw())
  }
  if (path.length > MAX_ADDRESS_LENGTH) throw new InvalidUcxlAddressError('path', `the path is longer than ${MAX_ADDRESS_LENGTH} characters`, raw())
  checkPath(path, raw, 0)
  const result = build(agent, role, project, task, temporal, path)
  if (result.raw.length > MAX_ADDRESS_LENGTH) {
    throw new InvalidUcxlAddressError('scheme', `the address is ${result.raw.length} characters long; the limit is ${MAX_ADDRESS_LENGTH}`, result.raw)
  }
  return result
}

/**
 * Formats an address as its canonical string
 * `ucxl://agent:role@project:task/TEMPORAL[/path]`. `raw` is ignored: the
 * string is rebuilt from the fields, which are validated.
 *
 * @throws {InvalidUcxlAddressError} when a field is malformed
 */
export function format (address: UCXLAddressFields | UCXLAddress): string {
  return normalizeAddress(address).raw
}

/**
 * Validates an address string without throwing.
 *
 * @returns `{ valid: true }`, or `{ valid: false, error }`
 */
export function validate (input: string, options?: ValidateOptions): ValidationResult {
  try {
    if (options?.lenient === true) parseLenient(input)
    else parse(input)
    return { valid: true }
  } catch (err) {
    if (err instanceof InvalidUcxlAddressError) return { valid: false, error: err }
    throw err
  }
}

/**
 * Whether `value` is a well-formed address object (valid fields and a string
 * `raw`). `raw` itself is not required to be canonical.
 */
export function isUcxlAddress (value: unknown): value is UCXLAddress {
  if (value === null || typeof value !== 'object' || typeof (value as UCXLAddress).raw !== 'string') return false
  try {
    normalizeAddress(value)
    return true
  } catch {
    return false
  }
}

/**
 * An address string (parsed leniently) or object (validated) as a canonical
 * address.
 *
 * @internal
 */
export function toAddress (address: UCXLAddress | UCXLAddressFields | string): UCXLAddress {
  return typeof address === 'string' ? parseLenient(address) : normalizeAddress(address)
}

/**
 * The same address with another temporal segment (an object or its text,
 * e.g. `'*~3'`). Strings are parsed leniently.
 *
 * @throws {InvalidUcxlAddressError}
 */
export function withTemporal (address: UCXLAddress | string, segment: TemporalSegment | string): UCXLAddress {
  const a = toAddress(address)
  const temporal = typeof segment === 'string'
    ? parseTemporalText(segment, segment, false)
    : normalizeTemporal(segment, a.raw)
  return build(a.agent, a.role, a.project, a.task, temporal, a.path)
}

/**
 * Whether `address` matches `pattern`: a pattern component `any` matches
 * any value, a pattern temporal segment `*~` matches any version, and
 * everything else (including the path) must be equal, case-sensitively.
 * Strings are parsed leniently.
 *
 * @throws {InvalidUcxlAddressError} when either side is malformed
 */
export function matches (pattern: UCXLAddress | string, address: UCXLAddress | string): boolean {
  const p = toAddress(pattern)
  const a = toAddress(address)
  for (const field of COMPONENTS) {
    if (p[field] !== ANY && p[field] !== a[field]) return false
  }
  if (p.temporal_segment.type !== 'any' && !sameTemporal(p.temporal_segment, a.temporal_segment)) return false
  return p.path === a.path
}

/**
 * The address in CHORUS's JSON shape: `{agent, role, project, task,
 * temporal_segment: {type, direction?, count?}, path, raw}`, with the
 * canonical `raw`. The result is a plain object for `JSON.stringify`.
 *
 * @throws {InvalidUcxlAddressError} when the address is malformed
 */
export function toJSON (address: UCXLAddress | string): UCXLAddress {
  const a = toAddress(address)
  return { ...a, temporal_segment: { ...a.temporal_segment } }
}

/**
 * Reads an address from CHORUS's JSON shape (an object, or JSON text of one)
 * and returns the canonical address. A `count` missing from a `specific` or
 * `relative` segment is read as 0 (CHORUS writes it with `omitempty`). When
 * `raw` is present it must denote the same address.
 *
 * @throws {InvalidUcxlAddressError} naming the field that is wrong
 */
export function fromJSON (json: unknown): UCXLAddress {
  let value = json
  if (typeof json === 'string') {
    if (json.length > MAX_ADDRESS_LENGTH * 4) {
      throw new InvalidUcxlAddressError('scheme', `the JSON text is ${json.length} characters long; the limit is ${MAX_ADDRESS_LENGTH * 4}`, json)
    }
    try {
      value = JSON.parse(json)
    } catch (err) {
      throw new InvalidUcxlAddressError('scheme', 'the JSON text does not parse', json, { cause: err })
    }
  }
  const address = normalizeAddress(value, true)
  const raw = (value as Record<string, unknown>).raw
  if (raw === undefined) return address
  if (typeof raw !== 'string') {
    throw new InvalidUcxlAddressError('scheme', `raw must be a string, got ${describeValue(raw)}`, address.raw)
  }
  const fromRaw = parseLenient(raw)
  if (fromRaw.raw !== address.raw) {
    let field: UcxlField = 'path'
    for (const f of COMPONENTS) {
      if (fromRaw[f] !== address[f]) { field = f; break }
    }
    if (field === 'path' && !sameTemporal(fromRaw.temporal_segment, address.temporal_segment)) field = 'temporal_segment'
    throw new InvalidUcxlAddressError(field, `raw '${raw}' does not match the ${field} field`, address.raw)
  }
  return address
}
