import { createTestNetwork, evictFromRoutingTable, waitForBackgroundPuts } from '@chorus-dht/dht-core/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { replicationManager } from '../src/index.js'
import { bytes, spyDHT } from './fixtures/mock.js'
import type { ReplicationManager } from '../src/index.js'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'

// 12 dht-core nodes over the libp2p memory transport. A bucket size of 3
// makes a put reach the 3 closest peers (4 copies with the writer's own),
// as in a network much larger than the replication factor.
const NODES = 12
let net: TestNetwork
let managers: ReplicationManager[] = []

/** Waits for a condition, polling, with a deadline (never a fixed sleep). */
async function until (cond: () => boolean | Promise<boolean>, what: string, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

const running = (): ChorusDHT[] => net.nodes.filter(n => n.isStarted())
const node = (id: string): ChorusDHT => net.nodes.find(n => n.peerId === id)!

/**
 * Stops nodes and drops them from the survivors' routing tables. js kad-dht
 * only evicts a dead contact when its bucket overflows, so in a 12-node
 * network the survivors would keep looking the dead peers up; a long-lived
 * network learns the same thing over time.
 */
async function stopNodes (ids: string[]): Promise<void> {
  for (const id of ids) await node(id).stop()
  for (const n of running()) {
    for (const id of ids) await evictFromRoutingTable(n, id)
  }
}

/**
 * Which running nodes hold `key`, asked by an independent node. With a
 * bucket size of 3 the asker may never have learnt some peer's address (a
 * dial to a bare peer id waits for a peer lookup until the request times
 * out), so it is told every address first, as an operator's probe would be.
 */
async function holdersOf (key: string, asker: ChorusDHT): Promise<string[]> {
  const out: string[] = []
  for (const n of running()) {
    if (n !== asker) await asker.libp2p.peerStore.merge(n.libp2p.peerId, { multiaddrs: n.libp2p.getMultiaddrs() })
    if (await asker.getValueFromPeer(n.peerId, key) !== undefined) out.push(n.peerId)
  }
  return out.sort()
}

beforeAll(async () => {
  net = await createTestNetwork(NODES, {
    validators: { CHORUS: () => {} },
    selectors: { CHORUS: () => 0 },
    kadDHT: { kBucketSize: 3 }
  }, { minRoutingTableSize: 3 })
})

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  vi.useRealTimers()
})

afterAll(async () => {
  await net?.stop()
})

