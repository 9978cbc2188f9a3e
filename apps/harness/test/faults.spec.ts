import { createTestNetwork } from '@chorus-dht/dht-core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evictUnreachable, harnessPolicy, partition } from '../src/index.js'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'

const value = (s: string): Uint8Array => new TextEncoder().encode(`harness:${s}`)

describe('fault injection on 6 dht-core nodes', () => {
  let net: TestNetwork

  beforeAll(async () => {
    net = await createTestNetwork(6, harnessPolicy())
  })

  afterAll(async () => {
    await net?.stop()
  })

  it('partition() keeps each side to itself until heal() reconnects them', async () => {
    const [a, b] = [net.nodes.slice(0, 3), net.nodes.slice(3)]
    const fault = await partition([a, b])
    for (const node of net.nodes) {
      const other = (a.includes(node) ? b : a).map(n => n.peerId)
      expect(node.getConnectedPeers().map(p => p.id).filter(id => other.includes(id))).toEqual([])
    }
    // a put on side A reaches the other A nodes only, and a B node cannot dial A
    const put = await a[0].putValue('/harness/cut', value('a'))
    expect(put.peers.sort()).toEqual(a.slice(1).map(n => n.peerId).sort())
    await expect(b[0].libp2p.dial(a[0].libp2p.getMultiaddrs()[0])).rejects.toThrow()
    await expect(b[0].getValueFromPeer(b[0].peerId, '/harness/cut')).resolves.toBeUndefined()

    await fault.heal({ minRoutingTableSize: 5 })
    expect(b[0].getConnectedPeers().map(p => p.id)).toEqual(expect.arrayContaining(a.map(n => n.peerId)))
    // every other node must accept, not the default three
    const healed = await a[0].putValue('/harness/cut', value('b'), { minPeers: 5 })
    expect(healed.peers).toEqual(expect.arrayContaining(b.map(n => n.peerId)))
  })

  it('evictUnreachable() removes stopped peers from the survivors\' routing tables, and only them', async () => {
    const victim = net.nodes[5]
    await victim.stop()
    const survivors = net.nodes.slice(0, 5)
    expect(survivors.some(n => n.getRoutingTablePeers().includes(victim.peerId))).toBe(true)
    const removed = await evictUnreachable(net.nodes)
    expect(removed).toBeGreaterThanOrEqual(1)
    for (const node of survivors) {
      expect(node.getRoutingTablePeers()).not.toContain(victim.peerId)
      expect(node.getRoutingTablePeers()).toHaveLength(4)
    }
  })
})
