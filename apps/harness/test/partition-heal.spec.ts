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

  // KNOWN DEFECT (encrypted-storage, see the harness README "Findings"): after
  // the heal the nodes of the losing side still hold the losing copies of the
  // disputed version keys, and `*~N` reads (quorum 1, local copy first) return
  // them, so those nodes never see the winning writes. These two invariants
  // fail today; `it.fails` turns red when the defect is fixed.
  it.fails('every node reads the selector\'s winner of every version key (known defect)', () => {
    expect(invariant(result, 'version-winners-agree').passed).toBe(true)
  })

  it.fails('every acknowledged write is readable from every node (known defect)', () => {
    expect(invariant(result, 'no-write-lost').passed).toBe(true)
  })
})
