import { afterEach, describe, expect, it, vi } from 'vitest'
import { replicationManager, xorDistance } from '../src/index.js'
import { bytes, gate, mockCluster, spyDHT } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import type { ReplicationManager, ReplicationManagerInit } from '../src/index.js'
import type { DHT } from '@chorus-dht/types'

let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

function manage (dht: DHT, init: ReplicationManagerInit = {}): ReplicationManager {
  const m = replicationManager(init)({ dht })
  managers.push(m)
  return m
}

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  await cluster?.stopAll()
  cluster = undefined
  vi.useRealTimers()
})

/** Runs the timers due now and lets the promise chains they start finish (fake timers only). */
async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0)
}

describe('measured replicas', () => {
  it('counts this node and the peers that answer yes, closest first', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/a', bytes('a'))
    const m = manage(writer)
    await m.start()

    const status = await m.addContent('/test/a', 1, 5)
    expect(status).toMatchObject({ key: '/test/a', targetReplicas: 3, actualReplicas: 4, healthyProviders: 4, health: 'healthy', priority: 5, size: 1 })
    expect([...status.replicationNodes].sort()).toEqual([writer.peerId, ...put.peers].sort())
    const distances = status.replicationNodes.map(p => xorDistance('/test/a', p))
    expect(distances).toEqual([...distances].sort())
    expect(status.lastChecked).toBeGreaterThan(0)
    expect(status.lastReplication).toBeGreaterThan(0)
    expect(m.getReplicationStatus('/test/a')).toEqual(status)
  })

  it('turns degraded, then critical, as holders stop', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/b', bytes('b'))
    const holders = [writer.peerId, ...put.peers]
    // a watcher that holds no copy itself tracks the key
    const watcher = cluster.nodes.find(n => !holders.includes(n.peerId))!
    const m = manage(watcher, { enableAutoReplication: false })
    await m.start()
    const before = await m.addContent('/test/b', 1)
    expect([...before.replicationNodes].sort()).toEqual([...holders].sort())
    expect(before.health).toBe('healthy')

    await cluster.byId(holders[0]).stop()
    await cluster.byId(holders[1]).stop()
    const degraded = await m.checkReplication('/test/b')
    expect(degraded).toMatchObject({ health: 'degraded', actualReplicas: 2, healthyProviders: 2 })
    expect([...degraded.replicationNodes].sort()).toEqual(holders.slice(2).sort())

    await cluster.byId(holders[2]).stop()
    await cluster.byId(holders[3]).stop()
    const critical = await m.checkReplication('/test/b')
    expect(critical).toMatchObject({ health: 'critical', actualReplicas: 0, healthyProviders: 0, replicationNodes: [] })
    expect(m.getMetrics()).toMatchObject({ repairs: 0, criticalKeys: 1, averageReplication: 0 })
  })

  it('reports a critical key when no copy exists anywhere', async () => {
    cluster = await mockCluster(4, 3)
    const m = manage(cluster.nodes[0], { enableAutoReplication: false })
    await m.start()
    const status = await m.addContent('/test/nothing', 0)
    expect(status).toMatchObject({ health: 'critical', actualReplicas: 0, healthyProviders: 0 })
    expect(status.lastChecked).toBeGreaterThan(0)
  })
})

