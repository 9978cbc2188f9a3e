import { availableParallelism, loadavg } from 'node:os'

/** One invariant a scenario checked. */
export interface InvariantResult {
  /** Stable kebab-case name, e.g. `authorised-reads-correct`. */
  name: string
  /** What must hold, in one sentence. */
  description: string
  passed: boolean
  /** What was observed (counts, the first failing case). */
  detail: string
}

/** Summary of one series of durations, ms. */
export interface TimingSummary {
  count: number
  min: number
  p50: number
  p95: number
  max: number
  mean: number
}

/** A small table for the report (availability per item, head per node…). */
export interface ResultTable {
  title: string
  columns: string[]
  rows: Array<Array<string | number | boolean>>
}

/** Where and how the run happened. */
export interface RunEnvironment {
  node: string
  platform: string
  arch: string
  cpus: number
  /** 1, 5 and 15 minute load averages at the end of the run. */
  loadavg: number[]
}

/** What every scenario returns, and what the JSON report holds. */
export interface ScenarioResult {
  scenario: string
  description: string
  /** Every invariant passed and the scenario did not throw. */
  passed: boolean
  /** The options the scenario ran with, defaults resolved. */
  options: Record<string, unknown>
  /** ISO time the run started. */
  startedAt: string
  durationMs: number
  invariants: InvariantResult[]
  /** Timings by name (ms). */
  timings: Record<string, TimingSummary>
  /** Counters by name (operations, failures, bytes…). */
  counts: Record<string, number>
  tables: ResultTable[]
  /** Free-text remarks: which fault seam was used, what was not measured. */
  notes: string[]
  /** The error that ended the run early, when it did. */
  error?: string
  environment: RunEnvironment
}

/** The value at quantile `q` (0..1) of `values`, nearest-rank; 0 for none. */
export function percentile (values: number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1]
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}

/** Count, min, p50, p95, max and mean of `values` (ms), rounded to 0.01. */
export function summarize (values: number[]): TimingSummary {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p95: 0, max: 0, mean: 0 }
  return {
    count: values.length,
    min: round(Math.min(...values)),
    p50: round(percentile(values, 0.5)),
    p95: round(percentile(values, 0.95)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length)
  }
}

/**
 * Collects what a scenario observes (invariants, timings, counts, tables,
 * notes) and turns it into a {@link ScenarioResult}.
 */
export class ResultRecorder {
  private readonly started = performance.now()
  private readonly startedAt = new Date().toISOString()
  private readonly invariants: InvariantResult[] = []
  private readonly timings = new Map<string, number[]>()
  private readonly counts: Record<string, number> = {}
  private readonly tables: ResultTable[] = []
  private readonly notes: string[] = []

  constructor (private readonly scenario: string, private readonly description: string, private readonly options: Record<string, unknown>) {}

  /** Records an invariant; returns `passed`. */
  check (name: string, description: string, passed: boolean, detail: string): boolean {
    this.invariants.push({ name, description, passed, detail })
    return passed
  }

  /** Adds one duration (ms) to a series. */
  timing (name: string, ms: number): void {
    let series = this.timings.get(name)
    if (series == null) {
      series = []
      this.timings.set(name, series)
    }
    series.push(ms)
  }

  /** Runs `fn`, adds its duration to `name` whether it resolves or rejects. */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now()
    try {
      return await fn()
    } finally {
      this.timing(name, performance.now() - t0)
    }
  }

  /** Sets a counter. */
  count (name: string, value: number): void {
    this.counts[name] = value
  }

  /** Adds to a counter (from 0). */
  add (name: string, delta = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + delta
  }

  table (table: ResultTable): void {
    this.tables.push(table)
  }

  note (text: string): void {
    this.notes.push(text)
  }

  /** The result so far; `error` marks a run that ended early (failed). */
  finish (error?: unknown): ScenarioResult {
    const timings: Record<string, TimingSummary> = {}
    for (const [name, values] of this.timings) timings[name] = summarize(values)
    const message = error == null ? undefined : error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return {
      scenario: this.scenario,
      description: this.description,
      passed: message == null && this.invariants.length > 0 && this.invariants.every(i => i.passed),
      options: this.options,
      startedAt: this.startedAt,
      durationMs: Math.round(performance.now() - this.started),
      invariants: [...this.invariants],
      timings,
      counts: { ...this.counts },
      tables: [...this.tables],
      notes: [...this.notes],
      ...(message != null ? { error: message } : {}),
      environment: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpus: availableParallelism(),
        loadavg: loadavg().map(l => Math.round(l * 100) / 100)
      }
    }
  }
}
