import { beforeAll, describe, expect, it } from 'vitest'
import { partitionHeal } from '../src/index.js'
import { explain, invariant } from './helpers.js'
import type { ScenarioResult } from '../src/index.js'

describe('partition-heal on 8 nodes', () => {
  let result: ScenarioResult

  beforeAll(async () => {
    result = await partitionHeal({ nodes: 8, seed: 1, writes: 2 })
  })

  it('runs to the end', () => {
    expect(result.error, explain(result)).toBeUndefined()
    expect(result.counts['writes acknowledged']).toBe(4)
  })

  it('holds the partition while it lasts', () => {
    expect(invariant(result, 'partition-holds').passed, explain(result)).toBe(true)
  })

  it('converges every head on one newest version after the heal', () => {
    expect(invariant(result, 'heads-converge').passed, explain(result)).toBe(true)
    expect(invariant(result, 'head-is-newest').passed, explain(result)).toBe(true)
  })

  it('has each losing writer report and re-publish its lost versions', () => {
    expect(invariant(result, 'losers-told-or-republished').passed, explain(result)).toBe(true)
    // both sides wrote versions 2 and 3: one side lost each of them
    expect(result.counts['conflicts reported']).toBeGreaterThanOrEqual(2)
  })

  // After the heal, reconcile re-puts the selector's winner of each disputed
  // version key on the peers holding another copy, so `*~N` agrees everywhere.
  it('every node reads the selector\'s winner of every version key', () => {
    expect(invariant(result, 'version-winners-agree').passed).toBe(true)
  })

  it('every acknowledged write is readable from every node', () => {
    expect(invariant(result, 'no-write-lost').passed).toBe(true)
  })
})
