import { beforeAll, describe, expect, it } from 'vitest'
import { hybridOutage } from '../src/index.js'
import { explain, invariant } from './helpers.js'
import type { ScenarioResult } from '../src/index.js'

describe('hybrid-outage on 5 nodes, the real backend stopped', () => {
  let result: ScenarioResult

  beforeAll(async () => {
    result = await hybridOutage({ nodes: 5, seed: 1, writes: 2, fault: 'stop' })
  })

  it('runs to the end', () => {
    expect(result.error, explain(result)).toBeUndefined()
  })

  it('fails over to the mock and journals the raw DHT writes of the outage', () => {
    expect(invariant(result, 'real-backend-first').passed, explain(result)).toBe(true)
    expect(invariant(result, 'outage-dht-writes-acknowledged').passed, explain(result)).toBe(true)
    expect(invariant(result, 'fallback-engaged').passed, explain(result)).toBe(true)
    expect(result.counts['journaled writes at the end of the outage']).toBeGreaterThanOrEqual(1)
  })

  it('replays the journal, and every acknowledged write is readable and held by other real nodes', () => {
    expect(invariant(result, 'replayed').passed, explain(result)).toBe(true)
    expect(invariant(result, 'acknowledged-writes-readable').passed, explain(result)).toBe(true)
    expect(invariant(result, 'acknowledged-writes-replicated').passed, explain(result)).toBe(true)
  })

  // KNOWN DEFECT (encrypted-storage over hybrid-mock, see the README
  // "Findings"): a store first reads the head; during a failover the hybrid
  // answers BackendUnavailableError for a key the mock does not hold, so the
  // store fails instead of continuing on the mock.
  it.fails('acknowledges storeUCXLContent during the outage (known defect)', () => {
    expect(invariant(result, 'outage-storage-writes-acknowledged').passed).toBe(true)
  })
})