describe('what is not a replica', () => {
  // Namespace `test`: lax nodes take any record; a strict node's validator accepts only version byte 1.
  const lax = { validators: { test: () => {}, ver: () => {} }, selectors: { test: () => 0, ver: () => 0 } }
  const strict = {
    validators: { test: (_key: string, value: Uint8Array) => { if (value[0] !== 1) throw new Error('not a valid record') }, ver: () => {} },
    selectors: { test: () => 0, ver: () => 0 }
  }

  it('a peer holding a copy that fails validation is not a replica', async () => {
    // nodes 0-6 are lax, node 7 is strict
    cluster = await mockCluster(8, 3, (i) => i === 7 ? strict : lax)
    const watcher = cluster.nodes[7]
    const key = '/test/invalid'
    // an invalid copy reaches the writer and the closest lax peers, then a valid copy is written by another
    // node; the peers that hold the invalid one keep it (selector: the held record wins)
    const [first, second] = cluster.nodes.filter(n => n !== watcher)
    const bad = await first.putValue(key, new Uint8Array([0]))
    const good = await second.putValue(key, new Uint8Array([1]))
    const invalidHolders = [first.peerId, ...bad.peers].filter(p => p !== watcher.peerId)
    const validHolders = [...new Set([second.peerId, ...good.peers.filter(p => !invalidHolders.includes(p))])]
    expect(invalidHolders.length).toBeGreaterThan(0)

    // a lax node counts every copy
    const laxManager = manage(first, { enableAutoReplication: false })
    await laxManager.start()
    const laxCount = await laxManager.addContent(key, 1)
    expect([...laxCount.replicationNodes].sort()).toEqual([...new Set([...invalidHolders, ...validHolders])].sort())

    // the strict node counts only the valid copies
    const m = manage(watcher, { enableAutoReplication: false })
    await m.start()
    const status = await m.addContent(key, 1)
    expect([...status.replicationNodes].sort()).toEqual([...validHolders].sort())
    expect(status.replicationNodes.some(p => invalidHolders.includes(p))).toBe(false)
    expect(status.actualReplicas).toBe(validHolders.length)
  })

  it('a key whose every copy fails validation is critical', async () => {
    cluster = await mockCluster(6, 3, (i) => i === 5 ? strict : lax)
    const watcher = cluster.nodes[5]
    const put = await cluster.nodes[0].putValue('/test/all-bad', new Uint8Array([9]))
    expect(put.peers.filter(p => p !== watcher.peerId).length).toBeGreaterThan(0)
    const m = manage(watcher, { enableAutoReplication: false })
    await m.start()
    expect(await m.addContent('/test/all-bad', 1)).toMatchObject({ health: 'critical', actualReplicas: 0, replicationNodes: [], healthyProviders: 0 })
  })

  it('a peer that does not answer within peerQueryTimeout is not a replica', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/silent', bytes('s'))
    const holders = [writer.peerId, ...put.peers]
    const spy = spyDHT(cluster.nodes.find(n => !holders.includes(n.peerId))!)
    const silent = put.peers[0]
    spy.silent.add(silent)
    const m = manage(spy, { enableAutoReplication: false, peerQueryTimeout: 1_000 })
    await m.start()
    const measuring = m.addContent('/test/silent', 1)
    await vi.advanceTimersByTimeAsync(1_000)
    const status = await measuring
    // it was asked, and did not answer in time
    expect(spy.asked).toContain(silent)
    expect([...status.replicationNodes].sort()).toEqual(holders.filter(p => p !== silent).sort())
    expect(status).toMatchObject({ actualReplicas: 3, healthyProviders: 3 })
    // and its question was called off, not left hanging
    expect(spy.aborted).toEqual(['getValueFromPeer'])
    const providers = await m.findProviders('/test/silent')
    expect(providers.map(p => p.peerId)).not.toContain(silent)
  })

  it('asks the peers that announced the key, beyond the closest ones', async () => {
    cluster = await mockCluster(8, 3)
    const key = '/test/announced'
    const byDistance = [...cluster.nodes].sort((a, b) => xorDistance(key, a.peerId) < xorDistance(key, b.peerId) ? -1 : 1)
    // the farthest node holds a copy (its own put) and announces it
    const far = byDistance[7]
    await far.putValue(key, bytes('a'))
    await far.provide(key)
    const watcher = byDistance[6]
    // one closest peer and one announced provider are asked, besides this node
    const m = manage(watcher, { enableAutoReplication: false, enableReprovide: false, maxProvidersPerKey: 1 })
    await m.start()
    const status = await m.addContent(key, 1)
    expect(status.replicationNodes).toContain(far.peerId)
    expect(status.replicationNodes).toContain(byDistance[0].peerId)
  })
})

