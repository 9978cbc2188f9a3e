import { describe, expect, it } from 'vitest'
import { counter, gauge, processMetrics, renderPrometheus } from '../src/metrics.js'

describe('Prometheus text', () => {
  it('renders HELP, TYPE and samples with escaped labels', () => {
    const text = renderPrometheus([
      gauge('chorus_x', 'A gauge.', 1.5),
      counter('chorus_y_total', 'A counter.', 3),
      { name: 'chorus_z', help: 'Labelled.', type: 'gauge', samples: [{ labels: { backend: 'real', note: 'a"b\\c\nd' }, value: Number.NaN }] }
    ])
    expect(text).toBe([
      '# HELP chorus_x A gauge.',
      '# TYPE chorus_x gauge',
      'chorus_x 1.5',
      '# HELP chorus_y_total A counter.',
      '# TYPE chorus_y_total counter',
      'chorus_y_total 3',
      '# HELP chorus_z Labelled.',
      '# TYPE chorus_z gauge',
      'chorus_z{backend="real",note="a\\"b\\\\c\\nd"} NaN',
      ''
    ].join('\n'))
  })

  it('reports process figures', () => {
    const text = renderPrometheus(processMetrics(Date.now() - 5_000))
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m)
    const uptime = Number(/^chorus_uptime_seconds (\S+)$/m.exec(text)?.[1])
    expect(uptime).toBeGreaterThanOrEqual(5)
  })
})
