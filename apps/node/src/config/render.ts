import { getPath } from './env.js'
import { SETTINGS } from './settings.js'
import type { ResolvedConfig } from './load.js'
import type { SettingSpec } from './schema.js'

const UNITS: Array<[string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1_000]]

/** A duration in the largest unit that divides it (`30s`, `12h`, `1500` for 1500 ms). */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0'
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`
  return String(ms)
}

function yamlValue (s: SettingSpec, value: unknown): string {
  if (s.kind === 'duration' && typeof value === 'number') return formatDuration(value)
  if (typeof value === 'string') return JSON.stringify(value)
  return JSON.stringify(value)
}

function where (s: SettingSpec): string {
  return [s.env != null ? `env ${s.env}` : undefined, s.flag != null ? `flag ${s.flag}` : undefined].filter(Boolean).join(', ')
}

function yamlEntry (s: SettingSpec, indent: string): string {
  const name = s.key.split('.').pop()!
  const lines = [`${indent}# ${s.description} (${where(s)})`]
  if (s.default !== undefined) {
    lines.push(`${indent}${name}: ${yamlValue(s, s.default)}`)
  } else {
    lines.push(`${indent}# ${name}:${s.defaultText != null ? ` ${s.defaultText}   # the default` : '   # unset by default'}`)
  }
  return lines.join('\n')
}

/**
 * The commented `config.yaml` that `chorus-dht init` writes: every setting
 * of {@link SETTINGS} with its default (settings without a literal default
 * are commented out), its variable and its flag. Loading it gives the
 * defaults.
 */
export function renderConfigTemplate (): string {
  const out: string[] = [
    '# chorus-dht node configuration (chorus-dht init). Every setting with its default;',
    '# environment variables beat this file, flags beat both. Durations: 1500 (ms), 500ms, 30s, 5m, 1h, 1m30s.',
    ''
  ]
  const seen = new Set<string>()
  for (const s of SETTINGS) {
    const [section, name] = s.key.split('.')
    if (name == null) {
      out.push(yamlEntry(s, ''))
      continue
    }
    if (!seen.has(section)) {
      seen.add(section)
      out.push('', `${section}:`)
    }
    out.push(yamlEntry(s, '  '))
  }
  return `${out.join('\n')}\n`
}

/** One row of `chorus-dht config show`. */
export interface ShownSetting {
  key: string
  value: unknown
  source: string
  env?: string
  flag?: string
}

/** The effective configuration, by setting, with where each value came from; secrets hidden. */
export function effectiveSettings (resolved: ResolvedConfig): ShownSetting[] {
  return SETTINGS.map(s => {
    const value = getPath(resolved.config, s.key)
    return {
      key: s.key,
      value: s.secret === true && value != null ? '<hidden>' : value,
      source: resolved.sources[s.key] ?? 'default',
      ...(s.env != null ? { env: s.env } : {}),
      ...(s.flag != null ? { flag: s.flag } : {})
    }
  })
}

/** `chorus-dht config show` as text: `key = value  (source)`, one per line. */
export function renderEffectiveConfig (resolved: ResolvedConfig): string {
  const rows = effectiveSettings(resolved)
  const width = Math.max(...rows.map(r => r.key.length))
  const text = rows.map(r => {
    const s = SETTINGS.find(x => x.key === r.key)!
    const shown = r.value === undefined ? '-' : (s.kind === 'duration' && typeof r.value === 'number' ? formatDuration(r.value) : JSON.stringify(r.value))
    return `${r.key.padEnd(width)} = ${shown}  (${r.source})`
  })
  const head = `# config file: ${resolved.config.configFile ?? 'none'}; bootstrap source: ${resolved.config.p2p.bootstrapSource}`
  return `${head}\n${text.join('\n')}\n`
}

function tableDefault (s: SettingSpec): string {
  if (s.default === undefined) return s.defaultText != null ? `\`${s.defaultText}\`` : '—'
  if (Array.isArray(s.default)) return s.default.length === 0 ? '—' : s.default.map(v => `\`${String(v)}\``).join(', ')
  if (typeof s.default === 'object' && s.default !== null) return Object.keys(s.default).length === 0 ? '—' : `\`${JSON.stringify(s.default)}\``
  if (s.kind === 'duration' && typeof s.default === 'number') return `\`${formatDuration(s.default)}\``
  return `\`${String(s.default)}\``
}

/**
 * The settings table of the node README (key, variable, flag, default,
 * meaning), made from {@link SETTINGS} so that the README cannot drift from
 * the defaults the node runs with (a test compares them).
 */
export function renderSettingsTable (): string {
  const rows = SETTINGS.map(s => {
    const flag = s.flag == null ? '—' : `\`${s.flag}${s.arg != null ? ` <${s.arg}>` : ''}\`${s.kind === 'list' ? ' (repeatable)' : ''}`
    return `| \`${s.key}\` | ${s.env != null ? `\`${s.env}\`` : '—'} | ${flag} | ${tableDefault(s)} | ${s.description.replaceAll('|', '\\|')} |`
  })
  return ['| key | env variable | flag of `start` / `config show` | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}
