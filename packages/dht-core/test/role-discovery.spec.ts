// RoleDiscovery alone (src/role-discovery.ts, README "Roles and
// discovery"): what it provides, whom it asks and when, what it keeps and
// for how long. Each node is a RoleDiscovery over a stand-in for the
// provider records (a shared map) and libp2p's dialling; peer-info runs for
// real, over libp2p's own in-memory stream pairs (@libp2p/utils
// streamPair). roles.spec shows the same on a real 10-node network.
// libp2p's streams call Promise.withResolvers, which Node.js 20 lacks (the package's index installs it)
import '../src/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_DISCOVERY_REFRESHES } from '../src/constants.js'
import { RoleDiscovery } from '../src/role-discovery.js'
import type { RoleDiscoveryInit } from '../src/role-discovery.js'
import type { AgentInfo, Logger } from '@chorus-dht/types'
import type { PeerId, Stream } from '@libp2p/interface'

const INTERVAL = 60_000
const TTL = 600_000
const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {} }) as unknown as Logger

/** Provider records, peer-info handlers and a clock shared by every node of a test. */
function world () {
  let now = 1_000_000
  const providers = new Map<string, string[]>()
  const handlers = new Map<string, (stream: Stream) => void>()
  const dials: string[] = []
  const provided = new Map<string, string[]>()
  const shutdown = new AbortController()
  const nodes: RoleDiscovery[] = []

  async function node (agent: AgentInfo, init: Partial<RoleDiscoveryInit> = {}): Promise<{ rd: RoleDiscovery, id: PeerId, events: EventTarget, merged: string[] }> {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const events = new EventTarget()
    const merged: string[] = []
    const libp2p = Object.assign(events, {
      peerId: id,
      handle: async (_protocol: string, handler: (stream: Stream) => void) => { handlers.set(id.toString(), handler) },
      unhandle: async () => { handlers.delete(id.toString()) },
      peerStore: { merge: async (peer: PeerId, data: { multiaddrs: unknown[] }) => { merged.push(`${peer.toString()} ${data.multiaddrs.map(String).join(',')}`) } },
      dialProtocol: async (peer: PeerId) => {
        dials.push(peer.toString())
        const handler = handlers.get(peer.toString())
        if (handler == null) throw Object.assign(new Error('no route to peer'), { name: 'DialError' })
        const [outbound, inbound] = await streamPair()
        handler(inbound)
        return outbound
      }
    })
    const routing = {
      provide: async (key: string) => {
        const list = providers.get(key) ?? []
        if (!list.includes(id.toString())) list.push(id.toString())
        providers.set(key, list)
        provided.set(id.toString(), [...(provided.get(id.toString()) ?? []), key])
      },
      findProviders: async (key: string, options: { limit?: number } = {}) =>
        (providers.get(key) ?? []).slice(0, options.limit ?? Infinity).map(p => ({ id: p, multiaddrs: ['/ip4/127.0.0.1/tcp/4001'] }))
    }
    const rd = new RoleDiscovery({ libp2p: libp2p as any, routing: routing as any, clock: { now: () => now }, log }, {
      agent,
      discoveryInterval: INTERVAL,
      peerTTL: TTL,
      peerRequestTimeout: 5_000,
      queryTimeout: 5_000,
      ...init
    })
    await rd.start(shutdown.signal)
    nodes.push(rd)
    return { rd, id, events, merged }
  }

  return {
    node,
    providers,
    dials,
    provided: (id: PeerId) => provided.get(id.toString()) ?? [],
    /** Registers a peer id as a provider of `key` with no node behind it (it cannot be dialled). */
    ghost: async (key: string) => {
      const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      providers.set(key, [...(providers.get(key) ?? []), id])
      return id
    },
    advance: (ms: number) => { now += ms },
    now: () => now,
    stop: async () => {
      shutdown.abort()
      await Promise.all(nodes.map(async n => { await n.stop() }))
    }
  }
}

const agent = (name: string, role = '', capabilities: string[] = []): AgentInfo => ({ agent: name, role, capabilities })

