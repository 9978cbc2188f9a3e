import { beforeAll, describe, expect, it } from 'vitest'
import { storeRetrieve } from '../src/index.js'
import { explain, invariant } from './helpers.js'
import type { ScenarioResult } from '../src/index.js'

describe('store-retrieve on 8 nodes', () => {
  let result: ScenarioResult

  beforeAll(async () => {
    result = await storeRetrieve({ nodes: 8, seed: 3, writers: 2, versions: 2 })
  })

  it('passes every invariant', () => {
    expect(result.error, explain(result)).toBeUndefined()
    expect(result.invariants.map(i => i.name)).toEqual([
      'stores-succeed', 'read-only-cannot-store', 'authorised-reads-correct', 'unauthorised-denied',
      'metadata-consistent', 'versions-navigable', 'history-complete', 'audit-complete'
    ])
    expect(result.invariants.filter(i => !i.passed), explain(result)).toEqual([])
    expect(result.passed).toBe(true)
    expect(result.counts['authorised first reads answered with the previous head']).toEqual(expect.any(Number))
  })

  it('exercises both authorised and unauthorised readers', () => {
    // roles cycle through backend, devops, frontend, qa, observer, admin, senior_architect, backend
    expect(result.counts['authorised retrievals']).toBeGreaterThan(0)
    expect(result.counts['unauthorised retrievals']).toBeGreaterThan(0)
    expect(result.counts['authorised retrievals'] + result.counts['unauthorised retrievals']).toBe(8 * 2)
    expect(result.counts.stores).toBe(4)
    expect(invariant(result, 'versions-navigable').detail).toMatch(/^\d+ of \d+ correct$/)
  })

  it('reports store and retrieve timings', () => {
    expect(result.timings.store.count).toBe(4)
    expect(result.timings['retrieve (authorised, no cache)'].count).toBe(result.counts['authorised retrievals'])
    expect(result.options).toMatchObject({ nodes: 8, seed: 3, writers: 2, versions: 2 })
  })
})
