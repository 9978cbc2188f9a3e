import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_CLEANUP_INTERVAL, DEFAULT_PROVIDER_TTL, DEFAULT_REPAIR_BACKOFF, DEFAULT_REPROVIDE_INTERVAL, replicationManager } from '../src/index.js'
import { bytes, gate, mockCluster, spyDHT } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import type { ReplicationManager } from '../src/index.js'

// Background loops under controlled time: nothing here waits for real time.
let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

/** Runs timers due now and lets the promise chains they start finish. */
async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0)
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  await cluster?.stopAll()
  cluster = undefined
  vi.useRealTimers()
})

describe('reprovide loop', () => {
  it('re-announces every tracked key each reprovideInterval and stops announcing removed keys', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/keep', bytes('k'))
    await writer.putValue('/test/drop', bytes('d'))
    const spy = spyDHT(writer)
    const m = replicationManager()({ dht: spy })
    managers.push(m)
    await m.start()
    await m.addContent('/test/keep', 1, 1)
    await m.addContent('/test/drop', 1, 2)
    expect(spy.provided).toEqual(['/test/keep', '/test/drop'])
    spy.provided.length = 0

    await vi.advanceTimersByTimeAsync(DEFAULT_REPROVIDE_INTERVAL - 1)
    expect(spy.provided).toEqual([])
    expect(m.getMetrics()).toMatchObject({ reprovideOperations: 0, lastReprovideTime: 0 })

    await vi.advanceTimersByTimeAsync(1)
    await settle()
    // higher priority first
    expect(spy.provided).toEqual(['/test/drop', '/test/keep'])
    expect(m.getMetrics()).toMatchObject({ reprovideOperations: 2, lastReprovideTime: Date.now() })

    m.removeContent('/test/drop')
    spy.provided.length = 0
    await vi.advanceTimersByTimeAsync(DEFAULT_REPROVIDE_INTERVAL)
    await settle()
    expect(spy.provided).toEqual(['/test/keep'])
    expect(m.getMetrics()).toMatchObject({ reprovideOperations: 3, successfulReplications: 5, failedReplications: 0 })
  })

  it('announces nothing with enableReprovide off', async () => {
    cluster = await mockCluster(4, 3)
    const spy = spyDHT(cluster.nodes[0])
    await spy.putValue('/test/q', bytes('q'))
    const m = replicationManager({ enableReprovide: false })({ dht: spy })
    managers.push(m)
    await m.start()
    await m.addContent('/test/q', 1)
    await vi.advanceTimersByTimeAsync(2 * DEFAULT_REPROVIDE_INTERVAL)
    expect(spy.provided).toEqual([])
    expect(m.getMetrics().reprovideOperations).toBe(0)
  })

  it('runs at most maxConcurrentReplications at once, highest priority first', async () => {
    cluster = await mockCluster(4, 3)
    const spy = spyDHT(cluster.nodes[0])
    const m = replicationManager({ maxConcurrentReplications: 2, reprovideInterval: 1_000, enableAutoReplication: false })({ dht: spy })
    managers.push(m)
    await m.start()
    for (let p = 1; p <= 5; p++) await m.addContent(`/test/c${p}`, 1, p)
    await m.addContent('/test/urgent', 1, 100)
    spy.provided.length = 0

    const g = gate()
    spy.gate = g
    await vi.advanceTimersByTimeAsync(1_000)
    expect(g.waiting.map(w => w.key)).toEqual(['/test/urgent', '/test/c5'])
    // an explicit announcement of a high-priority key overtakes the waiting low-priority ones
    const explicit = m.provideContent('/test/c4')
    m.removeContent('/test/c1')
    while (spy.provided.length < 5) {
      const next = g.waiting.shift()!
      next.release()
      await settle()
      expect(g.waiting.length).toBeLessThanOrEqual(2)
    }
    spy.gate = undefined
    g.releaseAll()
    await settle()
    await explicit
    expect(g.maxInFlight).toBe(2)
    // /test/c4 (explicit, priority 4) is queued twice: once by the loop, once by provideContent
    expect(spy.provided).toEqual(['/test/urgent', '/test/c5', '/test/c4', '/test/c4', '/test/c3', '/test/c2'])
  })
})

describe('cleanup loop', () => {
  it('drops provider records unconfirmed for providerTTL at the next cleanup', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/ttl', bytes('t'))
    const m = replicationManager({ enableAutoReplication: false })({ dht: writer })
    managers.push(m)
    await m.start()
    await m.addContent('/test/ttl', 1)
    expect(m.getMetrics().totalProviders).toBe(4)
    const gone = put.peers[0]
    await cluster.byId(gone).stop()

    await vi.advanceTimersByTimeAsync(DEFAULT_CLEANUP_INTERVAL)
    expect(m.getMetrics().lastCleanupTime).toBe(Date.now())
    // still within the TTL: kept, but its quality falls with every failed check
    const early = await m.findProviders('/test/ttl')
    expect(early.map(p => p.peerId)).toContain(gone)
    expect(early.find(p => p.peerId === gone)!.quality).toBeLessThan(0.5)

    await vi.advanceTimersByTimeAsync(DEFAULT_PROVIDER_TTL - DEFAULT_CLEANUP_INTERVAL)
    expect(m.getMetrics().totalProviders).toBe(4)
    await vi.advanceTimersByTimeAsync(DEFAULT_CLEANUP_INTERVAL)
    expect(m.getMetrics().totalProviders).toBe(3)
    expect((await m.findProviders('/test/ttl')).map(p => p.peerId)).not.toContain(gone)
    expect(m.getReplicationStatus('/test/ttl').actualReplicas).toBe(3)
  })
})