describe('provider records over several measurements', () => {
  it('keeps addedAt, moves lastSeen, and computes quality over the last qualityWindow checks', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/q', bytes('q'))
    const flaky = put.peers[0]
    let now = 1_000
    const m = replicationManager({ enableAutoReplication: false, qualityWindow: 2 })({ dht: writer, clock: { now: () => now } })
    managers.push(m)
    await m.start()
    await m.addContent('/test/q', 1)
    const info = async (): Promise<{ addedAt: number, lastSeen: number, quality: number }> => (await m.findProviders('/test/q')).find(p => p.peerId === flaky)!
    expect(await info()).toMatchObject({ addedAt: 1_000, lastSeen: 1_000, quality: 1 })

    now = 2_000
    await cluster.byId(flaky).stop()
    await m.checkReplication('/test/q')
    // [yes, no]
    expect(await info()).toMatchObject({ addedAt: 1_000, lastSeen: 1_000, quality: 0.5 })
    now = 3_000
    await m.checkReplication('/test/q')
    // [no, no]: the first yes left the window of 2
    expect(await info()).toMatchObject({ addedAt: 1_000, lastSeen: 1_000, quality: 0 })

    now = 4_000
    await cluster.byId(flaky).start()
    const back = await m.checkReplication('/test/q')
    // [no, yes]: a replica again, and reliable enough (quality 0.5) to be a healthy provider
    expect(await info()).toMatchObject({ addedAt: 1_000, lastSeen: 4_000, quality: 0.5 })
    expect(back.replicationNodes).toContain(flaky)
    expect(back.healthyProviders).toBe(back.actualReplicas)
  })

  it('does not count a replica whose quality is below 0.5 as a healthy provider', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/hp', bytes('h'))
    const flaky = put.peers[0]
    const m = manage(writer, { enableAutoReplication: false, qualityWindow: 3 })
    await m.start()
    await m.addContent('/test/hp', 1)
    await cluster.byId(flaky).stop()
    await m.checkReplication('/test/hp')
    await m.checkReplication('/test/hp')
    await cluster.byId(flaky).start()
    // [no, no, yes]: it holds the key now, with quality 1/3
    const status = await m.checkReplication('/test/hp')
    expect(status.replicationNodes).toContain(flaky)
    expect(status.actualReplicas).toBe(4)
    expect(status.healthyProviders).toBe(3)
  })
})

