import { closest, distance } from 'fastest-levenshtein'
import { parseDuration } from '@chorus-dht/utils'
import { ConfigError } from '../errors.js'
import { OTHER_VARIABLES, SETTINGS } from './settings.js'
import type { SettingKind, SettingSpec } from './schema.js'

/** One environment variable the node reads. */
export interface EnvVarSpec {
  name: string
  /** The config key it sets. */
  key: string
  kind: SettingKind
  description: string
}

/** Every `CHORUS_*` variable of a setting (documented in the README), plus `CHORUS_CONFIG`. */
export const ENV_VARS: EnvVarSpec[] = [
  { name: 'CHORUS_CONFIG', key: 'config', kind: 'string', description: OTHER_VARIABLES.CHORUS_CONFIG },
  ...SETTINGS.filter(s => s.env != null).map(s => ({ name: s.env!, key: s.key, kind: s.kind, description: s.description }))
]

/** The boolean spellings of the variables and flags: true/false, 1/0, yes/no, on/off. */
export function parseBool (value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  return undefined
}

/** A comma- (or space-) separated list. */
export function splitList (value: string): string[] {
  return value.split(/[,\s]+/).map(s => s.trim()).filter(s => s.length > 0)
}

/**
 * Converts the text of a variable or a flag to the value the schema checks,
 * by the setting's kind. `name` is what an error names (`CHORUS_API_PORT`,
 * `--api-port`).
 */
export function convertText (kind: SettingKind, name: string, raw: string | string[]): unknown {
  if (Array.isArray(raw)) {
    if (kind === 'list') return raw.flatMap(splitList)
    raw = raw[raw.length - 1]
  }
  switch (kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`)
      return Number(raw.trim())
    }
    case 'bool': {
      const b = parseBool(raw)
      if (b === undefined) throw new ConfigError(name, `expected true or false, got "${raw}"`)
      return b
    }
    case 'duration': {
      const d = parseDuration(raw)
      if (d === undefined) throw new ConfigError(name, `expected a duration such as 30s or 1500 (ms), got "${raw}"`)
      return d
    }
    case 'list':
      return splitList(raw)
    case 'levels': {
      const out: Record<string, string> = {}
      for (const part of splitList(raw)) {
        const eq = part.lastIndexOf('=')
        if (eq <= 0) throw new ConfigError(name, `expected COMPONENT=LEVEL[,COMPONENT=LEVEL…] (e.g. chorus-dht:storage=debug), got "${part}"`)
        out[part.slice(0, eq)] = part.slice(eq + 1).toLowerCase()
      }
      return out
    }
    default:
      return raw
  }
}

/** Sets a dotted key in a nested object. */
export function setPath (target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {}
    node = node[part]
  }
  node[parts[parts.length - 1]] = value
}

/** Reads a dotted key of a nested object. */
export function getPath (source: Record<string, any> | undefined, path: string): any {
  let node: any = source
  for (const part of path.split('.')) {
    if (node == null) return undefined
    node = node[part]
  }
  return node
}

const KNOWN = new Set([...SETTINGS.flatMap(s => s.env != null ? [s.env] : []), ...Object.keys(OTHER_VARIABLES)])

/**
 * Refuses a `CHORUS_*` variable that no setting or chorus-dht tool reads
 * (a typo would otherwise be a silently ignored setting), naming the
 * closest known one.
 *
 * @throws ConfigError keyed by the variable
 */
export function checkEnvNames (env: NodeJS.ProcessEnv): void {
  const names = [...KNOWN]
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('CHORUS_') || KNOWN.has(name)) continue
    const near = closest(name, names)
    const hint = distance(name, near) <= Math.max(3, Math.floor(name.length / 3)) ? `; did you mean ${near}?` : ''
    throw new ConfigError(name, `unknown variable: no setting reads it${hint} (every variable: chorus-dht config show, or the node README)`)
  }
}

/**
 * The settings the environment sets, as a nested object the file schema
 * checks, and which variable set which key.
 */
export function envLayer (env: NodeJS.ProcessEnv): Record<string, any> {
  const layer: Record<string, any> = {}
  for (const spec of SETTINGS) {
    if (spec.env == null) continue
    const raw = env[spec.env]
    if (raw == null || raw === '') continue
    setPath(layer, spec.key, convertText(spec.kind, spec.env, raw))
  }
  return layer
}

/** The variable of a setting key, for error messages. */
export function envNameOf (key: string): string | undefined {
  return SETTINGS.find((s: SettingSpec) => s.key === key)?.env
}
