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
    await b.registerPeer({ agent: 'bob', role: 'ops', capabilities: [] })
    const agents = (): string[] => watcher.getDiscoveredPeers().map(p => p.agent ?? '').sort()

    expect((await watcher.findPeersByRole('dev')).map(p => p.agent)).toEqual(['alice'])
    now += 40_000
    // bob is seen 40 s after alice
    expect((await watcher.findPeersByRole('ops')).map(p => p.agent)).toEqual(['bob'])
    expect(agents()).toEqual(['alice', 'bob'])

    now += 25_000 // alice is now unseen for 65 s (over the TTL), bob for 25 s (within it)
    // the cleanup pass that drops alice has judged bob too: the negative check needs no sleep
    await waitFor(() => !agents().includes('alice'), 10_000, 'cleanup of alice')
    expect(agents()).toEqual(['bob'])

    now += 40_000 // bob is unseen for 65 s
    await waitFor(() => agents().length === 0, 10_000, 'cleanup of bob')
  })
})
