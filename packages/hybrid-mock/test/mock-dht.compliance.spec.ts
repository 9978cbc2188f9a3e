import { dhtComplianceTests } from '../src/compliance/index.js'
import { createMockNetwork, type MockDHT, mockDHT } from '../src/index.js'

let nodes: MockDHT[] = []

dhtComplianceTests('MockDHT', {
  async create (policy) {
    const dht = mockDHT(policy)()
    nodes.push(dht)
    return dht
  },
  async network (n, policy) {
    const network = createMockNetwork()
    const dhts = Array.from({ length: n }, () => mockDHT(policy)({ network }))
    nodes.push(...dhts)
    for (const d of dhts) await d.start()
    return dhts
  },
  async teardown () {
    for (const d of nodes) await d.stop()
    nodes = []
  }
})

// The same suite over a lossy, slow network: it must still hold with latency,
// jitter and a k smaller than the network.
let lossy: MockDHT[] = []
dhtComplianceTests('MockDHT (latency, jitter, k=3, 5 nodes)', {
  async create (policy) {
    const dht = mockDHT({ ...policy, k: 3 })({ network: createMockNetwork({ latency: 1, jitter: 2 }) })
    lossy.push(dht)
    return dht
  },
  async network (n, policy) {
    const network = createMockNetwork({ latency: 1, jitter: 2 })
    const dhts = Array.from({ length: n }, () => mockDHT({ ...policy, k: 3 })({ network }))
    lossy.push(...dhts)
    for (const d of dhts) await d.start()
    return dhts
  },
  async teardown () {
    for (const d of lossy) await d.stop()
    lossy = []
  }
}, { nodes: 5 })
