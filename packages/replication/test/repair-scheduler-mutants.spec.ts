import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_DELAY } from '@chorus-dht/utils'
import { PriorityQueue } from '../src/priority-queue.js'
import { ProviderBook, newCounters } from '../src/provider-book.js'
import { RepairScheduler } from '../src/repair-scheduler.js'
import { Tasks } from '../src/tasks.js'
import { recordingLogger } from './fixtures/logger.js'
import type { Line } from './fixtures/logger.js'
import type { RepairSchedulerInit } from '../src/repair-scheduler.js'
import type { ContentEntry, Counters } from '../src/provider-book.js'
import type { ReplicationHealth, ReplicationStatus } from '@chorus-dht/types'

// RepairScheduler on its own, with a fake DHT and meter, under fake timers and Date.

async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0)
}

const INIT: RepairSchedulerInit = {
  enableAutoReplication: true,
  repairBackoff: 1_000,
  maxRepairBackoff: 8_000,
  repairRateLimit: 10,
  repairRateInterval: 60_000,
  operationTimeout: 500,
  logPrefix: 'test:replication'
}

interface Harness {
  rs: RepairScheduler
  book: ProviderBook
  queue: PriorityQueue
  tasks: Tasks
  counters: Counters
  lines: Line[]
  gets: Array<{ key: string, options: any }>
  puts: Array<{ key: string, options: any }>
  provides: Array<{ key: string, options: any }>
  dht: { getValue: ReturnType<typeof vi.fn>, putValue: ReturnType<typeof vi.fn>, provide: ReturnType<typeof vi.fn> }
  measure: ReturnType<typeof vi.fn>
  /** The health the next measurements give. */
  health: { value: ReplicationHealth }
}

function harness (init: Partial<RepairSchedulerInit> = {}, open = true): Harness {
  const book = new ProviderBook({ replicationFactor: 3, maxProvidersPerKey: 20 })
  const queue = new PriorityQueue(2)
  const rec = recordingLogger(false, false)
  const tasks = new Tasks(rec.logger.forComponent('test:tasks'))
  if (open) tasks.open()
  const counters = newCounters()
  const gets: Harness['gets'] = []
  const puts: Harness['puts'] = []
  const provides: Harness['provides'] = []
  const health = { value: 'degraded' as ReplicationHealth }
  const dht = {
    getValue: vi.fn(async (key: string, options: any) => { gets.push({ key, options }); return new Uint8Array([1]) }),
    putValue: vi.fn(async (key: string, _v: Uint8Array, options: any) => { puts.push({ key, options }); return { remotePeers: 2, peers: [] } }),
    provide: vi.fn(async (key: string, options: any) => { provides.push({ key, options }) })
  }
  const measure = vi.fn(async (e: ContentEntry) => ({ key: e.key, health: health.value }) as unknown as ReplicationStatus)
  const rs = new RepairScheduler({
    dht: dht as any,
    book,
    meter: { measure } as any,
    queue,
    tasks,
    clock: { now: () => Date.now() },
    counters,
    logger: rec.logger
  }, { ...INIT, ...init })
  return { rs, book, queue, tasks, counters, lines: rec.lines, gets, puts, provides, dht, measure, health }
}

const sig = (): AbortSignal => new AbortController().signal

let current: Harness | undefined

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 1_000_000 })
})

afterEach(async () => {
  current?.rs.stop()
  await current?.tasks.close()
  current = undefined
  vi.useRealTimers()
})

