import { describe, expect } from 'vitest'
import { bytes, text } from './context.js'
import type { SuiteContext } from './context.js'

/** getValueFromPeer, closest peers, bootstrap, providers. */
export function routingTests (ctx: SuiteContext): void {
  const { factory, policy, n, key, test } = ctx
  describe('getValueFromPeer', () => {
    test('a holder returns its copy, this node returns its local copy, a non-holder returns undefined', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('from-peer')
      await nodes[0].putValue(k, bytes('v-peer'))
      expect(text(await nodes[1].getValueFromPeer(nodes[0].peerId, k))).toBe('v-peer')
      expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v-peer')
      expect(await nodes[1].getValueFromPeer(nodes[0].peerId, key('never-put'))).toBeUndefined()
    })
  })

  describe('routing', () => {
    test('getClosestPeers returns known peers, never itself, and honours limit', async () => {
      const nodes = await factory.network(n, policy)
      const ids = new Set(nodes.map((d) => d.peerId))
      const closest = await nodes[0].getClosestPeers(key('closest'))
      expect(closest.length).toBeGreaterThanOrEqual(1)
      expect(closest).not.toContain(nodes[0].peerId)
      for (const id of closest) expect(ids.has(id)).toBe(true)
      const one = await nodes[0].getClosestPeers(key('closest'), { limit: 1 })
      // the network has other peers, so limit 1 must find exactly one of them
      expect(one).toHaveLength(1)
      expect(one[0]).not.toBe(nodes[0].peerId)
      expect(ids.has(one[0])).toBe(true)
    })

    test('bootstrap resolves, the node is bootstrapped and reports connected peers', async () => {
      const nodes = await factory.network(n, policy)
      await nodes[0].bootstrap()
      expect(nodes[0].isBootstrapped()).toBe(true)
      const connected = nodes[0].getConnectedPeers()
      const ids = new Set(nodes.map((d) => d.peerId))
      expect(connected.length).toBeGreaterThanOrEqual(1)
      expect(connected.map((p) => p.id)).not.toContain(nodes[0].peerId)
      expect(new Set(connected.map((p) => p.id)).size).toBe(connected.length)
      for (const p of connected) {
        expect(ids.has(p.id)).toBe(true)
        // a connected peer is reachable at some address
        expect(p.multiaddrs.length).toBeGreaterThanOrEqual(1)
        for (const a of p.multiaddrs) expect(a).toMatch(/^\/.+/)
      }
    })
  })

  describe('providers', () => {
    test('a provider is found from another node', async () => {
      const nodes = await factory.network(n, policy)
      const k = `chorus-compliance:provide:${ctx.next()}:${Math.random()}`
      await nodes[0].provide(k)
      const found = await nodes[1].findProviders(k)
      // exactly the one provider, once, with an address to reach it at
      expect(found.map((p) => p.id)).toEqual([nodes[0].peerId])
      expect(found[0].multiaddrs.length).toBeGreaterThanOrEqual(1)
      for (const a of found[0].multiaddrs) expect(a).toMatch(/^\/.+/)
    })

    test('several providers are found, and limit caps the answer', async () => {
      const nodes = await factory.network(n, policy)
      const k = `chorus-compliance:provide-many:${ctx.next()}:${Math.random()}`
      for (const node of nodes.slice(0, 2)) await node.provide(k)
      const found = (await nodes[n - 1].findProviders(k)).map((p) => p.id)
      expect(found).toEqual(expect.arrayContaining([nodes[0].peerId, nodes[1].peerId]))
      expect(await nodes[n - 1].findProviders(k, { limit: 1 })).toHaveLength(1)
    })

    test('a key nobody provides has no providers', async () => {
      const nodes = await factory.network(n, policy)
      expect(await nodes[1].findProviders(`chorus-compliance:nobody:${ctx.next()}:${Math.random()}`)).toEqual([])
    })
  })
}
