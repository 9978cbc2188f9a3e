import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestNetwork } from '../src/testing.js'
import { waitFor } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'

describe('roles and discovery', () => {
  let net: TestNetwork

  beforeAll(async () => {
    net = await createTestNetwork(10, { validators: { CHORUS: () => {} }, discoveryInterval: 500 }, {
      nodeInit: (i) => ({ agent: { agent: `agent-${i}` } })
    })
  })

  afterAll(async () => {
    await net?.stop()
  })

  it('finds peers by role with what they say about themselves', async () => {
    const [a, b, c, , , , , , , seeker] = net.nodes
    await a.registerPeer({ agent: 'alice', role: 'architect', capabilities: ['design'] })
    await b.registerPeer({ agent: 'bob', role: 'architect', capabilities: ['review', 'design'] })
    await c.registerPeer({ agent: 'carol', role: 'tester', capabilities: [] })

    const architects = await seeker.findPeersByRole('architect')
    expect(architects.map(p => p.agent).sort()).toEqual(['alice', 'bob'])
    const bob = architects.find(p => p.id === b.peerId)
    expect(bob).toMatchObject({ role: 'architect', capabilities: ['review', 'design'] })
    expect(bob?.lastSeen).toBeGreaterThan(0)
    expect(bob?.multiaddrs.length).toBeGreaterThan(0)

    expect((await seeker.findPeersByRole('tester')).map(p => p.id)).toEqual([c.peerId])
    expect(await seeker.findPeersByRole('nobody')).toEqual([])
    // a node finds itself too
    expect((await a.findPeersByRole('architect')).find(p => p.id === a.peerId)?.agent).toBe('alice')
  })

  it('announces roles and capabilities after registration', async () => {
    const [, , , d, , , , , e] = net.nodes
    await d.announceRole('ops')
    await d.announceCapability('deploy')
    expect(d.getAgentInfo()).toMatchObject({ agent: 'agent-3', role: 'ops', capabilities: ['deploy'] })
    const ops = await e.findPeersByRole('ops')
    expect(ops).toHaveLength(1)
    expect(ops[0]).toMatchObject({ id: d.peerId, agent: 'agent-3', role: 'ops', capabilities: ['deploy'] })
    expect((await e.findProviders('CHORUS:capability:deploy')).map(p => p.id)).toEqual([d.peerId])
  })

  it('discovers registered peers in the background', async () => {
    const [a, b, c] = net.nodes
    const watcher = net.nodes[6]
    const agents = (): string[] => watcher.getDiscoveredPeers().map(p => p.agent ?? '').sort()
    // no one asked node 6 anything: only the discovery loop can teach it who a, b and c are
    await waitFor(() => ['alice', 'bob', 'carol'].every(name => agents().includes(name)), 30_000, 'discovery')
    const bob = watcher.getDiscoveredPeers().find(p => p.id === b.peerId)
    expect(bob).toMatchObject({ agent: 'bob', role: 'architect' })
    expect(watcher.getDiscoveredPeers().map(p => p.id)).not.toContain(watcher.peerId)
    expect([a.peerId, c.peerId].every(id => watcher.getDiscoveredPeers().some(p => p.id === id))).toBe(true)
  })
})