describe('RepairScheduler: check and health', () => {
  it('a healthy measurement clears the repair state and logs only when there was one', async () => {
    const h = harness()
    current = h
    h.health.value = 'healthy'
    const { entry } = h.book.upsert('/k/a', 1, 1)
    const status = await h.rs.check(entry, sig())
    expect(status).toMatchObject({ key: '/k/a', health: 'healthy' })
    expect(h.lines.filter(l => l.args[0] === '%s is healthy again')).toEqual([])

    entry.repairAttempts = 2
    entry.nextRepairAt = 5
    await h.rs.check(entry, sig())
    expect(entry).toMatchObject({ needsRepair: false, repairAttempts: 0, nextRepairAt: 0 })
    expect(h.lines.filter(l => l.args[0] === '%s is healthy again')).toHaveLength(1)

    entry.needsRepair = true
    await h.rs.check(entry, sig())
    expect(entry).toMatchObject({ needsRepair: false, repairAttempts: 0, nextRepairAt: 0 })
    expect(h.lines.filter(l => l.args[0] === '%s is healthy again')).toEqual([
      { component: 'test:replication:repair', level: 'debug', args: ['%s is healthy again', '/k/a'] },
      { component: 'test:replication:repair', level: 'debug', args: ['%s is healthy again', '/k/a'] }
    ])
  })

  it('an unhealthy measurement marks the key due now; a second one keeps its due time', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    const t0 = Date.now()
    await h.rs.check(entry, sig())
    expect(entry).toMatchObject({ needsRepair: true, nextRepairAt: t0 })
    entry.nextRepairAt = t0 + 7_000
    await h.rs.check(entry, sig())
    expect(entry.nextRepairAt).toBe(t0 + 7_000)
  })

  it('a key that backed off keeps its back-off when it is marked due again', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.repairAttempts = 3
    entry.nextRepairAt = Date.now() + 4_000
    await h.rs.check(entry, sig())
    expect(entry).toMatchObject({ needsRepair: true, repairAttempts: 3, nextRepairAt: Date.now() + 4_000 })
  })

  it('does not mark an untracked key, nor any key with auto-replication off', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    h.book.delete('/k/a')
    await h.rs.check(entry, sig())
    expect(entry.needsRepair).toBe(false)

    const off = harness({ enableAutoReplication: false })
    const { entry: e2 } = off.book.upsert('/k/b', 1, 1)
    await off.rs.check(e2, sig())
    expect(e2.needsRepair).toBe(false)
    off.rs.stop()
    await off.tasks.close()
  })
})

