import { describe, expect, it } from 'vitest'
import { scale } from '../src/index.js'
import { explain } from './helpers.js'

describe('scale', () => {
  it('forms a 6-node network, puts and gets between random nodes without failures', async () => {
    const result = await scale({ nodes: 6, seed: 4, ops: 12, concurrency: 3, idleWindow: 200 })
    expect(result.error, explain(result)).toBeUndefined()
    expect(result.invariants.map(i => [i.name, i.passed])).toEqual([['network-formed', true], ['puts-succeed', true], ['gets-correct', true]])
    expect(result.counts).toMatchObject({ puts: 12, 'failed puts': 0, 'failed gets': 0, 'gets with a wrong value': 0, 'routing table peers (min)': 5 })
    expect(result.timings.put.count).toBe(12)
    const gets = (result.timings['get (reader holds a copy)']?.count ?? 0) + (result.timings['get (from the network)']?.count ?? 0)
    expect(gets).toBe(12)
    expect(result.timings['network formation'].count).toBe(1)
    expect(result.counts['rss per node after formation (KiB)']).toEqual(expect.any(Number))
    expect(result.counts['idle CPU after formation (% of one core)']).toBeGreaterThanOrEqual(0)
  })

  it('refuses a bad node count', async () => {
    await expect(scale({ nodes: 1 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(scale({ nodes: 2.5 })).rejects.toHaveProperty('name', 'InvalidParametersError')
  })
})
