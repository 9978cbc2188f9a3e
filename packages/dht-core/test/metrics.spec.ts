import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { register, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestNetwork } from '../src/testing.js'
import { bytes, policy } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'

describe('the metrics component', () => {
  let net: TestNetwork | undefined

  afterEach(async () => {
    await net?.stop()
    net = undefined
  })

  it("reaches libp2p: the node's registry holds libp2p's and kad-dht's own metrics, and they move with the traffic", async () => {
    const registry = new Registry()
    net = await createTestNetwork(3, policy, {
      components: (i) => i === 0 ? { metrics: prometheusMetrics({ registry, collectDefaultMetrics: false }) } : {}
    })
    const [measured, other] = net.nodes
    await measured.putValue('/CHORUS/metrics', bytes(4))
    await other.getValue('/CHORUS/metrics', { remoteOnly: true })
    const text = await registry.metrics()
    expect(text).toMatch(/^libp2p_connection_manager_connections\{/m)
    expect(text).toMatch(/^libp2p_kad_dht_outbound_rpc_requests_total\{/m)
    // this node answered the other's GET_VALUE, or sent its PUT_VALUEs
    const rpcs = (await registry.getSingleMetric('libp2p_kad_dht_outbound_rpc_requests_total')?.get())?.values ?? []
    expect(rpcs.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(0)
    // nothing went to prom-client's global registry
    expect((await register.getMetricsAsJSON()).map(m => m.name).filter(name => name.startsWith('libp2p_'))).toEqual([])
  })
})