describe('concurrency', () => {
  it('many checks in flight print no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error): void => { warnings.push(w) }
    process.on('warning', onWarning)
    try {
      cluster = await mockCluster(6, 3)
      const [writer] = cluster.nodes
      const keys = Array.from({ length: 30 }, (_, i) => `/test/many-${i}`)
      for (const k of keys) await writer.putValue(k, bytes(k))
      const m = manage(writer)
      await m.start()
      const statuses = await Promise.all(keys.map(async (k) => m.addContent(k, 1)))
      expect(statuses.every((s) => s.health === 'healthy')).toBe(true)
      // warnings are emitted on the next tick
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('repair', () => {
  it('re-puts a degraded key onto the remaining peers until healthy and counts it', async () => {
    cluster = await mockCluster(10, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/r', bytes('r'))
    const spy = spyDHT(writer)
    const m = manage(spy)
    await m.start()
    await m.addContent('/test/r', 1)
    for (const p of put.peers) await cluster.byId(p).stop()

    const measured = await m.checkReplication('/test/r')
    expect(measured).toMatchObject({ health: 'degraded', actualReplicas: 1, replicationNodes: [writer.peerId] })

    await vi.waitFor(() => { expect(m.getReplicationStatus('/test/r').health).toBe('healthy') }, { timeout: 10_000 })
    const healed = m.getReplicationStatus('/test/r')
    expect(healed.actualReplicas).toBeGreaterThanOrEqual(3)
    expect(healed.replicationNodes.some(p => put.peers.includes(p))).toBe(false)
    expect(healed.replicationNodes.every(p => cluster!.network.isReachable(p))).toBe(true)
    expect(spy.puts).toEqual(['/test/r'])
    const metrics = m.getMetrics()
    expect(metrics.repairs).toBe(1)
    // the announcement of addContent and the repair
    expect(metrics.successfulReplications).toBe(2)
    expect(metrics.failedReplications).toBe(0)
    expect(metrics.healthyKeys).toBe(1)
  })

  it('fetches the copy from the network when this node holds none', async () => {
    cluster = await mockCluster(10, 3)
    const [writer, watcher] = cluster.nodes
    const put = await writer.putValue('/test/n', bytes('n'))
    const m = manage(watcher)
    await m.start()
    const first = await m.addContent('/test/n', 1)
    // stop every holder but the writer (and keep the watcher running)
    for (const p of first.replicationNodes) if (p !== writer.peerId && p !== watcher.peerId) await cluster.byId(p).stop()
    await m.checkReplication('/test/n')
    await vi.waitFor(() => { expect(m.getReplicationStatus('/test/n').health).toBe('healthy') }, { timeout: 10_000 })
    expect(m.getMetrics().repairs).toBe(1)
    expect(put.peers.length).toBe(3)
  })

  it('repairContent repairs on demand even with auto-replication off', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/manual', bytes('m'))
    const m = manage(writer, { enableAutoReplication: false })
    await m.start()
    await m.addContent('/test/manual', 1)
    for (const p of put.peers) await cluster.byId(p).stop()
    expect((await m.checkReplication('/test/manual')).health).toBe('degraded')
    const repaired = await m.repairContent('/test/manual')
    expect(repaired.health).toBe('healthy')
    expect(m.getMetrics().repairs).toBe(1)
  })

  it('does not run a background repair beside a repairContent of the same key', async () => {
    // time stands still: the background repair timer fires when the test advances it
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/once', bytes('o'))
    const spy = spyDHT(writer)
    const m = manage(spy)
    await m.start()
    await m.addContent('/test/once', 1)
    for (const p of put.peers) await cluster.byId(p).stop()
    // the measurement finds the key degraded and arms a background repair due now
    expect((await m.checkReplication('/test/once')).health).toBe('degraded')
    expect(spy.puts).toEqual([])
    // hold the manual repair at its announcement
    const g = gate()
    spy.gate = g
    const manual = m.repairContent('/test/once')
    // the background repair's timer comes due while the manual repair is held
    await settle()
    expect(g.waiting.map(w => w.key)).toEqual(['/test/once'])
    expect(spy.puts).toEqual(['/test/once'])
    spy.gate = undefined
    g.releaseAll()
    expect((await manual).health).toBe('healthy')
    await settle()
    expect(spy.puts).toEqual(['/test/once'])
    expect(m.getMetrics().repairs).toBe(1)
  })

  it('without a repairContent in flight, the same degraded key is repaired in the background', async () => {
    // the control of the test above: the background repair does run when the key is free
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/bg', bytes('b'))
    const spy = spyDHT(writer)
    const m = manage(spy)
    await m.start()
    await m.addContent('/test/bg', 1)
    for (const p of put.peers) await cluster.byId(p).stop()
    expect((await m.checkReplication('/test/bg')).health).toBe('degraded')
    expect(spy.puts).toEqual([])
    await settle()
    expect(spy.puts).toEqual(['/test/bg'])
    expect(m.getReplicationStatus('/test/bg').health).toBe('healthy')
    expect(m.getMetrics().repairs).toBe(1)
  })

  it('re-puts the newest version, not a stale local copy', async () => {
    cluster = await mockCluster(8, 3)
    const key = '/ver/doc'
    // by distance to the key: the 3 closest take every put; the two farthest write
    const byDistance = [...cluster.nodes].sort((a, b) => xorDistance(key, a.peerId) < xorDistance(key, b.peerId) ? -1 : 1)
    const closest = byDistance.slice(0, 3)
    const writer = byDistance[7]
    const updater = byDistance[6]
    await writer.putValue(key, new Uint8Array([1]))
    await updater.putValue(key, new Uint8Array([2]))
    expect(await writer.getValueFromPeer(writer.peerId, key)).toEqual(new Uint8Array([1]))

    const m = manage(writer, { enableAutoReplication: false })
    await m.start()
    expect((await m.addContent(key, 1)).actualReplicas).toBe(5)
    for (const n of closest) await n.stop()
    expect((await m.checkReplication(key)).health).toBe('degraded')
    expect((await m.repairContent(key)).health).toBe('healthy')
    const running = cluster.nodes.filter(n => n.status === 'started')
    for (const n of running) {
      const copy = await writer.getValueFromPeer(n.peerId, key)
      if (copy !== undefined) expect([n.peerId, copy]).toEqual([n.peerId, new Uint8Array([2])])
    }
  })

  it('repairContent rejects with NotFoundError when no copy is reachable', async () => {
    cluster = await mockCluster(4, 3)
    const m = manage(cluster.nodes[0], { enableAutoReplication: false })
    await m.start()
    await m.addContent('/test/gone', 1)
    await expect(m.repairContent('/test/gone')).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(m.getMetrics()).toMatchObject({ repairs: 0, failedReplications: 1 })
  })
})

describe('providers', () => {
  it('reports quality from recent checks and the XOR distance', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/p', bytes('p'))
    const m = manage(writer, { enableAutoReplication: false })
    await m.start()
    await m.addContent('/test/p', 1)
    const gone = put.peers[0]
    await cluster.byId(gone).stop()
    await m.checkReplication('/test/p')

    const providers = await m.findProviders('/test/p')
    expect(providers.map(p => p.peerId).sort()).toEqual([writer.peerId, ...put.peers].sort())
    const stale = providers.find(p => p.peerId === gone)!
    expect(stale.quality).toBe(0.5)
    expect(providers[providers.length - 1].peerId).toBe(gone)
    for (const p of providers) {
      expect(p.distance).toMatch(/^[0-9a-f]{64}$/)
      expect(p.distance).toBe(xorDistance('/test/p', p.peerId))
      expect(p.addedAt).toBeGreaterThan(0)
      if (p.peerId !== gone) expect(p.quality).toBe(1)
      expect(p.lastSeen).toBeGreaterThanOrEqual(p.addedAt)
    }
    expect(stale.lastSeen).toBeLessThan(providers[0].lastSeen + 1)
    expect(await m.findProviders('/test/p', 2)).toHaveLength(2)
    expect(m.getReplicationStatus('/test/p').healthyProviders).toBe(3)
  })

  it('answers for untracked keys from the DHT without tracking them', async () => {
    cluster = await mockCluster(5, 3)
    const [a, b] = cluster.nodes
    await a.provide('/test/untracked')
    const m = manage(b)
    await m.start()
    const providers = await m.findProviders('/test/untracked')
    expect(providers).toEqual([expect.objectContaining({ peerId: a.peerId, quality: 0.5, lastSeen: 0 })])
    expect(m.getMetrics().totalKeys).toBe(0)
  })
})

describe('content lifecycle', () => {
  it('tracks, updates and forgets content; metrics census follows', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/1', bytes('1'))
    await writer.putValue('/test/2', bytes('2'))
    const m = manage(writer, { enableAutoReplication: false, replicationFactor: 4 })
    await m.start()
    await m.addContent('/test/1', 10, 1)
    await m.addContent('/test/2', 20, 2)
    await m.addContent('/test/none', 30, 3)
    expect(m.listContent().map(s => s.key)).toEqual(['/test/none', '/test/2', '/test/1'])
    expect(m.getMetrics()).toMatchObject({ totalKeys: 3, healthyKeys: 2, degradedKeys: 0, criticalKeys: 1, totalProviders: 8, averageReplication: 8 / 3 })

    const updated = await m.addContent('/test/1', 11, 9)
    expect(updated).toMatchObject({ size: 11, priority: 9 })
    m.removeContent('/test/none')
    expect(() => m.getReplicationStatus('/test/none')).toThrow(expect.objectContaining({ name: 'NotFoundError' }))
    expect(m.getMetrics()).toMatchObject({ totalKeys: 2, criticalKeys: 0, healthyKeys: 2 })
  })

  it('provideContent announces the key to the network', async () => {
    cluster = await mockCluster(5, 3)
    const [writer, other] = cluster.nodes
    await writer.putValue('/test/ann', bytes('x'))
    const m = manage(writer, { enableReprovide: false })
    await m.start()
    await m.addContent('/test/ann', 1)
    expect(await other.findProviders('/test/ann')).toEqual([])
    await m.provideContent('/test/ann')
    expect((await other.findProviders('/test/ann')).map(p => p.id)).toEqual([writer.peerId])
    expect(m.getMetrics().successfulReplications).toBe(1)
  })
})

describe('errors', () => {
  it('names bad arguments, unknown keys and a stopped manager', async () => {
    cluster = await mockCluster(2, 3)
    const m = manage(cluster.nodes[0])
    await expect(m.addContent('/test/x', 1)).rejects.toMatchObject({ name: 'NotStartedError' })
    await m.start()
    await expect(m.addContent('', 1)).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('key') })
    await expect(m.addContent('/test/x', -1)).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('size') })
    await expect(m.addContent('/test/x', 1, Number.NaN)).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('priority') })
    await expect(m.findProviders('/test/x', 0)).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('limit') })
    expect(() => m.getReplicationStatus('/test/unknown')).toThrow(expect.objectContaining({ name: 'NotFoundError' }))
    expect(() => m.removeContent('/test/unknown')).toThrow(expect.objectContaining({ name: 'NotFoundError' }))
    await expect(m.checkReplication('/test/unknown')).rejects.toMatchObject({ name: 'NotFoundError' })
    await expect(m.provideContent('/test/unknown')).rejects.toMatchObject({ name: 'NotFoundError' })
    await expect(m.repairContent('/test/unknown')).rejects.toMatchObject({ name: 'NotFoundError' })
    await m.addContent('/test/x', 1)
    await m.stop()
    await expect(m.checkReplication('/test/x')).rejects.toMatchObject({ name: 'NotStartedError' })
    // synchronous reads still work when stopped
    expect(m.getReplicationStatus('/test/x').key).toBe('/test/x')
  })

  it('refuses out-of-range options', () => {
    const dht = { peerId: 'x' } as unknown as DHT
    expect(() => replicationManager({ replicationFactor: 0 })({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('replicationFactor') }))
    expect(() => replicationManager({ reprovideInterval: -5 })({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => replicationManager({ checkInterval: 2 ** 40 })({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('checkInterval') }))
    expect(() => replicationManager({ maxConcurrentReplications: 1.5 })({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => replicationManager({ repairBackoff: 10, maxRepairBackoff: 5 })({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => replicationManager()({} as any)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('dht') }))
  })

  it('keeps the last measurement when its own DHT cannot answer', async () => {
    cluster = await mockCluster(5, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/own', bytes('o'))
    const m = manage(writer, { enableAutoReplication: false })
    await m.start()
    const before = await m.addContent('/test/own', 1)
    await writer.stop()
    const err = await m.checkReplication('/test/own').then(() => undefined, (e: unknown) => e as Error)
    expect(err).toMatchObject({ name: 'BackendUnavailableError' })
    expect(err?.message).toMatch(/^cannot measure \/test\/own: this node's DHT did not answer \(NotStartedError: .+\)$/)
    expect((err?.cause as Error | undefined)?.name).toBe('NotStartedError')
    expect(m.getReplicationStatus('/test/own')).toEqual(before)
  })

  it('rejects with AbortError for an aborted signal', async () => {
    cluster = await mockCluster(3, 3)
    const m = manage(cluster.nodes[0])
    await m.start()
    await m.addContent('/test/x', 1)
    const controller = new AbortController()
    controller.abort()
    await expect(m.checkReplication('/test/x', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
  })
})
