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

  // A store during the failover numbers its version from the local index
  // (the head cannot be read) and is acknowledged on the mock.
  it('acknowledges storeUCXLContent during the outage', () => {
    expect(invariant(result, 'outage-storage-writes-acknowledged').passed).toBe(true)
  })
})

describe('hybrid-outage on 5 nodes, the real node isolated (running, every connection cut)', () => {
  let result: ScenarioResult

  beforeAll(async () => {
    result = await hybridOutage({ nodes: 5, seed: 2, writes: 2, fault: 'isolate' })
  })

  it('notices the isolation through the probe, journals the writes and replays them to the other nodes', () => {
    expect(result.error, explain(result)).toBeUndefined()
    for (const name of ['fallback-engaged', 'outage-dht-writes-acknowledged', 'outage-storage-writes-acknowledged', 'replayed', 'acknowledged-writes-readable', 'acknowledged-writes-replicated']) {
      expect(invariant(result, name).passed, `${name}\n${explain(result)}`).toBe(true)
    }
  })
})
