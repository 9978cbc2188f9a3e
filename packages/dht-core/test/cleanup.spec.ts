import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestNetwork } from '../src/testing.js'
import { waitFor } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'

describe('peer cleanup', () => {
  let net: TestNetwork
  let now = 1_000_000
  const clock = { now: () => now }

  beforeAll(async () => {
    net = await createTestNetwork(3, { validators: { CHORUS: () => {} }, peerCleanupInterval: 50, peerTTL: 60_000 }, {
      components: () => ({ clock })
    })
  })

  afterAll(async () => {
    await net?.stop()
  })

  it('drops discovered peers not seen for longer than peerTTL', async () => {
    const [a, b, watcher] = net.nodes
    await a.registerPeer({ agent: 'alice', role: 'dev', capabilities: [] })
    await b.registerPeer({ agent: 'bob', role: 'dev', capabilities: [] })
    expect((await watcher.findPeersByRole('dev')).map(p => p.agent).sort()).toEqual(['alice', 'bob'])
    expect(watcher.getDiscoveredPeers()).toHaveLength(2)

    now += 30_000 // within the TTL: kept
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(watcher.getDiscoveredPeers()).toHaveLength(2)

    now += 31_000 // over the TTL: the cleanup loop drops both
    await waitFor(() => watcher.getDiscoveredPeers().length === 0, 10_000, 'cleanup')
  })
})
