/** One Prometheus sample. */
export interface Sample {
  labels?: Record<string, string>
  value: number
}

/** One metric family. */
export interface MetricFamily {
  name: string
  help: string
  type: 'gauge' | 'counter'
  samples: Sample[]
}

function escapeLabel (v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function formatValue (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(v)
}

/** Renders metric families in the Prometheus text exposition format 0.0.4. */
export function renderPrometheus (families: MetricFamily[]): string {
  const lines: string[] = []
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`)
    lines.push(`# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) {
      const labels = s.labels != null && Object.keys(s.labels).length > 0
        ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
        : ''
      lines.push(`${f.name}${labels} ${formatValue(s.value)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/** A family with one unlabelled sample. */
export function gauge (name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'gauge', samples: [{ value }] }
}

/** A counter with one unlabelled sample. */
export function counter (name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'counter', samples: [{ value }] }
}

/** Process metrics in the usual `process_*` / `nodejs_*` names. */
export function processMetrics (startedAt: number): MetricFamily[] {
  const mem = process.memoryUsage()
  const cpu = process.cpuUsage()
  return [
    counter('process_cpu_seconds_total', 'User and system CPU time spent, seconds.', (cpu.user + cpu.system) / 1e6),
    gauge('process_resident_memory_bytes', 'Resident memory size, bytes.', mem.rss),
    gauge('nodejs_heap_used_bytes', 'V8 heap used, bytes.', mem.heapUsed),
    gauge('nodejs_heap_total_bytes', 'V8 heap total, bytes.', mem.heapTotal),
    gauge('process_start_time_seconds', 'Start time of the process since the epoch, seconds.', Math.floor(startedAt / 1000)),
    gauge('chorus_uptime_seconds', 'Seconds since the node started.', (Date.now() - startedAt) / 1000)
  ]
}