describe('RepairScheduler: the timer', () => {
  it('arms no timer before start, for keys not due, or after stop', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    h.book.upsert('/k/fine', 1, 1)
    await h.rs.check(entry, sig())
    expect(entry.needsRepair).toBe(true)
    // not started: nothing armed, nothing repaired
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(h.gets).toEqual([])

    entry.needsRepair = false
    h.rs.start()
    expect(vi.getTimerCount()).toBe(0)

    entry.needsRepair = true
    entry.nextRepairAt = Date.now() + 5_000
    h.rs.arm()
    expect(vi.getTimerCount()).toBe(1)
    h.rs.stop()
    expect(vi.getTimerCount()).toBe(0)
    h.rs.arm()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(h.gets).toEqual([])
  })

  it('starts a due repair at its due time, and no repair while one is in progress', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.needsRepair = true
    entry.nextRepairAt = Date.now() + 5_000
    entry.repairing = 1
    h.rs.start()
    expect(vi.getTimerCount()).toBe(0)
    entry.repairing = 0
    h.rs.arm()
    await vi.advanceTimersByTimeAsync(4_999)
    expect(h.gets).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(h.gets.map(g => g.key)).toEqual(['/k/a'])
  })

  it('caps the timer delay at MAX_TIMER_DELAY and re-arms when it fires early', async () => {
    const h = harness()
    current = h
    const byPriority = vi.spyOn(h.book, 'byPriority')
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.needsRepair = true
    entry.nextRepairAt = Date.now() + MAX_TIMER_DELAY + 10_000
    h.rs.start()
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY - 1)
    expect(byPriority).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(byPriority).toHaveBeenCalledTimes(1)
    expect(h.gets).toEqual([])
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(10_000)
    await settle()
    expect(h.gets.map(g => g.key)).toEqual(['/k/a'])
  })

  it('repairs nothing while the tasks were never opened', async () => {
    const h = harness({}, false)
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.needsRepair = true
    entry.nextRepairAt = Date.now()
    h.rs.start()
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.gets).toEqual([])
    expect(entry.repairing).toBe(0)
  })

  it('logs when the rate limit makes a due key wait, and starts it once a slot frees', async () => {
    const h = harness({ repairRateLimit: 1, repairRateInterval: 60_000 })
    current = h
    h.health.value = 'healthy'
    const { entry: a } = h.book.upsert('/k/a', 1, 2)
    const { entry: b } = h.book.upsert('/k/b', 1, 1)
    for (const e of [a, b]) { e.needsRepair = true; e.nextRepairAt = Date.now() }
    h.rs.start()
    await settle()
    expect(h.gets.map(g => g.key)).toEqual(['/k/a'])
    expect(h.lines).toContainEqual({ component: 'test:replication:repair', level: 'debug', args: ['repair rate limit reached, %s waits', '/k/b'] })
    await vi.advanceTimersByTimeAsync(60_000 - 10)
    expect(h.gets.map(g => g.key)).toEqual(['/k/a'])
    await vi.advanceTimersByTimeAsync(10)
    await settle()
    expect(h.gets.map(g => g.key)).toEqual(['/k/a', '/k/b'])
  })

  it('skips a key removed while its repair waited in the queue', async () => {
    const h = harness()
    current = h
    let release!: () => void
    const blocker = new Promise<void>(resolve => { release = resolve })
    // fill both queue slots
    const busy = [h.queue.add(100, async () => blocker), h.queue.add(100, async () => blocker)]
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.needsRepair = true
    entry.nextRepairAt = Date.now()
    h.rs.start()
    await settle()
    expect(entry.repairing).toBe(1)
    h.book.delete('/k/a')
    release()
    await Promise.all(busy)
    await settle()
    expect(h.gets).toEqual([])
    expect(entry.repairing).toBe(0)
  })

  it('a background repair that times out is logged with its key and the operationTimeout', async () => {
    const h = harness({ operationTimeout: 500 })
    current = h
    // answers only by failing once its signal aborts
    h.dht.getValue.mockImplementation(async (_k: string, options: any) => new Promise((_resolve, reject) => {
      options.signal.addEventListener('abort', () => { reject(options.signal.reason) }, { once: true })
    }))
    const { entry } = h.book.upsert('/k/slow', 1, 1)
    entry.needsRepair = true
    entry.nextRepairAt = Date.now()
    h.rs.start()
    await settle()
    await vi.advanceTimersByTimeAsync(500)
    await settle()
    const errors = h.lines.filter(l => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(String((errors[0].args[1] as Error).message)).toBe('repair(/k/slow) timed out after 500 ms')
    expect(h.counters.failedReplications).toBe(1)
    expect(entry).toMatchObject({ repairAttempts: 1, nextRepairAt: Date.now() + 1_000, repairing: 0 })
  })
})

