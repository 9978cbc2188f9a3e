import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { replicationManager } from '../src/index.js'
import { bytes, mockCluster } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import type { ReplicationManager } from '../src/index.js'
import type { DHT, GetValueOptions } from '@chorus-dht/types'

// Repair scheduling under controlled time (fake timers and Date).
let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0)
}

/** Records the options of every getValue call made through it. */
function recordGets (dht: DHT): { dht: DHT, gets: Array<{ key: string, quorum?: number }> } {
  const gets: Array<{ key: string, quorum?: number }> = []
  const proxy = new Proxy(dht, {
    get (target, prop, receiver) {
      if (prop === 'getValue') {
        return async (key: string, options: GetValueOptions = {}) => {
          gets.push({ key, quorum: options.quorum })
          return target.getValue(key, options)
        }
      }
      const v = Reflect.get(target, prop, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
  return { dht: proxy, gets }
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

describe('repair scheduling', () => {
  it('the back-off doubles per failed attempt and stops at maxRepairBackoff', async () => {
    cluster = await mockCluster(4, 3)
    const m = replicationManager({ repairBackoff: 1_000, maxRepairBackoff: 3_000, repairRateLimit: 100 })({ dht: cluster.nodes[0] })
    managers.push(m)
    await m.start()
    // no copy anywhere: every attempt fails
    expect((await m.addContent('/test/none', 1)).health).toBe('critical')
    await settle()
    const failures = (): number => m.getMetrics().failedReplications
    expect(failures()).toBe(1)
    // waits: 1000, 2000, then 3000 (capped, not 4000), 3000
    for (const [wait, expected] of [[1_000, 2], [2_000, 3], [3_000, 4], [3_000, 5]]) {
      await vi.advanceTimersByTimeAsync(wait - 1)
      expect(failures()).toBe(expected - 1)
      await vi.advanceTimersByTimeAsync(1)
      await settle()
      expect(failures()).toBe(expected)
    }
  })

  it('asks for the best copy with a quorum of the replicas last measured, at least 1', async () => {
    cluster = await mockCluster(8, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/q', bytes('q'))
    const { dht, gets } = recordGets(writer)
    const m = replicationManager({ replicationFactor: 6, repairBackoff: 600_000, maxRepairBackoff: 600_000 })({ dht })
    managers.push(m)
    await m.start()
    // 4 copies (the writer's and 3 peers'), short of 6: a repair follows at once
    expect((await m.addContent('/test/q', 1)).actualReplicas).toBe(1 + put.peers.length)
    await settle()
    expect(gets).toEqual([{ key: '/test/q', quorum: 1 + put.peers.length }])

    const none = replicationManager({ repairBackoff: 600_000, maxRepairBackoff: 600_000 })({ dht })
    managers.push(none)
    await none.start()
    gets.length = 0
    expect((await none.addContent('/test/nothing', 1)).actualReplicas).toBe(0)
    await settle()
    expect(gets).toEqual([{ key: '/test/nothing', quorum: 1 }])
  })

  it('a key removed while its repair waits is not repaired', async () => {
    cluster = await mockCluster(4, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/rm', bytes('r'))
    const { dht, gets } = recordGets(writer)
    const m = replicationManager({ replicationFactor: 6, repairRateLimit: 1, repairRateInterval: 60_000, repairBackoff: 600_000, maxRepairBackoff: 600_000 })({ dht })
    managers.push(m)
    await m.start()
    await writer.putValue('/test/first', bytes('f'))
    await m.addContent('/test/first', 1, 9)
    await settle()
    // the rate limit (1 per minute) is used up by /test/first: /test/rm waits
    await m.addContent('/test/rm', 1, 1)
    await settle()
    expect(gets.map(g => g.key)).toEqual(['/test/first'])
    m.removeContent('/test/rm')
    await vi.advanceTimersByTimeAsync(60_000)
    await settle()
    expect(gets.map(g => g.key)).toEqual(['/test/first'])
    expect(m.getMetrics().repairs).toBe(1)
  })

  it('the rate limit is a sliding window: a slot frees one interval after its own start', async () => {
    cluster = await mockCluster(4, 3)
    const [writer] = cluster.nodes
    const { dht, gets } = recordGets(writer)
    const m = replicationManager({ replicationFactor: 6, repairRateLimit: 2, repairRateInterval: 60_000, repairBackoff: 600_000, maxRepairBackoff: 600_000 })({ dht })
    managers.push(m)
    await m.start()
    await writer.putValue('/test/w0', bytes('0'))
    await m.addContent('/test/w0', 1, 3)
    await settle()
    await vi.advanceTimersByTimeAsync(30_000)
    for (const k of ['/test/w1', '/test/w2']) {
      await writer.putValue(k, bytes(k))
      await m.addContent(k, 1, k === '/test/w1' ? 2 : 1)
    }
    await settle()
    // w0 at 0 s, w1 at 30 s; w2 waits for the slot of w0, free at 60 s (a fixed window from 0 s would free
    // both slots at 60 s and start w3 then too)
    expect(gets.map(g => g.key)).toEqual(['/test/w0', '/test/w1'])
    await writer.putValue('/test/w3', bytes('3'))
    await m.addContent('/test/w3', 1, 0)
    await vi.advanceTimersByTimeAsync(30_000 - 1)
    expect(gets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(gets.map(g => g.key)).toEqual(['/test/w0', '/test/w1', '/test/w2'])
    // w3 waits for w1's slot: 90 s
    await vi.advanceTimersByTimeAsync(30_000 - 1)
    expect(gets).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(gets.map(g => g.key)).toEqual(['/test/w0', '/test/w1', '/test/w2', '/test/w3'])
  })

  it('with auto-replication off, an unhealthy key is never repaired in the background', async () => {
    cluster = await mockCluster(4, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/off', bytes('o'))
    const { dht, gets } = recordGets(writer)
    const m = replicationManager({ replicationFactor: 6, enableAutoReplication: false, checkInterval: 1_000 })({ dht })
    managers.push(m)
    await m.start()
    expect((await m.addContent('/test/off', 1)).health).toBe('degraded')
    await vi.advanceTimersByTimeAsync(10_000)
    await settle()
    expect(gets).toEqual([])
    expect(m.getMetrics()).toMatchObject({ repairs: 0, failedReplications: 0 })
  })

  it('a healthy measurement resets the back-off: the next failure waits repairBackoff again', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/reset', bytes('r'))
    const holders = [writer.peerId, ...put.peers]
    const watcher = cluster.nodes.find(n => !holders.includes(n.peerId))!
    const m = replicationManager({ repairBackoff: 1_000, maxRepairBackoff: 8_000 })({ dht: watcher })
    managers.push(m)
    await m.start()
    expect((await m.addContent('/test/reset', 1)).health).toBe('healthy')
    for (const p of holders) await cluster.byId(p).stop()
    await m.checkReplication('/test/reset')
    await settle()
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(m.getMetrics().failedReplications).toBe(2)
    // a copy comes back and the next attempt (in 2 s) heals the key
    await cluster.byId(writer.peerId).start()
    await vi.advanceTimersByTimeAsync(2_000)
    await settle()
    expect(m.getReplicationStatus('/test/reset').health).toBe('healthy')
    // it loses its copies again: the first retry waits 1 s, not 4 s
    for (const p of m.getReplicationStatus('/test/reset').replicationNodes) {
      if (p !== watcher.peerId) await cluster.byId(p).stop()
    }
    await watcher.removeLocal('/test/reset', bytes('r'))
    expect((await m.checkReplication('/test/reset')).health).toBe('critical')
    await settle()
    const failed = m.getMetrics().failedReplications
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(m.getMetrics().failedReplications).toBe(failed + 1)
  })
})
