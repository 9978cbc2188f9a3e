// Provider records and closest-peer lookups (src/content-routing.ts)
// through the facade: argument errors, limits, this node's own entry,
// duplicates, aborts; a lone node and a 4-node network on the memory
// transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChorusDHT } from '../src/index.js'
import { createTestNetwork } from '../src/testing.js'
import { policy } from './fixtures.js'
import type { ChorusDHT } from '../src/index.js'
import type { TestNetwork } from '../src/testing.js'

describe('content routing on a lone node', () => {
  let node: ChorusDHT
  beforeAll(async () => { node = await createChorusDHT({ transports: ['memory'], ...policy }) })
  afterAll(async () => { await node.stop() })

  it('refuses an empty or non-string key and a bad limit, naming them', async () => {
    for (const key of ['', 5]) {
      await expect(node.getClosestPeers(key as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'key must be a non-empty string' })
    }
    for (const limit of [0, -1, 1.5]) {
      await expect(node.findProviders('CHORUS:x', { limit })).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('limit') })
    }
  })

  it('keeps a provider record locally, and lists itself with its own addresses', async () => {
    expect(await node.findProviders('CHORUS:lone')).toEqual([])
    await node.provide('CHORUS:lone')
    await node.provide('CHORUS:lone')
    expect(await node.findProviders('CHORUS:lone')).toEqual([{ id: node.peerId, multiaddrs: node.getMultiaddrs() }])
    expect(await node.getClosestPeers('/CHORUS/anything')).toEqual([])
  })

  it('honours an aborted signal', async () => {
    const signal = AbortSignal.abort()
    await expect(node.provide('CHORUS:lone', { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(node.findProviders('CHORUS:lone', { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(node.getClosestPeers('/CHORUS/x', { signal })).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('content routing on a network', () => {
  let net: TestNetwork
  beforeAll(async () => { net = await createTestNetwork(4, policy) })
  afterAll(async () => { await net.stop() })

  it('finds every provider once, with its addresses, up to the limit', async () => {
    const [a, b, c] = net.nodes
    await a.provide('CHORUS:shared')
    await b.provide('CHORUS:shared')
    await b.provide('CHORUS:shared')
    const found = await c.findProviders('CHORUS:shared')
    expect(found.map(p => p.id).sort()).toEqual([a.peerId, b.peerId].sort())
    for (const p of found) {
      expect(p.multiaddrs.length).toBeGreaterThan(0)
      expect(new Set(p.multiaddrs).size).toBe(p.multiaddrs.length)
    }
    expect(await c.findProviders('CHORUS:shared', { limit: 1 })).toHaveLength(1)
    // a provider that is this node lists this node's own addresses
    await c.provide('CHORUS:shared')
    const mine = (await c.findProviders('CHORUS:shared')).find(p => p.id === c.peerId)
    expect(mine).toEqual({ id: c.peerId, multiaddrs: c.getMultiaddrs() })
    expect(await c.findProviders('CHORUS:nobody')).toEqual([])
  })

  it('finds the closest peers: never itself, never twice, at most limit', async () => {
    const [a] = net.nodes
    const closest = await a.getClosestPeers('/CHORUS/where')
    expect(closest.length).toBe(3)
    expect(closest).not.toContain(a.peerId)
    expect(new Set(closest).size).toBe(closest.length)
    expect(closest.every(id => net.nodes.some(n => n.peerId === id))).toBe(true)
    const two = await a.getClosestPeers('/CHORUS/where', { limit: 2 })
    expect(two).toHaveLength(2)
    expect(two.every(id => closest.includes(id))).toBe(true)
  })
})
