import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReplicationLoops } from '../src/loops.js'
import { PriorityQueue } from '../src/priority-queue.js'
import { ProviderBook, newCounters } from '../src/provider-book.js'
import { Tasks } from '../src/tasks.js'
import { recordingLogger } from './fixtures/logger.js'
import type { Line } from './fixtures/logger.js'
import type { ReplicationLoopsInit } from '../src/loops.js'
import type { ContentEntry, Counters } from '../src/provider-book.js'
import type { ReplicationStatus } from '@chorus-dht/types'

// ReplicationLoops on its own, with fake parts, under fake timers and Date.

async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0)
}

const INIT: ReplicationLoopsInit = {
  enableReprovide: true,
  reprovideInterval: 1_000,
  cleanupInterval: 3_000,
  checkInterval: 2_000,
  providerTTL: 50_000,
  operationTimeout: 500,
  logPrefix: 'test:replication'
}

interface Harness {
  loops: ReplicationLoops
  book: ProviderBook
  queue: PriorityQueue
  tasks: Tasks
  counters: Counters
  announced: Array<{ key: string, signal: AbortSignal, force: unknown }>
  checked: Array<{ key: string, signal: AbortSignal }>
  announce: ReturnType<typeof vi.fn>
  check: ReturnType<typeof vi.fn>
  dropStale: ReturnType<typeof vi.fn>
  lines: Line[]
  components: string[]
}

function harness (init: Partial<ReplicationLoopsInit> = {}, open = true): Harness {
  const book = new ProviderBook({ replicationFactor: 3, maxProvidersPerKey: 20 })
  const queue = new PriorityQueue(1)
  const rec = recordingLogger(false, false)
  const tasks = new Tasks(rec.logger.forComponent('tasks'))
  if (open) tasks.open()
  const counters = newCounters()
  const announced: Harness['announced'] = []
  const checked: Harness['checked'] = []
  const announce = vi.fn(async (e: ContentEntry, signal: AbortSignal, force: unknown) => { announced.push({ key: e.key, signal, force }) })
  const check = vi.fn(async (e: ContentEntry, signal: AbortSignal) => {
    checked.push({ key: e.key, signal })
    return { key: e.key } as unknown as ReplicationStatus
  })
  const dropStale = vi.spyOn(book, 'dropStale')
  const loops = new ReplicationLoops({
    book,
    queue,
    tasks,
    announcer: { announce } as any,
    checker: { check },
    clock: { now: () => Date.now() },
    counters,
    logger: rec.logger
  }, { ...INIT, ...init })
  return { loops, book, queue, tasks, counters, announced, checked, announce, check, dropStale: dropStale as any, lines: rec.lines, components: rec.components }
}

let current: Harness | undefined

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 1_000_000 })
})

afterEach(async () => {
  current?.loops.stop()
  await current?.tasks.close()
  current = undefined
  vi.useRealTimers()
})

describe('ReplicationLoops timers', () => {
  it('logs under <logPrefix>:loops', () => {
    current = harness()
    expect(current.components).toContain('test:replication:loops')
  })

  it('runs no round before its interval, then one per interval, each loop on its own period', async () => {
    const h = harness()
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.loops.start()
    await vi.advanceTimersByTimeAsync(999)
    expect(h.announce).not.toHaveBeenCalled()
    expect(h.check).not.toHaveBeenCalled()
    expect(h.dropStale).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(h.announce).toHaveBeenCalledTimes(1)
    expect(h.check).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(999)
    expect(h.announce).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(h.announce).toHaveBeenCalledTimes(2)
    expect(h.check).toHaveBeenCalledTimes(1)
    expect(h.dropStale).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.announce).toHaveBeenCalledTimes(3)
    expect(h.dropStale).toHaveBeenCalledTimes(1)
    expect(h.check).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.check).toHaveBeenCalledTimes(2)
  })

  it('without enableReprovide there is no reprovide loop, the others still run', async () => {
    const h = harness({ enableReprovide: false })
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.loops.start()
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(6_000)
    await settle()
    expect(h.announce).not.toHaveBeenCalled()
    expect(h.check.mock.calls.length).toBeGreaterThanOrEqual(2)
    expect(h.dropStale.mock.calls.length).toBeGreaterThanOrEqual(1)
  })

  it('arms one timer per loop on start and none after stop; a restart arms them again', async () => {
    const h = harness()
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.loops.start()
    expect(vi.getTimerCount()).toBe(3)
    h.loops.stop()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(h.announce).not.toHaveBeenCalled()
    expect(h.check).not.toHaveBeenCalled()
    expect(h.dropStale).not.toHaveBeenCalled()
    h.loops.start()
    expect(vi.getTimerCount()).toBe(3)
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.announce).toHaveBeenCalledTimes(1)
    h.loops.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a round does nothing before the tasks were opened', async () => {
    const h = harness({}, false)
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.loops.start()
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.announce).not.toHaveBeenCalled()
    expect(h.check).not.toHaveBeenCalled()
    expect(h.dropStale).not.toHaveBeenCalled()
  })

  it('a round does nothing once the lifecycle signal aborted', async () => {
    const h = harness()
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.loops.start()
    await h.tasks.close()
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.announce).not.toHaveBeenCalled()
    expect(h.check).not.toHaveBeenCalled()
    expect(h.dropStale).not.toHaveBeenCalled()
    expect(h.lines.filter(l => l.level === 'error')).toEqual([])
  })
})