describe(`replication on ${NODES} dht-core nodes`, () => {
  it('measures a healthy key, sees it degrade when holders stop, and repairs it on the remaining peers', async () => {
    const key = '/CHORUS/replication/repair'
    const writer = net.nodes[0]
    const put = await writer.putValue(key, bytes('repair me'))
    // the put is acknowledged by at least 2 of the 3 closest (kad-dht's closest
    // set of 3 sometimes holds the writer): with the writer's copy the key is
    // healthy (target 3)
    expect(put.remotePeers).toBeGreaterThanOrEqual(2)
    // every copy the put makes is made (the rest of the closest in the background)
    await waitForBackgroundPuts(writer)
    const asker = running().find(n => n.peerId !== writer.peerId)!
    const copies = await holdersOf(key, asker)

    const m = replicationManager({ repairBackoff: 200, maxRepairBackoff: 2_000 })({ dht: writer })
    managers.push(m)
    await m.start()
    const first = await m.addContent(key, 9, 1)
    expect(first).toMatchObject({ health: 'healthy', targetReplicas: 3 })
    // the holders measured (among the closest) are the writer and peers that
    // hold the record (a put may also leave copies outside the closest set)
    const holders = [...first.replicationNodes].sort()
    expect(holders).toContain(writer.peerId)
    expect(first.actualReplicas).toBe(holders.length)
    for (const id of holders) expect(copies).toContain(id)
    const kept = holders.find(id => id !== writer.peerId)!

    // leave two copies (the writer's and one measured holder's): every other
    // node holding one stops
    const victims = copies.filter(id => id !== writer.peerId && id !== kept)
    await stopNodes(victims)
    // measure without letting the repair run first
    const degraded = await replicationManager({ enableAutoReplication: false })({ dht: writer })
    managers.push(degraded)
    await degraded.start()
    const measured = await degraded.addContent(key, 9)
    expect(measured).toMatchObject({ health: 'degraded', actualReplicas: 2 })
    expect([...measured.replicationNodes].sort()).toEqual([writer.peerId, kept].sort())

    expect((await m.checkReplication(key)).health).toBe('degraded')
    await until(() => m.getReplicationStatus(key).health === 'healthy', 'the repair')
    const healed = m.getReplicationStatus(key)
    expect(healed.actualReplicas).toBeGreaterThanOrEqual(3)
    expect(healed.replicationNodes.some(p => victims.includes(p))).toBe(false)
    // an independent node sees a copy on every holder measured
    const seen = await holdersOf(key, running().find(n => n.peerId !== writer.peerId)!)
    for (const id of healed.replicationNodes) expect(seen).toContain(id)

    const metrics = m.getMetrics()
    expect(metrics.repairs).toBeGreaterThanOrEqual(1)
    // the first announcement plus one per repair
    expect(metrics.successfulReplications).toBe(1 + metrics.repairs)
    expect(metrics).toMatchObject({ failedReplications: 0, healthyKeys: 1, degradedKeys: 0, criticalKeys: 0, totalKeys: 1 })
  })

  it('turns critical when every holder stops, and does not count a repair without a copy', async () => {
    const key = '/CHORUS/replication/critical'
    const writer = running()[1]
    await writer.putValue(key, bytes('gone soon'))
    await waitForBackgroundPuts(writer)
    const copies = await holdersOf(key, running().find(n => n.peerId !== writer.peerId)!)
    const watcher = running().find(n => !copies.includes(n.peerId))!
    const m = replicationManager({ repairBackoff: 60_000 })({ dht: watcher })
    managers.push(m)
    await m.start()
    // the premise is a key with replicas, whichever peers the measurement found
    const first = await m.addContent(key, 9)
    expect(first.actualReplicas).toBeGreaterThan(0)
    for (const id of first.replicationNodes) expect(copies).toContain(id)
    const holders = copies

    await stopNodes(holders)
    const status = await m.checkReplication(key)
    expect(status).toMatchObject({ health: 'critical', actualReplicas: 0, replicationNodes: [] })
    await until(() => m.getMetrics().failedReplications >= 1, 'the failed repair attempt')
    expect(m.getMetrics()).toMatchObject({ repairs: 0, criticalKeys: 1 })
    expect(m.getReplicationStatus(key).health).toBe('critical')
  })

  it('reprovides at the interval, stops reproviding removed content, and cleans up stale providers (controlled time)', async () => {
    const writer = running()[0]
    const spy = spyDHT(writer)
    let now = 1_000_000
    const clock = { now: () => now }
    // The manager's loops are repeatingTasks (setTimeout chains), so timeouts
    // are fake; the fake clock also advances with real time, so the network's
    // own timers still fire as they would. Date stays real. The intervals are
    // minutes, not the default hours: a jump fires every network timer due
    // within it, and a 12 h jump fires a 10 s ping chain thousands of times.
    // A round needs the jump (the test takes seconds, not 10 minutes); the
    // cleanup comes due only after the second reprovide round and before a third.
    const REPROVIDE = 10 * 60_000
    const CLEANUP = 25 * 60_000
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'], shouldAdvanceTime: true })
    const m = replicationManager({ reprovideInterval: REPROVIDE, cleanupInterval: CLEANUP, checkInterval: 2 ** 31 - 1, enableAutoReplication: false })({ dht: spy, clock })
    managers.push(m)
    await m.start()
    const keep = '/CHORUS/replication/keep'
    const drop = '/CHORUS/replication/drop'
    await writer.putValue(keep, bytes('keep'))
    await writer.putValue(drop, bytes('drop'))
    // the copies the puts place in the background are made before the first measurement
    await waitForBackgroundPuts(writer)
    await m.addContent(keep, 1, 1)
    await m.addContent(drop, 1, 2)
    spy.provided.length = 0

    await vi.advanceTimersByTimeAsync(REPROVIDE)
    await until(() => m.getMetrics().lastReprovideTime === now, 'the first reprovide round')
    expect(spy.provided).toEqual([drop, keep])
    expect(m.getMetrics().reprovideOperations).toBe(2)

    m.removeContent(drop)
    spy.provided.length = 0
    now += 1
    await vi.advanceTimersByTimeAsync(REPROVIDE)
    await until(() => m.getMetrics().lastReprovideTime === now, 'the second reprovide round')
    expect(spy.provided).toEqual([keep])

    // a measured holder of `keep` stops; a day later the others are confirmed again, it is not
    const stopped = m.getReplicationStatus(keep).replicationNodes.find(id => id !== writer.peerId)!
    expect(stopped).toBeDefined()
    await stopNodes([stopped])
    now += 25 * 3600_000
    expect((await m.checkReplication(keep)).replicationNodes).not.toContain(stopped)
    // (the measurement may add a peer that now is among the closest and holds a copy)
    const total = m.getMetrics().totalProviders
    // past 25 min since start (two 10 min jumps and seconds of real time), short of a third round at 30 min
    await vi.advanceTimersByTimeAsync(CLEANUP - 2 * REPROVIDE)
    await until(() => m.getMetrics().lastCleanupTime === now, 'the cleanup')
    expect(m.getMetrics().totalProviders).toBe(total - 1)
    expect((await m.findProviders(keep)).map(p => p.peerId)).not.toContain(stopped)
    expect(m.getMetrics()).toMatchObject({ reprovideOperations: 3, successfulReplications: 5, failedReplications: 0, totalKeys: 1 })
  })
})
