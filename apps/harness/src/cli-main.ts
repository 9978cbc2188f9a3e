import { parseArgs } from 'node:util'
import { DEFAULT_REPORT_DIR, DEFAULT_SEED } from './constants.js'
import { writeReports } from './report.js'
import { scenarios as registered } from './scenarios/index.js'
import type { ScenarioResult } from './result.js'
import type { Scenario, ScenarioParam } from './scenario.js'

/** Where the CLI writes. */
export interface CliIO {
  stdout(text: string): void
  stderr(text: string): void
}

/** The process's stdout and stderr. */
export function processIO (): CliIO {
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) }
  }
}

/** Exit codes of `chorus-harness`. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

const USAGE = `chorus-harness: run chorus-dht scenarios (many nodes in one process) and write reports

Usage:
  chorus-harness list
  chorus-harness run <scenario> [--nodes N] [--seed S] [--report-dir DIR] [--<option> VALUE]...
  chorus-harness run <scenario> --help     options of one scenario
  chorus-harness --help

Options of run:
  --nodes N          nodes in the network (default: the scenario's own)
  --seed S           seeds node keys and every random choice (default ${DEFAULT_SEED})
  --report-dir DIR   directory of the JSON and Markdown reports (default ./${DEFAULT_REPORT_DIR})
  --no-report        write no report files
  --json             print the result as JSON on stdout instead of the summary
  --quiet            no progress lines on stderr

Exit codes: 0 every invariant held; 1 the scenario failed a check or ended
early; 2 usage error (unknown command, scenario or option, bad value).
`

class UsageError extends Error {}

function scenarioHelp (s: Scenario): string {
  const lines = [`${s.name}: ${s.description}`, '', `Usage: chorus-harness run ${s.name} [options]`, '', 'Options:']
  lines.push(`  --nodes N${' '.repeat(24)}nodes in the network (default ${s.defaultNodes}, at least ${s.minNodes})`)
  lines.push(`  --seed S${' '.repeat(25)}run seed (default ${DEFAULT_SEED})`)
  for (const p of s.params) {
    const flag = `  --${p.name} ${p.type === 'boolean' ? 'true|false' : p.choices != null ? p.choices.join('|') : p.type === 'string' ? 'TEXT' : 'N'}`
    lines.push(`${flag.padEnd(35)}${p.description} (default ${String(p.default)})`)
  }
  lines.push('  --report-dir DIR, --no-report, --json, --quiet (see chorus-harness --help)', '')
  return lines.join('\n')
}

function parseValue (param: ScenarioParam, raw: string): string | number | boolean {
  switch (param.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${param.name} must be an integer, got "${raw}"`)
      return Number(raw)
    }
    case 'number': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${param.name} must be a number, got "${raw}"`)
      return n
    }
    case 'boolean': {
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--${param.name} must be true or false, got "${raw}"`)
      return raw === 'true'
    }
    default: {
      if (param.choices != null && !param.choices.includes(raw)) throw new UsageError(`--${param.name} must be one of ${param.choices.join(', ')}, got "${raw}"`)
      return raw
    }
  }
}

function summary (result: ScenarioResult, files?: { json: string, markdown: string }): string {
  const lines = [`${result.scenario}: ${result.passed ? 'PASSED' : 'FAILED'} in ${result.durationMs} ms`]
  for (const i of result.invariants) lines.push(`  ${i.passed ? 'pass' : 'FAIL'}  ${i.name}: ${i.detail}`)
  if (result.error != null) lines.push(`  ended early: ${result.error}`)
  for (const [name, t] of Object.entries(result.timings)) {
    lines.push(`  ${name}: p50 ${t.p50} ms, p95 ${t.p95} ms (${t.count})`)
  }
  if (files != null) lines.push(`  reports: ${files.json}`, `           ${files.markdown}`)
  return `${lines.join('\n')}\n`
}

/**
 * Runs the CLI with `argv` (without `node` and the script). Resolves the
 * exit code. `scenarioList` replaces the registered scenarios (tests).
 */
export async function main (argv: string[], io: CliIO, scenarioList: readonly Scenario[] = registered): Promise<number> {
  try {
    const [command, ...rest] = argv
    if (command == null || command === '--help' || command === '-h' || command === 'help') {
      if (command == null) {
        io.stderr(USAGE)
        return EXIT_USAGE
      }
      io.stdout(USAGE)
      return EXIT_OK
    }
    if (command === 'list') {
      if (rest.length > 0) throw new UsageError(`list takes no arguments, got ${rest.join(' ')}`)
      const width = Math.max(...scenarioList.map(s => s.name.length))
      for (const s of scenarioList) io.stdout(`${s.name.padEnd(width)}  (default ${s.defaultNodes} nodes) ${s.description}\n`)
      return EXIT_OK
    }
    if (command !== 'run') throw new UsageError(`unknown command "${command}"`)

    const [name, ...args] = rest
    if (name == null || name.startsWith('-')) throw new UsageError('run needs a scenario name (see chorus-harness list)')
    const scenario = scenarioList.find(s => s.name === name)
    if (scenario == null) throw new UsageError(`unknown scenario "${name}"; known: ${scenarioList.map(s => s.name).join(', ')}`)

    const paramOptions = Object.fromEntries(scenario.params.map(p => [p.name, { type: 'string' as const }]))
    let parsed: ReturnType<typeof parseArgs>['values']
    try {
      parsed = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          ...paramOptions,
          nodes: { type: 'string' },
          seed: { type: 'string' },
          'report-dir': { type: 'string' },
          'no-report': { type: 'boolean' },
          json: { type: 'boolean' },
          quiet: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' }
        }
      }).values
    } catch (err: any) {
      throw new UsageError(err.message)
    }
    if (parsed.help === true) {
      io.stdout(scenarioHelp(scenario))
      return EXIT_OK
    }
    const options: Record<string, unknown> = {}
    if (parsed.nodes != null) {
      const nodes = parseValue({ name: 'nodes', description: '', type: 'integer', default: 0 }, String(parsed.nodes)) as number
      if (nodes < scenario.minNodes) throw new UsageError(`--nodes must be at least ${scenario.minNodes} for ${scenario.name}, got ${nodes}`)
      options.nodes = nodes
    }
    if (parsed.seed != null) {
      const seed = parseValue({ name: 'seed', description: '', type: 'integer', default: 0 }, String(parsed.seed)) as number
      if (seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`)
      options.seed = seed
    }
    for (const p of scenario.params) {
      if (parsed[p.name] != null) options[p.name] = parseValue(p, String(parsed[p.name]))
    }
    if (parsed.quiet !== true) {
      const t0 = Date.now()
      options.log = (line: string) => { io.stderr(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`) }
    }

    let result: ScenarioResult
    try {
      result = await scenario.run(options)
    } catch (err: any) {
      // a scenario rejects only for options it refuses
      if (err?.name === 'InvalidParametersError') throw new UsageError(err.message)
      throw err
    }
    const files = parsed['no-report'] === true ? undefined : await writeReports(result, String(parsed['report-dir'] ?? DEFAULT_REPORT_DIR))
    if (parsed.json === true) io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    else io.stdout(summary(result, files))
    return result.passed ? EXIT_OK : EXIT_FAILED
  } catch (err: any) {
    if (err instanceof UsageError) {
      io.stderr(`chorus-harness: ${err.message}\nRun chorus-harness --help for usage.\n`)
      return EXIT_USAGE
    }
    io.stderr(`chorus-harness: ${err?.stack ?? String(err)}\n`)
    return EXIT_FAILED
  }
}
