import { Record } from '@libp2p/kad-dht'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestNetwork } from '../src/testing.js'
import { bytes, policy, waitFor } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'

describe('a 12-node network', () => {
  let net: TestNetwork
  const stores = Array.from({ length: 12 }, () => new MemoryDatastore())

  beforeAll(async () => {
    // node 11 accepts anything under /CHORUS: the others must still refuse what it pushes
    net = await createTestNetwork(12, policy, {
      nodeInit: (i) => i === 11 ? { validators: { CHORUS: () => {} } } : {},
      components: (i) => ({ datastore: stores[i] })
    })
  })

  afterAll(async () => {
    await net?.stop()
  })

  it('fills every routing table', () => {
    for (const node of net.nodes) {
      expect(node.getRoutingTablePeers().length).toBe(11)
      expect(node.getStats().totalPeers).toBe(11)
      expect(node.isBootstrapped()).toBe(true)
    }
  })

  it('puts on remote peers and gets from another node', async () => {
    const [a, , , , , , , , , b] = net.nodes
    const result = await a.putValue('/CHORUS/put-get', bytes(7, 1))
    expect(result.remotePeers).toBeGreaterThan(0)
    expect(result.peers).toHaveLength(result.remotePeers)
    expect(result.peers).not.toContain(a.peerId)
    expect(await b.getValue('/CHORUS/put-get')).toEqual(bytes(7, 1))
    // a peer that accepted the record serves it on a direct request
    expect(await b.getValueFromPeer(result.peers[0], '/CHORUS/put-get')).toEqual(bytes(7, 1))
    // the remote-only path finds it too
    expect(await a.getValue('/CHORUS/put-get', { remoteOnly: true })).toEqual(bytes(7, 1))
  })

  it('lets the selector choose among a quorum of answers', async () => {
    const [a, b, c] = net.nodes
    await a.putValue('/CHORUS/versions', bytes(1))
    // the put resolved at its acknowledgement; its background part is still
    // placing copies: wait until every node holds one
    const held = async () => (await Promise.all(net.nodes.map(async n => n.getValueFromPeer(n.peerId, '/CHORUS/versions')))).every(v => v != null)
    await waitFor(held, 20_000, 'a copy on every node')
    // node 1 alone holds a better version, as a replica written later would
    const key = new TextEncoder().encode('/CHORUS/versions')
    await stores[1].put(new Key(`/dht/record/${uint8ArrayToString(key, 'base32')}`, false), new Record(key, bytes(9), new Date()).serialize())
    expect(await b.getValueFromPeer(b.peerId, '/CHORUS/versions')).toEqual(bytes(9))
    // quorum 1 takes c's own copy, a full quorum sees node 1's and selects it
    expect(await c.getValue('/CHORUS/versions')).toEqual(bytes(1))
    expect(await c.getValue('/CHORUS/versions', { quorum: 12 })).toEqual(bytes(9))
  })

  it('answers undefined from a peer without the record', async () => {
    const [a, b] = net.nodes
    expect(await a.getValueFromPeer(b.peerId, '/CHORUS/never-stored')).toBeUndefined()
    expect(await a.getValueFromPeer(a.peerId, '/CHORUS/never-stored')).toBeUndefined()
  })

  it('throws NotFoundError for a key nobody has', async () => {
    await expect(net.nodes[3].getValue('/CHORUS/missing')).rejects.toHaveProperty('name', 'NotFoundError')
  })

  it('refuses an invalid record locally, and remote peers refuse one pushed by a lax node', async () => {
    const [a] = net.nodes
    await expect(a.putValue('/CHORUS/bad', bytes(0))).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(a.putValue('/OTHER/x', bytes(1))).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(a.putValue('no-namespace', bytes(1))).rejects.toHaveProperty('name', 'InvalidParametersError')

    const lax = net.nodes[11]
    const result = await lax.putValue('/CHORUS/bad-remote', bytes(0, 1))
    expect(result.remotePeers).toBe(0)
    for (const node of net.nodes.slice(0, 11)) {
      expect(await lax.getValueFromPeer(node.peerId, '/CHORUS/bad-remote')).toBeUndefined()
    }
    await expect(a.getValue('/CHORUS/bad-remote')).rejects.toHaveProperty('name', 'NotFoundError')
  })

  it('finds providers of a string key', async () => {
    const [, p1, p2, , , , , q] = net.nodes
    await p1.provide('CHORUS:capability:test')
    await p2.provide('CHORUS:capability:test')
    const providers = await q.findProviders('CHORUS:capability:test')
    expect(providers.map(p => p.id).sort()).toEqual([p1.peerId, p2.peerId].sort())
    expect(providers.every(p => p.multiaddrs.length > 0)).toBe(true)
    expect(await q.findProviders('CHORUS:capability:nobody')).toEqual([])
    expect(await q.findProviders('CHORUS:capability:test', { limit: 1 })).toHaveLength(1)
  })

  it('finds the peers closest to a key', async () => {
    const closest = await net.nodes[4].getClosestPeers('/CHORUS/anything', { limit: 5 })
    expect(closest).toHaveLength(5)
    expect(closest).not.toContain(net.nodes[4].peerId)
    const all = new Set(net.nodes.map(n => n.peerId))
    expect(closest.every(id => all.has(id))).toBe(true)
  })

  it('counts stored records and connected peers', () => {
    const stats = net.nodes[0].getStats()
    expect(stats.totalKeys).toBeGreaterThan(0)
    expect(stats.connectedPeers).toBe(net.nodes[0].getConnectedPeers().length)
    expect(stats.uptime).toBeGreaterThan(0)
    expect(net.nodes[0].getDHTSize()).toBe(11)
  })

  it('honours the caller signal', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(net.nodes[1].getValue('/CHORUS/missing', { signal: controller.signal, remoteOnly: true }))
      .rejects.toHaveProperty('name', 'AbortError')
    const deadline = new AbortController()
    deadline.abort(new DOMException('caller deadline', 'TimeoutError'))
    await expect(net.nodes[1].findProviders('CHORUS:x', { signal: deadline.signal }))
      .rejects.toHaveProperty('name', 'TimeoutError')
  })
})