describe('RoleDiscovery', () => {
  const worlds: Array<ReturnType<typeof world>> = []
  afterEach(async () => { await Promise.all(worlds.splice(0).map(async w => { await w.stop() })) })
  const make = (): ReturnType<typeof world> => {
    const w = world()
    worlds.push(w)
    return w
  }

  it('refuses malformed agent info, roles and capabilities, naming what it needs', async () => {
    const { rd } = await make().node(agent('a'))
    const needs = 'registerPeer needs { agent: string, role: string, capabilities: string[] }'
    for (const bad of [null, { agent: 1, role: '', capabilities: [] }, { agent: 'a', role: 2, capabilities: [] }, { agent: 'a', role: '', capabilities: 'x' }]) {
      await expect(rd.registerPeer(bad as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: needs })
    }
    for (const bad of ['', 7]) {
      await expect(rd.announceRole(bad as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'role must be a non-empty string' })
      await expect(rd.findPeersByRole(bad as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'role must be a non-empty string' })
      await expect(rd.announceCapability(bad as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'capability must be a non-empty string' })
    }
    expect(rd.getAgentInfo()).toEqual(agent('a'))
  })

  it('provides the peer key, its role (when it has one) and each capability; keeps a copy of what it was given', async () => {
    const w = make()
    const { rd, id } = await w.node(agent('a'))
    const capabilities = ['x', 'y']
    await rd.registerPeer({ agent: 'alice', role: 'architect', capabilities })
    capabilities.push('z')
    expect(w.provided(id).sort()).toEqual(['CHORUS:capability:x', 'CHORUS:capability:y', 'CHORUS:peer', 'CHORUS:role:architect'])
    expect(rd.getAgentInfo()).toEqual(agent('alice', 'architect', ['x', 'y']))
    // a copy: changing it changes nothing
    rd.getAgentInfo().capabilities.push('w')
    expect(rd.getAgentInfo().capabilities).toEqual(['x', 'y'])

    const other = await w.node(agent('b'))
    await other.rd.registerPeer({ agent: 'bob', role: '', capabilities: [] })
    expect(w.provided(other.id)).toEqual(['CHORUS:peer'])
  })

  it('announces a role and a capability (a capability once, however often announced)', async () => {
    const w = make()
    const { rd, id } = await w.node(agent('a', 'dev', ['x']))
    await rd.announceRole('ops')
    await rd.announceCapability('deploy')
    await rd.announceCapability('deploy')
    await rd.announceCapability('x')
    expect(rd.getAgentInfo()).toEqual(agent('a', 'ops', ['x', 'deploy']))
    expect(w.provided(id)).toEqual(['CHORUS:role:ops', 'CHORUS:capability:deploy', 'CHORUS:capability:deploy', 'CHORUS:capability:x'])
  })

  it('finds peers by role: itself with its own info, others with what they answer, and one that does not answer with what the record says', async () => {
    const w = make()
    const seeker = await w.node(agent('seeker', 'architect', ['s']))
    const bob = await w.node(agent('bob', 'architect', ['review']))
    await seeker.rd.announceRole('architect')
    await bob.rd.announceRole('architect')
    const ghost = await w.ghost('CHORUS:role:architect')
    const found = await seeker.rd.findPeersByRole('architect')
    expect(found).toHaveLength(3)
    expect(found.find(p => p.id === seeker.id.toString())).toEqual({ id: seeker.id.toString(), multiaddrs: ['/ip4/127.0.0.1/tcp/4001'], agent: 'seeker', role: 'architect', capabilities: ['s'], lastSeen: w.now() })
    expect(found.find(p => p.id === bob.id.toString())).toEqual({ id: bob.id.toString(), multiaddrs: ['/ip4/127.0.0.1/tcp/4001'], agent: 'bob', role: 'architect', capabilities: ['review'], lastSeen: w.now() })
    expect(found.find(p => p.id === ghost)).toEqual({ id: ghost, multiaddrs: ['/ip4/127.0.0.1/tcp/4001'], role: 'architect', lastSeen: 0 })
    // the addresses of the records are merged before the dial; the seeker dialled neither itself nor anyone twice
    expect(seeker.merged).toContain(`${bob.id.toString()} /ip4/127.0.0.1/tcp/4001`)
    expect(w.dials.sort()).toEqual([bob.id.toString(), ghost].sort())
    // bob answered: he is now a discovered peer, the ghost is not
    expect(seeker.rd.getDiscoveredPeers().map(p => p.id)).toEqual([bob.id.toString()])
    expect(seeker.rd.knownPeerIds()).toEqual([bob.id.toString()])
    // limit goes to the provider lookup
    expect(await seeker.rd.findPeersByRole('architect', { limit: 1 })).toHaveLength(1)
    await expect(seeker.rd.findPeersByRole('architect', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('answers peer-info with its info as it is now', async () => {
    const w = make()
    const seeker = await w.node(agent('seeker'))
    const carol = await w.node(agent('carol', 'tester'))
    await carol.rd.announceRole('tester')
    await carol.rd.announceRole('lead')
    await carol.rd.announceCapability('qa')
    const [found] = await seeker.rd.findPeersByRole('tester')
    expect(found).toMatchObject({ agent: 'carol', role: 'lead', capabilities: ['qa'] })
    // after stop it answers no more
    await carol.rd.stop()
    w.advance(INTERVAL + 1)
    const [again] = await seeker.rd.findPeersByRole('tester')
    expect(again).toMatchObject({ id: carol.id.toString(), role: 'tester', lastSeen: found.lastSeen })
  })

  it('discovers who the peers are: the stale ones, at most MAX_DISCOVERY_REFRESHES a round, never itself', async () => {
    const w = make()
    const watcher = await w.node(agent('watcher'))
    await watcher.rd.registerPeer(agent('watcher'))
    const dave = await w.node(agent('dave', 'ops'))
    await dave.rd.registerPeer(agent('dave', 'ops'))
    await watcher.rd.discover(new AbortController().signal)
    expect(w.dials).toEqual([dave.id.toString()])
    expect(watcher.rd.getDiscoveredPeers()).toEqual([{ id: dave.id.toString(), multiaddrs: ['/ip4/127.0.0.1/tcp/4001'], agent: 'dave', role: 'ops', capabilities: [], lastSeen: w.now() }])
    // fresh: not asked again within the interval, asked again after it
    w.advance(INTERVAL - 1)
    await watcher.rd.discover(new AbortController().signal)
    expect(w.dials).toHaveLength(1)
    w.advance(2)
    await watcher.rd.discover(new AbortController().signal)
    expect(w.dials).toHaveLength(2)
    expect(watcher.rd.getDiscoveredPeers()[0].lastSeen).toBe(w.now())

    // many unknown providers: one round asks MAX_DISCOVERY_REFRESHES of them, unknown ones before one seen
    for (let i = 0; i < MAX_DISCOVERY_REFRESHES + 3; i++) await w.ghost('CHORUS:peer')
    w.advance(INTERVAL + 1)
    w.dials.splice(0)
    await watcher.rd.discover(new AbortController().signal)
    expect(w.dials).toHaveLength(MAX_DISCOVERY_REFRESHES)
    expect(w.dials).not.toContain(dave.id.toString())
    expect(w.dials).not.toContain(watcher.id.toString())
    // an aborted round asks no one
    w.dials.splice(0)
    await watcher.rd.discover(AbortSignal.abort())
    expect(w.dials).toEqual([])
  })

  it('asks the peer seen longest ago first', async () => {
    const w = make()
    const watcher = await w.node(agent('watcher'))
    const early = await w.node(agent('early'))
    const late = await w.node(agent('late'))
    await early.rd.registerPeer(agent('early'))
    await late.rd.registerPeer(agent('late'))
    // watcher learns early first, then late, one interval apart
    w.providers.set('CHORUS:role:e', [early.id.toString()])
    w.providers.set('CHORUS:role:l', [late.id.toString()])
    await watcher.rd.findPeersByRole('e')
    w.advance(INTERVAL)
    await watcher.rd.findPeersByRole('l')
    w.advance(INTERVAL + 1)
    w.dials.splice(0)
    await watcher.rd.discover(new AbortController().signal)
    expect(w.dials).toEqual([early.id.toString(), late.id.toString()])
  })

  it('keeps a discovered peer for peerTTL after it was last seen; identify counts as seen, for known peers only', async () => {
    const w = make()
    const watcher = await w.node(agent('watcher'))
    const erin = await w.node(agent('erin'))
    await erin.rd.registerPeer(agent('erin'))
    await watcher.rd.discover(new AbortController().signal)
    const seen = w.now()
    w.advance(TTL)
    watcher.rd.cleanupPeers()
    expect(watcher.rd.knownPeerIds()).toEqual([erin.id.toString()])
    // identify refreshes the known peer; an unknown peer's identify adds nothing
    watcher.events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: erin.id } }))
    watcher.events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: watcher.id } }))
    expect(watcher.rd.getDiscoveredPeers()[0].lastSeen).toBe(seen + TTL)
    expect(watcher.rd.knownPeerIds()).toEqual([erin.id.toString()])
    w.advance(TTL)
    watcher.rd.cleanupPeers()
    expect(watcher.rd.knownPeerIds()).toEqual([erin.id.toString()])
    w.advance(1)
    watcher.rd.cleanupPeers()
    expect(watcher.rd.getDiscoveredPeers()).toEqual([])
    // after stop, identify is no longer followed
    await watcher.rd.discover(new AbortController().signal)
    const again = w.now()
    await watcher.rd.stop()
    w.advance(5)
    watcher.events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: erin.id } }))
    expect(watcher.rd.getDiscoveredPeers()[0].lastSeen).toBe(again)
  })

  it('hands out copies of the discovered peers', async () => {
    const w = make()
    const watcher = await w.node(agent('watcher'))
    const fay = await w.node(agent('fay', 'r', ['c']))
    await fay.rd.registerPeer(agent('fay', 'r', ['c']))
    await watcher.rd.discover(new AbortController().signal)
    const copy = watcher.rd.getDiscoveredPeers()[0]
    copy.capabilities!.push('changed')
    copy.multiaddrs.push('/ip4/1.2.3.4/tcp/1')
    expect(watcher.rd.getDiscoveredPeers()[0]).toMatchObject({ capabilities: ['c'], multiaddrs: ['/ip4/127.0.0.1/tcp/4001'] })
  })
})
