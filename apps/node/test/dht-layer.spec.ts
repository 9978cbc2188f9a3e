import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chorusRecordPolicy } from '@chorus-dht/encrypted-storage'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { createDhtLayer, dhtReadiness } from '../src/dht-layer.js'
import { NodeMetrics } from '../src/metrics.js'
import type { DhtLayer, DhtReadinessInput } from '../src/dht-layer.js'
import { componentLogger } from '../src/logger.js'
import { waitFor } from './helpers.js'
import { ChorusNode } from '../src/node.js'
import type { HybridDHT } from '@chorus-dht/hybrid-mock'

const READY: DhtReadinessInput = {
  status: 'started',
  useRealDHT: true,
  activeBackend: 'real',
  pendingWrites: 0,
  bootstrapPeers: 2,
  bootstrapped: true,
  connectedPeers: 1
}

describe('dhtReadiness', () => {
  it('is ready on the real DHT with a live peer', () => {
    expect(dhtReadiness(READY)).toMatchObject({ ready: true, reasons: [] })
  })

  it('is ready alone: no bootstrap peers configured (the first node), or the mock only by configuration', () => {
    expect(dhtReadiness({ ...READY, bootstrapPeers: 0, bootstrapped: false, connectedPeers: 0 }).ready).toBe(true)
    expect(dhtReadiness({ ...READY, useRealDHT: false, activeBackend: 'mock', bootstrapPeers: 0, bootstrapped: false, connectedPeers: 0 }).ready).toBe(true)
  })

  it('is not ready before the DHT starts', () => {
    const r = dhtReadiness({ ...READY, status: 'stopped' })
    expect(r.ready).toBe(false)
    expect(r.reasons).toEqual(['the DHT is stopped'])
  })

  it('is not ready when not bootstrapped or without a live peer while bootstrap peers are configured', () => {
    const unbootstrapped = dhtReadiness({ ...READY, bootstrapped: false, connectedPeers: 0 })
    expect(unbootstrapped.ready).toBe(false)
    expect(unbootstrapped.reasons[0]).toMatch(/not bootstrapped/)
    const alone = dhtReadiness({ ...READY, connectedPeers: 0 })
    expect(alone.ready).toBe(false)
    expect(alone.reasons[0]).toMatch(/no live peer/)
  })

  it('is not ready while the real DHT fails its live probe (no fallback configured)', () => {
    const r = dhtReadiness({ ...READY, realStatus: 'failed' })
    expect(r.ready).toBe(false)
    expect(r.reasons).toEqual(['the real DHT fails its live probe'])
    expect(dhtReadiness({ ...READY, realStatus: 'degraded' }).ready).toBe(true)
  })

  it('is not ready while the hybrid serves from its mock fallback: writes are journaled, not replicated', () => {
    const r = dhtReadiness({ ...READY, activeBackend: 'mock', pendingWrites: 3 })
    expect(r.ready).toBe(false)
    expect(r.reasons).toHaveLength(1)
    expect(r.reasons[0]).toMatch(/mock fallback.*journaled \(3 pending\)/)
    expect(r.checks).toMatchObject({ active_backend: 'mock', pending_writes: 3 })
  })
})

