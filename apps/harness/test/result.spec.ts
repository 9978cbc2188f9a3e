import { describe, expect, it } from 'vitest'
import { percentile, renderMarkdown, summarize } from '../src/index.js'
import { ResultRecorder } from '../src/result.js'

describe('figures', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 0.5)).toBe(50)
    expect(percentile(values, 0.95)).toBe(95)
    expect(percentile([7], 0.95)).toBe(7)
    expect(percentile([], 0.5)).toBe(0)
    expect(summarize([3, 1, 2])).toEqual({ count: 3, min: 1, p50: 2, p95: 3, max: 3, mean: 2 })
  })

  it('passes a run only when it checked something, everything held and nothing threw', async () => {
    const empty = new ResultRecorder('x', 'd', {})
    expect(empty.finish().passed).toBe(false)
    const ok = new ResultRecorder('x', 'd', {})
    ok.check('a', 'holds', true, 'yes')
    expect(ok.finish().passed).toBe(true)
    expect(ok.finish(new Error('boom'))).toMatchObject({ passed: false, error: 'Error: boom' })
    const bad = new ResultRecorder('x', 'd', {})
    bad.check('a', 'holds', true, 'yes')
    bad.check('b', 'holds too', false, 'no')
    expect(bad.finish().passed).toBe(false)
    await expect(bad.time('t', async () => { throw new Error('x') })).rejects.toThrow('x')
    expect(bad.finish().timings.t.count).toBe(1)
  })

  it('renders invariants, timings, counts, tables and notes as Markdown', () => {
    const rec = new ResultRecorder('demo', 'A demo.', { nodes: 3 })
    rec.check('fine', 'it holds', true, 'all good')
    rec.check('pipe|name', 'escapes | bars', false, 'bad')
    rec.timing('op', 10)
    rec.count('ops', 1)
    rec.table({ title: 'T', columns: ['a', 'b'], rows: [[1, 'x']] })
    rec.note('a note')
    const md = renderMarkdown(rec.finish())
    expect(md).toContain('# demo: FAILED')
    expect(md).toContain('| fine | pass | it holds | all good |')
    expect(md).toContain('| pipe\\|name | **FAIL** | escapes \\| bars | bad |')
    expect(md).toContain('| op | 1 | 10 | 10 | 10 | 10 | 10 |')
    expect(md).toContain('| ops | 1 |')
    expect(md).toContain('## T')
    expect(md).toContain('- a note')
  })
})
