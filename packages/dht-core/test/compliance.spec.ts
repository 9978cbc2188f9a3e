import { dhtComplianceTests } from '@chorus-dht/hybrid-mock/compliance'
import { createChorusDHT } from '../src/index.js'
import { createTestNetwork, TEST_NODE_DEFAULTS } from '../src/testing.js'
import type { ChorusDHT } from '../src/index.js'
import type { TestNetwork } from '../src/testing.js'

let lone: ChorusDHT[] = []
let networks: TestNetwork[] = []

dhtComplianceTests('dht-core', {
  async create (policy) {
    const node = await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...policy, start: false })
    lone.push(node)
    return node
  },
  async network (n, policy) {
    const net = await createTestNetwork(n, policy)
    networks.push(net)
    return net.nodes
  },
  async teardown () {
    await Promise.all([...lone.map(async node => { await node.stop() }), ...networks.map(async net => { await net.stop() })])
    lone = []
    networks = []
  }
})
