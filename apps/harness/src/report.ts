import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ScenarioResult } from './result.js'

/** Where {@link writeReports} put a run's reports. */
export interface ReportFiles {
  json: string
  markdown: string
}

function cell (v: unknown): string {
  return String(v).replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** The Markdown report of one run: verdict, invariants, timings, counts, tables, notes. */
export function renderMarkdown (result: ScenarioResult): string {
  const lines: string[] = []
  lines.push(`# ${result.scenario}: ${result.passed ? 'PASSED' : 'FAILED'}`, '')
  lines.push(result.description, '')
  const opts = Object.entries(result.options).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')
  lines.push(`- started: ${result.startedAt}, duration ${result.durationMs} ms`)
  lines.push(`- options: ${opts}`)
  const env = result.environment
  lines.push(`- environment: Node ${env.node} on ${env.platform}/${env.arch}, ${env.cpus} CPU(s), load average ${env.loadavg.join(' / ')}`)
  if (result.error != null) lines.push(`- **ended early**: ${cell(result.error)}`)
  lines.push('', '## Invariants', '', '| invariant | result | what must hold | observed |', '| --- | --- | --- | --- |')
  for (const i of result.invariants) {
    lines.push(`| ${cell(i.name)} | ${i.passed ? 'pass' : '**FAIL**'} | ${cell(i.description)} | ${cell(i.detail)} |`)
  }
  const timings = Object.entries(result.timings)
  if (timings.length > 0) {
    lines.push('', '## Timings (ms)', '', '| series | count | min | p50 | p95 | max | mean |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const [name, t] of timings) {
      lines.push(`| ${cell(name)} | ${t.count} | ${t.min} | ${t.p50} | ${t.p95} | ${t.max} | ${t.mean} |`)
    }
  }
  const counts = Object.entries(result.counts)
  if (counts.length > 0) {
    lines.push('', '## Counts', '', '| counter | value |', '| --- | ---: |')
    for (const [name, value] of counts) lines.push(`| ${cell(name)} | ${value} |`)
  }
  for (const table of result.tables) {
    lines.push('', `## ${table.title}`, '', `| ${table.columns.map(cell).join(' | ')} |`, `| ${table.columns.map(() => '---').join(' | ')} |`)
    for (const row of table.rows) lines.push(`| ${row.map(cell).join(' | ')} |`)
  }
  if (result.notes.length > 0) {
    lines.push('', '## Notes', '')
    for (const note of result.notes) lines.push(`- ${note}`)
  }
  lines.push('')
  return lines.join('\n')
}

/**
 * Writes `<scenario>-<timestamp>.json` and `.md` into `dir` (created when
 * missing) and resolves their paths.
 */
export async function writeReports (result: ScenarioResult, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true })
  const stamp = result.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')
  const base = join(dir, `${result.scenario}-${stamp}`)
  const files = { json: `${base}.json`, markdown: `${base}.md` }
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`)
  await writeFile(files.markdown, renderMarkdown(result))
  return files
}
