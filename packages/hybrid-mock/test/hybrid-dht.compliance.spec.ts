import { dhtComplianceTests } from '../src/compliance/index.js'
import { createMockNetwork, type HybridDHT, hybridDHT, mergePolicies, mockDHT, probeRecordPolicy } from '../src/index.js'
import type { RecordPolicy } from '@chorus-dht/types'

// Each hybrid node has a "real" backend on one mock network and a mock
// backend on another, with the same peer id on both so peer ids mean the
// same thing whichever backend is active.
function suite (label: string, useRealDHT: boolean): void {
  let nodes: HybridDHT[] = []
  let counter = 0
  const make = (policy: RecordPolicy, real = createMockNetwork(), mock = createMockNetwork()): HybridDHT => {
    const full = mergePolicies(policy, probeRecordPolicy)
    const peerId = `hybrid-${++counter}`
    const dht = hybridDHT({ useRealDHT, selectors: full.selectors })({
      real: mockDHT({ ...full, peerId })({ network: real }),
      mock: mockDHT({ ...full, peerId })({ network: mock })
    })
    nodes.push(dht)
    return dht
  }
  dhtComplianceTests(label, {
    async create (policy) {
      return make(policy)
    },
    async network (n, policy) {
      const real = createMockNetwork()
      const mock = createMockNetwork()
      const dhts = Array.from({ length: n }, () => make(policy, real, mock))
      for (const d of dhts) await d.start()
      return dhts
    },
    async teardown () {
      for (const d of nodes) await d.stop()
      nodes = []
    }
  })
}

suite('HybridDHT (real backend active)', true)
suite('HybridDHT (mock only)', false)