describe('RepairScheduler: one attempt', () => {
  it('repairNow re-puts and re-announces under the signal, counts it and measures again', async () => {
    const h = harness()
    current = h
    h.health.value = 'healthy'
    const { entry } = h.book.upsert('/k/a', 1, 1)
    entry.replicas = ['p1', 'p2', 'p3']
    entry.needsRepair = true
    entry.nextRepairAt = Date.now() + 60_000
    h.rs.start()
    const signal = sig()
    const p = h.rs.repairNow(entry, signal)
    expect(entry.repairing).toBe(1)
    const status = await p
    expect(entry.repairing).toBe(0)
    expect(status.health).toBe('healthy')
    expect(h.gets).toEqual([{ key: '/k/a', options: { signal, quorum: 3 } }])
    expect(h.puts).toEqual([{ key: '/k/a', options: { signal } }])
    expect(h.provides).toEqual([{ key: '/k/a', options: { signal } }])
    expect(h.counters).toMatchObject({ repairs: 1, successfulReplications: 1, failedReplications: 0 })
    expect(entry.lastReplication).toBe(Date.now())
    expect(entry).toMatchObject({ needsRepair: false, repairAttempts: 0, nextRepairAt: 0 })
    expect(h.lines).toContainEqual({ component: 'test:replication:repair', level: 'debug', args: ['re-put %s: %d remote peers accepted it', '/k/a', 2] })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('repairNow re-arms the timer afterwards for a key still due', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    h.rs.start()
    // degraded after the attempt: backs off 1 s and the timer is armed for it
    await h.rs.repairNow(entry, sig())
    expect(entry).toMatchObject({ repairing: 0, repairAttempts: 1, nextRepairAt: Date.now() + 1_000 })
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.gets).toHaveLength(2)
  })

  it('rejects at once with the reason of an aborted signal, asking no one', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    const ac = new AbortController()
    const reason = new Error('caller gave up')
    ac.abort(reason)
    await expect(h.rs.repairNow(entry, ac.signal)).rejects.toBe(reason)
    expect(h.gets).toEqual([])
    expect(entry.repairing).toBe(0)
  })

  it('a failed fetch counts a failed replication and backs off, doubling up to maxRepairBackoff', async () => {
    const h = harness({ repairBackoff: 1_000, maxRepairBackoff: 3_000 })
    current = h
    const err = new Error('no copy')
    h.dht.getValue.mockRejectedValue(err)
    const { entry } = h.book.upsert('/k/a', 1, 1)
    for (const wait of [1_000, 2_000, 3_000, 3_000]) {
      await expect(h.rs.repairNow(entry, sig())).rejects.toBe(err)
      expect(entry.nextRepairAt).toBe(Date.now() + wait)
      expect(h.lines.at(-1)).toEqual({ component: 'test:replication:repair', level: 'debug', args: ['%s still not healthy after %d repair attempts, next in %d ms', '/k/a', entry.repairAttempts, wait] })
    }
    expect(entry.repairAttempts).toBe(4)
    expect(h.counters).toMatchObject({ repairs: 0, failedReplications: 4, successfulReplications: 0 })
  })

  it('a failure while the manager stops is neither counted nor backed off', async () => {
    const h = harness()
    current = h
    const err = new Error('stopping')
    h.dht.getValue.mockImplementation(async () => { void h.tasks.close(); throw err })
    const { entry } = h.book.upsert('/k/a', 1, 1)
    await expect(h.rs.repairNow(entry, sig())).rejects.toBe(err)
    expect(h.counters.failedReplications).toBe(0)
    expect(entry).toMatchObject({ repairAttempts: 0, nextRepairAt: 0 })
  })

  it('a failed measurement after the re-put backs off, unless the manager stops', async () => {
    const h = harness()
    current = h
    const err = new Error('measure failed')
    h.measure.mockRejectedValueOnce(err)
    const { entry } = h.book.upsert('/k/a', 1, 1)
    await expect(h.rs.repairNow(entry, sig())).rejects.toBe(err)
    expect(h.counters).toMatchObject({ repairs: 1, successfulReplications: 1, failedReplications: 0 })
    expect(entry).toMatchObject({ repairAttempts: 1, nextRepairAt: Date.now() + 1_000 })

    h.measure.mockImplementationOnce(async () => { void h.tasks.close(); throw err })
    await expect(h.rs.repairNow(entry, sig())).rejects.toBe(err)
    expect(entry).toMatchObject({ repairAttempts: 1, nextRepairAt: Date.now() + 1_000 })
  })

  it('a healthy result after the repair does not back off; an unhealthy one does', async () => {
    const h = harness()
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    h.health.value = 'healthy'
    await h.rs.repairNow(entry, sig())
    expect(entry).toMatchObject({ repairAttempts: 0, nextRepairAt: 0 })
    h.health.value = 'critical'
    await h.rs.repairNow(entry, sig())
    expect(entry).toMatchObject({ repairAttempts: 1, nextRepairAt: Date.now() + 1_000 })
  })
})