describe('ReplicationLoops rounds', () => {
  it('reprovide announces every tracked key, highest priority first, forced, under the lifecycle signal', async () => {
    const h = harness({ enableReprovide: true, reprovideInterval: 1_000, checkInterval: 100_000, cleanupInterval: 100_000 })
    current = h
    h.book.upsert('/k/low', 1, 1)
    h.book.upsert('/k/high', 1, 9)
    h.book.upsert('/k/mid', 1, 5)
    h.loops.start()
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.announced.map(a => a.key)).toEqual(['/k/high', '/k/mid', '/k/low'])
    expect(h.announced.every(a => a.force === true)).toBe(true)
    expect(h.announced.every(a => a.signal instanceof AbortSignal && !a.signal.aborted)).toBe(true)
    expect(h.counters.lastReprovideTime).toBe(Date.now())
    expect(h.lines).toContainEqual({ component: 'test:replication:loops', level: 'debug', args: ['reprovided %d keys, %d failed', 3, 0] })
  })

  it('reprovide counts failed and timed-out announcements, and skips a key removed while queued', async () => {
    const h = harness({ reprovideInterval: 1_000, checkInterval: 100_000, cleanupInterval: 100_000, operationTimeout: 500 })
    current = h
    h.book.upsert('/k/fail', 1, 9)
    h.book.upsert('/k/hang', 1, 8)
    h.book.upsert('/k/gone', 1, 7)
    h.book.upsert('/k/ok', 1, 6)
    h.announce.mockImplementation(async (e: ContentEntry, signal: AbortSignal) => {
      h.announced.push({ key: e.key, signal, force: true })
      if (e.key === '/k/fail') {
        h.book.delete('/k/gone')
        throw new Error('boom')
      }
      if (e.key === '/k/hang') await new Promise(() => {})
    })
    h.loops.start()
    await vi.advanceTimersByTimeAsync(1_000)
    await settle()
    expect(h.announced.map(a => a.key)).toEqual(['/k/fail', '/k/hang'])
    expect(h.counters.lastReprovideTime).toBe(0)
    await vi.advanceTimersByTimeAsync(499)
    expect(h.announced.map(a => a.key)).toEqual(['/k/fail', '/k/hang'])
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(h.announced.map(a => a.key)).toEqual(['/k/fail', '/k/hang', '/k/ok'])
    // /k/gone settled (skipped) without an announcement: 2 fine, 2 failed
    expect(h.lines).toContainEqual({ component: 'test:replication:loops', level: 'debug', args: ['reprovided %d keys, %d failed', 2, 2] })
    expect(h.counters.lastReprovideTime).toBe(Date.now())
  })

  it('check measures every tracked key, highest priority first, and skips one removed while queued', async () => {
    const h = harness({ enableReprovide: false, checkInterval: 2_000, cleanupInterval: 100_000, operationTimeout: 500 })
    current = h
    h.book.upsert('/k/a', 1, 1)
    h.book.upsert('/k/b', 1, 3)
    h.book.upsert('/k/c', 1, 2)
    h.check.mockImplementation(async (e: ContentEntry, signal: AbortSignal) => {
      h.checked.push({ key: e.key, signal })
      if (e.key === '/k/b') h.book.delete('/k/c')
      return { key: e.key } as unknown as ReplicationStatus
    })
    h.loops.start()
    await vi.advanceTimersByTimeAsync(2_000)
    await settle()
    expect(h.checked.map(c => c.key)).toEqual(['/k/b', '/k/a'])
    expect(h.checked.every(c => !c.signal.aborted)).toBe(true)
  })

  it('a check round gives every key its own operationTimeout and the next round starts one interval after it ended', async () => {
    const h = harness({ enableReprovide: false, checkInterval: 2_000, cleanupInterval: 100_000, operationTimeout: 500 })
    current = h
    h.book.upsert('/k/a', 1, 2)
    h.book.upsert('/k/b', 1, 1)
    let hang = true
    h.check.mockImplementation(async (e: ContentEntry, signal: AbortSignal) => {
      h.checked.push({ key: e.key, signal })
      if (hang) await new Promise(() => {})
      return { key: e.key } as unknown as ReplicationStatus
    })
    h.loops.start()
    await vi.advanceTimersByTimeAsync(2_000)
    await settle()
    expect(h.checked.map(c => c.key)).toEqual(['/k/a'])
    await vi.advanceTimersByTimeAsync(500)
    await settle()
    // /k/a timed out, /k/b started with its own deadline
    expect(h.checked.map(c => c.key)).toEqual(['/k/a', '/k/b'])
    expect(h.checked[0].signal.aborted).toBe(true)
    hang = false
    await vi.advanceTimersByTimeAsync(500)
    await settle()
    // the round ended at 3 s: the next one at 5 s
    expect(h.checked).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1_999)
    expect(h.checked).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
    expect(h.checked.map(c => c.key)).toEqual(['/k/a', '/k/b', '/k/a', '/k/b'])
  })

  it('cleanup drops records older than providerTTL at the clock time and records it', async () => {
    const h = harness({ enableReprovide: false, checkInterval: 100_000, cleanupInterval: 3_000, providerTTL: 50_000 })
    current = h
    const { entry } = h.book.upsert('/k/a', 1, 1)
    const start = Date.now()
    entry.providers.set('old', h.book.newRecord(entry.point, 'old', start - 48_000, 0))
    entry.providers.set('new', h.book.newRecord(entry.point, 'new', start, 0))
    h.loops.start()
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.dropStale).toHaveBeenCalledWith(start + 3_000, 50_000)
    expect(h.counters.lastCleanupTime).toBe(start + 3_000)
    expect([...entry.providers.keys()]).toEqual(['new'])
    expect(h.lines).toContainEqual({ component: 'test:replication:loops', level: 'debug', args: ['cleanup dropped %d stale provider records', 1] })
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.lines).toContainEqual({ component: 'test:replication:loops', level: 'debug', args: ['cleanup dropped %d stale provider records', 0] })
    expect(h.counters.lastCleanupTime).toBe(start + 6_000)
  })

  it('a failed round is logged as an error and the loop goes on', async () => {
    const h = harness({ enableReprovide: false, checkInterval: 100_000, cleanupInterval: 3_000 })
    current = h
    const err = new Error('disk on fire')
    h.dropStale.mockImplementationOnce(() => { throw err })
    h.loops.start()
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.lines.filter(l => l.level === 'error')).toEqual([
      { component: 'test:replication:loops', level: 'error', args: ['replication loop round failed - %e', err] }
    ])
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.dropStale).toHaveBeenCalledTimes(2)
    expect(h.counters.lastCleanupTime).toBe(Date.now())
    expect(h.lines.filter(l => l.level === 'error')).toHaveLength(1)
  })

  it('a round failing because the manager stops is not logged', async () => {
    const h = harness({ enableReprovide: false, checkInterval: 100_000, cleanupInterval: 3_000 })
    current = h
    h.dropStale.mockImplementationOnce(() => {
      void h.tasks.close()
      throw new Error('stopped')
    })
    h.loops.start()
    await vi.advanceTimersByTimeAsync(3_000)
    await settle()
    expect(h.dropStale).toHaveBeenCalledTimes(1)
    expect(h.lines.filter(l => l.level === 'error')).toEqual([])
  })
})
