import { InvalidArgumentError } from 'commander'
import { SETTINGS } from '../config/settings.js'
import { convertText } from '../config/env.js'
import { roleName } from '../config/schema.js'
import { formatDuration } from '../config/render.js'
import type { FlagConfig } from '../config/schema.js'
import type { CliIO } from './io.js'

/** One option of a command. Values stay the text given; `check` refuses a bad one before anything runs. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
  /** The value's name in help (`FILE`). */
  arg?: string
  help: string
  /** Refuses a bad value (throws with the reason); runs while the command line is parsed. */
  check?: (value: string) => void
  /** The setting this option sets (`start`, `config show`). */
  setting?: string
}

/** A command: its options and what it runs. */
export interface CommandSpec {
  name: string
  summary: string
  /** Operands as commander declares them (`<address> [content]`). */
  args?: string[]
  /** Allowed values of the first operand. */
  choices?: string[]
  /** The usage line after the command's name, when the operands alone do not say it (`[options] [repair] <address>`). */
  usage?: string
  /** Shown under `Example:` in the command's help. */
  example: string
  options: Record<string, OptionSpec>
  run: (values: Record<string, any>, positionals: string[], io: CliIO) => Promise<number>
}

/** Turns a check that throws into commander's InvalidArgumentError (exit 2, before the command runs). */
export function argParser (spec: OptionSpec): ((value: string, previous: unknown) => unknown) | undefined {
  if (spec.check == null && spec.multiple !== true) return undefined
  return (value, previous) => {
    try {
      spec.check?.(value)
    } catch (err: any) {
      throw new InvalidArgumentError(err.message)
    }
    return spec.multiple === true ? [...(Array.isArray(previous) ? previous : []), value] : value
  }
}

export function checkInt (min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => void {
  return value => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got "${value}"`)
  }
}

export function checkUrl (value: string): void {
  if (!/^https?:\/\/[^/\s]+/.test(value)) throw new Error(`expected an http(s) URL, got "${value}"`)
}

export function checkRole (value: string): void {
  const r = roleName.safeParse(value)
  if (!r.success) throw new Error(r.error.issues[0].message)
}

/** ms since the epoch or an ISO date. */
export function checkTime (value: string): void {
  if (!/^\d+$/.test(value) && Number.isNaN(Date.parse(value))) throw new Error(`expected ms since the epoch or an ISO date, got "${value}"`)
}

export const CLIENT_OPTIONS: Record<string, OptionSpec> = {
  api: { type: 'string', arg: 'URL', check: checkUrl, help: 'node API URL (default: CHORUS_API_URL, else the running node of --data-dir, else http://127.0.0.1:8080)' },
  token: { type: 'string', arg: 'TOKEN', help: 'bearer token (default: CHORUS_API_TOKEN)' },
  'data-dir': { type: 'string', arg: 'DIR', help: 'data directory of the node to talk to (default: CHORUS_DATA_DIR or ./.chorus-dht)' },
  json: { type: 'boolean', help: 'print the JSON answer' }
}

export const ROLE_OPTION: OptionSpec = { type: 'string', arg: 'ROLE', check: checkRole, help: 'role of the request (X-Chorus-Role; default: the node\'s role)' }

function defaultOf (key: string): string {
  const s = SETTINGS.find(x => x.key === key)!
  if (s.default === undefined) return s.defaultText != null ? `; default ${s.defaultText}` : ''
  const v = s.kind === 'duration' ? formatDuration(s.default as number) : Array.isArray(s.default) ? (s.default.length > 0 ? s.default.join(',') : 'none') : typeof s.default === 'object' ? 'none' : String(s.default)
  return `; default ${v}`
}

/** The flag of every setting (`--api-port`, `--dht-mode`, …), each checked by the one schema as it is parsed. */
function settingOptions (): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {}
  for (const s of SETTINGS) {
    if (s.flag == null) continue
    out[s.flag.slice(2)] = {
      type: 'string',
      multiple: s.kind === 'list',
      arg: s.arg,
      setting: s.key,
      help: `${s.description} (${s.env ?? ''}${defaultOf(s.key)})${s.kind === 'list' ? '; repeatable' : ''}`,
      check: value => {
        const v = convertText(s.kind, s.flag!, value)
        const r = s.schema.safeParse(s.kind === 'list' ? v : v)
        if (!r.success) throw new Error(r.error.issues[0].message)
      }
    }
  }
  return out
}

/** The options of `start` and `config show`: the config file, every setting, `--mock`. */
export const NODE_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'configuration file, YAML or JSON (CHORUS_CONFIG)' },
  ...settingOptions(),
  mock: { type: 'boolean', help: 'run on the in-memory DHT only (same as --use-real-dht false, CHORUS_USE_REAL_DHT=false)' }
}

/** The flags of `start` and `config show` for `loadConfig`. */
export function nodeFlags (values: Record<string, any>): FlagConfig {
  const settings: Record<string, string | string[]> = {}
  let bootstrap: string[] | undefined
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) {
    const v = values[name]
    if (spec.setting == null || v == null) continue
    if (spec.setting === 'p2p.bootstrap') bootstrap = v
    else settings[spec.setting] = v
  }
  return { config: values.config, bootstrap, mock: values.mock === true, settings }
}