describe('check loop and repair scheduling', () => {
  it('measures every checkInterval and notices stopped holders', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/watch', bytes('w'))
    const m = replicationManager({ checkInterval: 60_000, enableAutoReplication: false, replicationFactor: 4 })({ dht: writer })
    managers.push(m)
    await m.start()
    const first = await m.addContent('/test/watch', 1)
    expect(first.health).toBe('healthy')
    await cluster.byId(put.peers[0]).stop()
    await vi.advanceTimersByTimeAsync(59_999)
    expect(m.getReplicationStatus('/test/watch').health).toBe('healthy')
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(m.getReplicationStatus('/test/watch')).toMatchObject({ health: 'degraded', actualReplicas: 3, lastChecked: Date.now() })
  })

  it('backs off while no copy is reachable, then repairs once one is back', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/back', bytes('b'))
    const holders = [writer.peerId, ...put.peers]
    const watcher = cluster.nodes.find(n => !holders.includes(n.peerId))!
    const m = replicationManager()({ dht: watcher })
    managers.push(m)
    await m.start()
    expect((await m.addContent('/test/back', 1)).health).toBe('healthy')
    for (const p of holders) await cluster.byId(p).stop()

    expect((await m.checkReplication('/test/back')).health).toBe('critical')
    await settle()
    // attempt 1 right away: nothing to copy from
    expect(m.getMetrics()).toMatchObject({ repairs: 0, failedReplications: 1 })
    await vi.advanceTimersByTimeAsync(DEFAULT_REPAIR_BACKOFF - 1)
    expect(m.getMetrics().failedReplications).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(m.getMetrics().failedReplications).toBe(2)
    // the wait doubles
    await vi.advanceTimersByTimeAsync(2 * DEFAULT_REPAIR_BACKOFF - 1)
    expect(m.getMetrics().failedReplications).toBe(2)

    await cluster.byId(writer.peerId).start()
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    const status = m.getReplicationStatus('/test/back')
    expect(status.health).toBe('healthy')
    expect(status.replicationNodes).toContain(watcher.peerId)
    expect(m.getMetrics()).toMatchObject({ repairs: 1, failedReplications: 2, healthyKeys: 1 })
  })

  it('keeps to the repair rate limit across keys', async () => {
    // 4 nodes can never hold 6 replicas: every repair attempt leaves the key degraded
    cluster = await mockCluster(4, 3)
    const [writer] = cluster.nodes
    const m = replicationManager({ replicationFactor: 6, repairRateLimit: 2, repairRateInterval: 60_000, repairBackoff: 600_000, maxRepairBackoff: 600_000 })({ dht: writer })
    managers.push(m)
    await m.start()
    for (let i = 0; i < 4; i++) {
      await writer.putValue(`/test/rl${i}`, bytes(String(i)))
      expect((await m.addContent(`/test/rl${i}`, 1, i)).health).toBe('degraded')
    }
    await settle()
    expect(m.getMetrics().repairs).toBe(2)
    await vi.advanceTimersByTimeAsync(59_999)
    expect(m.getMetrics().repairs).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(m.getMetrics().repairs).toBe(4)
    expect(m.getMetrics()).toMatchObject({ degradedKeys: 4, failedReplications: 0 })
  })
})

describe('lifecycle', () => {
  it('leaves no timer behind after stop, even with work in flight', async () => {
    cluster = await mockCluster(4, 3)
    const spy = spyDHT(cluster.nodes[0])
    await spy.putValue('/test/s', bytes('s'))
    const m = replicationManager({ reprovideInterval: 1_000 })({ dht: spy })
    await m.stop() // safe before start
    await m.start()
    await m.start() // idempotent
    await m.addContent('/test/s', 1)
    spy.hang = true
    await vi.advanceTimersByTimeAsync(1_000)
    const pending = m.checkReplication('/test/s')
    pending.catch(() => {})
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    await m.stop()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(m.status).toBe('stopped')
    expect(vi.getTimerCount()).toBe(0)
    await m.stop()
  })

  it('times out with TimeoutError when the DHT does not answer', async () => {
    cluster = await mockCluster(3, 3)
    const spy = spyDHT(cluster.nodes[0])
    const m = replicationManager({ operationTimeout: 5_000 })({ dht: spy })
    managers.push(m)
    await m.start()
    await m.addContent('/test/t', 1)
    spy.hang = true
    const p = m.checkReplication('/test/t')
    const assertion = expect(p).rejects.toMatchObject({ name: 'TimeoutError' })
    await vi.advanceTimersByTimeAsync(5_000)
    await assertion
  })
})