describe('DhtLayer.ready() on a real layer', () => {
  let dir: string
  let layer: DhtLayer | undefined
  const logger = componentLogger(pino({ level: 'silent' }))

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-dht-layer-'))
  })

  afterEach(async () => {
    await layer?.stop()
    layer = undefined
    await rm(dir, { recursive: true, force: true })
  })

  async function build (useRealDHT: boolean, bootstrap: string[]): Promise<DhtLayer> {
    const config = await loadConfig({ env: {}, cwd: dir })
    config.dht.useRealDHT = useRealDHT
    config.dht.healthCheckInterval = 60_000
    config.p2p.listen = ['/ip4/127.0.0.1/tcp/0']
    config.p2p.allowPrivateAddresses = true
    config.p2p.bootstrap = bootstrap
    const privateKey = await generateKeyPair('Ed25519')
    layer = await createDhtLayer({
      config,
      privateKey,
      peerId: peerIdFromPrivateKey(privateKey).toString(),
      datastore: new MemoryDatastore(),
      journal: new MemoryDatastore(),
      policy: chorusRecordPolicy(),
      logger
    })
    return layer
  }

  it('is not ready before start, ready with the mock only by configuration', async () => {
    const l = await build(false, [])
    expect((await l.ready()).ready).toBe(false)
    await l.start()
    expect(await l.ready()).toMatchObject({ ready: true, reasons: [] })
  })

  it('is not ready with a bootstrap peer that never answers, nor once it falls back to the mock', async () => {
    // a peer id nobody listens for, on a port nothing listens on
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const l = await build(true, [`/ip4/127.0.0.1/tcp/1/p2p/${other}`])
    await l.start()
    const alone = await l.ready()
    expect(alone.ready).toBe(false)
    expect(l.activeBackend()).toBe('real')
    expect(alone.reasons.join(' ')).toMatch(/not bootstrapped|no live peer/)
    await (l.dht as HybridDHT).switchBackend('mock')
    const fallback = await l.ready()
    expect(fallback.ready).toBe(false)
    expect(fallback.reasons.join(' ')).toMatch(/mock fallback/)
  }, 30_000)

  it('does not count this node among its own bootstrap peers', async () => {
    const config = await loadConfig({ env: {}, cwd: dir })
    const privateKey = await generateKeyPair('Ed25519')
    const self = peerIdFromPrivateKey(privateKey).toString()
    config.p2p.listen = ['/ip4/127.0.0.1/tcp/0']
    config.p2p.allowPrivateAddresses = true
    config.p2p.bootstrap = [`/ip4/127.0.0.1/tcp/1/p2p/${self}`]
    config.dht.healthCheckInterval = 60_000
    layer = await createDhtLayer({ config, privateKey, peerId: self, datastore: new MemoryDatastore(), journal: new MemoryDatastore(), policy: chorusRecordPolicy(), logger })
    await layer.start()
    const r = await layer.ready()
    expect(r.checks.bootstrap_peers).toBe(0)
    expect(layer.activeBackend()).toBe('real')
    expect(r).toMatchObject({ ready: true, reasons: [] })
    // the real node's abuse counters are exported (rate limits, quotas, bans)
    const text = await new NodeMetrics({ dht: () => layer!.dht, real: () => layer!.realNode(), startedAt: () => 0 }).text()
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map(m => m[1])
    expect(names).toEqual(expect.arrayContaining(['chorus_dht_inbound_puts_rejected_total', 'chorus_dht_quota_hits_total', 'chorus_dht_peer_bans_total', 'chorus_dht_banned_peers']))
  }, 30_000)
})

describe('role announcements of the DHT layer', () => {
  const logger = componentLogger(pino({ level: 'silent' }))
  const layers: DhtLayer[] = []
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-dht-announce-'))
  })

  afterEach(async () => {
    for (const l of layers.splice(0)) await l.stop()
    await rm(dir, { recursive: true, force: true })
  })

  async function layerOf (bootstrap: string[], announceInterval: number): Promise<DhtLayer> {
    const config = await loadConfig({ env: {}, cwd: dir })
    config.dht.healthCheckInterval = 60_000
    config.p2p.listen = ['/ip4/127.0.0.1/tcp/0']
    config.p2p.allowPrivateAddresses = true
    config.p2p.bootstrap = bootstrap
    Object.assign(config.p2p, { announceInterval })
    const privateKey = await generateKeyPair('Ed25519')
    const l = await createDhtLayer({ config, privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), datastore: new MemoryDatastore(), journal: new MemoryDatastore(), policy: chorusRecordPolicy(), logger })
    layers.push(l)
    return l
  }

  it('announces the role once joined, so peers find it by role, and again every announceInterval', async () => {
    const a = await layerOf([], 60_000)
    await a.start()
    const b = await layerOf([`${a.multiaddrs()[0]}`], 300)
    await b.start()
    const real = b.realNode()!
    // counts the announcements from now on (the real call goes through)
    let calls = 0
    const register = real.registerPeer.bind(real)
    real.registerPeer = async (...args) => { calls++; await register(...args) }
    const found = await waitFor(async () => {
      const peers = await a.realNode()!.findPeersByRole('admin', { signal: AbortSignal.timeout(10_000) })
      return peers.some(p => p.id === real.peerId) ? peers : undefined
    }, 'A to find B by its role', 30_000, 200)
    expect(found.find(p => p.id === real.peerId)).toMatchObject({ role: 'admin', agent: 'chorus-node' })
    await waitFor(() => calls >= 3, 'B to re-announce periodically', 30_000, 50)
  }, 60_000)
})

describe('ChorusNode.ready()', () => {
  it('is not ready while the node is not started, and says why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-node-ready-'))
    try {
      const node = new ChorusNode(await loadConfig({ env: {}, cwd: dir }), pino({ level: 'silent' }))
      const r = await node.ready()
      expect(r.ready).toBe(false)
      expect(r.reasons).toContain('the node is stopped')
      expect((await node.health()).healthy).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
