import { beforeAll, describe, expect, it } from 'vitest'
import { churnRepair } from '../src/index.js'
import { explain, invariant } from './helpers.js'
import type { ScenarioResult } from '../src/index.js'

describe('churn-repair on 9 nodes', () => {
  let result: ScenarioResult

  beforeAll(async () => {
    result = await churnRepair({ nodes: 9, seed: 2, items: 3, writers: 2 })
  })

  it('passes every invariant', () => {
    expect(result.error, explain(result)).toBeUndefined()
    expect(result.invariants.filter(i => !i.passed), explain(result)).toEqual([])
  })

  it('measures the churn against the ground truth', () => {
    expect(invariant(result, 'healthy-before').passed).toBe(true)
    expect(invariant(result, 'health-measured').passed).toBe(true)
    expect(result.counts['nodes stopped']).toBeGreaterThanOrEqual(1)
    // the victims are chosen so that at least one key falls below the factor
    expect(result.counts['keys degraded after churn'] + result.counts['keys critical after churn']).toBeGreaterThanOrEqual(1)
    const unhealthy = result.counts['keys degraded after churn'] + result.counts['keys critical after churn']
    expect(result.counts.repairs).toBeGreaterThanOrEqual(unhealthy - result.counts['keys critical after churn'])
  })

  it('reports the availability of every item before and after', () => {
    const table = result.tables.find(t => t.title.startsWith('Availability'))
    expect(table?.rows).toHaveLength(3)
    const running = 9 - result.counts['nodes stopped']
    for (const row of table!.rows) expect(row[3]).toBe(`${running}/${running}`)
  })
})
