/**
 * The one duration grammar of every `CHORUS_*` variable and config value:
 * plain milliseconds (`1500`) or one or more numbers with a unit `ms`, `s`,
 * `m` or `h` (`500ms`, `30s`, `1.5m`, `1m30s`), case-insensitive, with
 * surrounding whitespace ignored. Returns whole milliseconds, or `undefined`
 * when the text is not a duration (negative numbers are not).
 */
export function parseDuration (value: string): number | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.trim().toLowerCase()
  if (/^\d+$/.test(text)) return Number(text)
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined
  let total = 0
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]]
  }
  return Math.round(total)
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
