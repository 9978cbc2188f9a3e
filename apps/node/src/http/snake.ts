/** camelCase → snake_case of one key: `creatorRole` → `creator_role`; other keys unchanged. */
export function snakeKey (key: string): string {
  return /^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(key) ? key.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`) : key
}

/**
 * Fields whose value is a map keyed by data (role names, reasons, backend
 * kinds), not by field names: their own keys are kept, their values converted.
 */
const MAP_FIELDS = new Set(['roles', 'rejected_records', 'backends', 'backend_metrics'])

/**
 * The API's one naming convention (snake_case, as the CHORUS envelopes):
 * a deep copy of `value` with every camelCase object key in snake_case.
 * The keys of maps keyed by data ({@link MAP_FIELDS}) are kept as they are.
 */
export function snakeCase (value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map(v => snakeCase(v))
  if (value == null || typeof value !== 'object' || value instanceof Uint8Array) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue
    const key = keepKeys ? k : snakeKey(k)
    out[key] = snakeCase(v, !keepKeys && MAP_FIELDS.has(key) && v != null && typeof v === 'object' && !Array.isArray(v))
  }
  return out
}
