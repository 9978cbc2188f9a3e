import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backgroundTask, jittered, OperationSignal } from '../src/utils.js'
import type { Logger } from '@chorus-dht/types'

function recordingLog (): Logger & { errors: unknown[][] } {
  const log = Object.assign(() => {}, { errors: [] as unknown[][], enabled: false, trace: () => {} }) as any
  log.error = (...args: unknown[]) => { log.errors.push(args) }
  return log
}

const fixed = (value: number) => ({ next: () => value })

describe('jittered', () => {
  it('stays within ± the jitter fraction and never below 1 ms', () => {
    expect(jittered(1000, fixed(0))).toBe(800)
    expect(jittered(1000, fixed(0.5))).toBe(1000)
    expect(jittered(1000, fixed(0.999999))).toBe(1200)
    expect(jittered(1000, fixed(0), 0.5)).toBe(500)
    expect(jittered(1, fixed(0))).toBe(1)
  })
})

describe('backgroundTask', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('runs once per interval, each run delayed by its jitter, and never before start()', async () => {
    const runs: number[] = []
    const task = backgroundTask('test', 1000, async () => { runs.push(Date.now()) }, { log: recordingLog(), random: fixed(0.5) })
    await vi.advanceTimersByTimeAsync(5000)
    expect(runs).toEqual([])
    const t0 = Date.now()
    task.start()
    // random 0.5: a wait of 800 ms (interval × (1 − jitter)), then 0.5 × 400 ms of jitter
    await vi.advanceTimersByTimeAsync(999)
    expect(runs).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toEqual([t0 + 1000])
    await vi.advanceTimersByTimeAsync(1000)
    expect(runs).toEqual([t0 + 1000, t0 + 2000])
    await task.stop()
  })

  it('logs a failed run and keeps running', async () => {
    const log = recordingLog()
    let calls = 0
    const task = backgroundTask('flaky', 100, async () => {
      calls++
      throw new Error('boom')
    }, { log, random: fixed(0) })
    task.start()
    await vi.advanceTimersByTimeAsync(250)
    expect(calls).toBe(3)
    expect(log.errors).toHaveLength(3)
    expect(log.errors[0][1]).toBe('flaky')
    await task.stop()
  })

  it('stop() aborts the run in progress, waits for it to end, and nothing runs afterwards', async () => {
    const log = recordingLog()
    let calls = 0
    let ended = false
    let aborted = false
    const task = backgroundTask('slow', 100, async (signal) => {
      calls++
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { aborted = true; resolve() }, { once: true }) })
      await Promise.resolve()
      ended = true
    }, { log, random: fixed(0) })
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(1)
    await task.stop()
    expect(aborted).toBe(true)
    expect(ended).toBe(true)
    // an aborted run is not an error
    expect(log.errors).toEqual([])
    await vi.advanceTimersByTimeAsync(10_000)
    expect(calls).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('with firstRunDelay runs first at start(), within that delay, then every interval', async () => {
    const runs: number[] = []
    const task = backgroundTask('join', 1000, async () => { runs.push(Date.now()) }, { log: recordingLog(), random: fixed(0.5), jitter: 0, firstRunDelay: 300 })
    const t0 = Date.now()
    task.start()
    await vi.advanceTimersByTimeAsync(150)
    expect(runs).toEqual([t0 + 150])
    await vi.advanceTimersByTimeAsync(999)
    expect(runs).toHaveLength(1)
    // (fake timers run a 0 ms wait after 1 ms)
    await vi.advanceTimersByTimeAsync(2)
    expect(runs).toEqual([t0 + 150, t0 + 1151])
    await task.stop()
    // a restart joins at once again
    task.start()
    await vi.advanceTimersByTimeAsync(150)
    expect(runs).toHaveLength(3)
    await task.stop()
  })

  it('can be started again after stop()', async () => {
    let calls = 0
    const task = backgroundTask('again', 100, async () => { calls++ }, { log: recordingLog(), random: fixed(0) })
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    await task.stop()
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(2)
    await task.stop()
  })
})

describe('backgroundTask, stop and restart', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('a run that throws because stop() aborted it is not logged; one that fails on its own is, with the loop name', async () => {
    const log = recordingLog()
    const task = backgroundTask('sync', 100, async (signal) => {
      await new Promise<void>((resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
    }, { log, random: fixed(0) })
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    await task.stop()
    expect(log.errors).toEqual([])

    const failing = backgroundTask('sync', 100, async () => { throw new Error('boom') }, { log, random: fixed(0) })
    failing.start()
    await vi.advanceTimersByTimeAsync(100)
    await failing.stop()
    expect(log.errors).toHaveLength(1)
    expect(log.errors[0].slice(0, 2)).toEqual(['%s loop failed - %e', 'sync'])
  })

  it('start() after stop() runs again, first after firstRunDelay again', async () => {
    const runs: number[] = []
    const task = backgroundTask('t', 10_000, async () => { runs.push(Date.now()) }, { log: recordingLog(), random: fixed(0.5), firstRunDelay: 200 })
    const t0 = Date.now()
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    expect(runs).toEqual([t0 + 100])
    await task.stop()
    await task.stop()
    const t1 = Date.now()
    task.start()
    await vi.advanceTimersByTimeAsync(100)
    expect(runs).toEqual([t0 + 100, t1 + 100])
    await task.stop()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('OperationSignal', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  const thrown = (op: OperationSignal): Error | undefined => {
    try { op.throwIfAborted() } catch (err) { return err as Error }
    return undefined
  }

  it('is quiet until something aborts, and passes errors through unchanged', () => {
    const op = new OperationSignal('get', 1000, new AbortController().signal)
    expect(op.signal.aborted).toBe(false)
    expect(op.timedOut).toBe(false)
    expect(op.callerAborted).toBe(false)
    expect(thrown(op)).toBeUndefined()
    const err = new Error('boom')
    expect(op.translate(err)).toBe(err)
    expect(op.translate('text')).toEqual(new Error('text'))
    expect(op.error(err)).toBe(err)
    expect(op.error(7).message).toBe('7')
    op.clear()
  })

  it('its own deadline gives a TimeoutError naming the operation and the timeout', async () => {
    const op = new OperationSignal('put', 1000, new AbortController().signal)
    await vi.advanceTimersByTimeAsync(999)
    expect(op.signal.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(op.timedOut).toBe(true)
    expect(op.callerAborted).toBe(false)
    const err = thrown(op)
    expect(err?.name).toBe('TimeoutError')
    expect(err?.message).toBe('put timed out after 1000 ms')
    expect(op.translate(new Error('stream reset'))).toBe(err)
  })

  it('the caller aborting gives an AbortError with the reason as cause', () => {
    const caller = new AbortController()
    const op = new OperationSignal('get', 1000, new AbortController().signal, caller.signal)
    const reason = new Error('user gave up')
    caller.abort(reason)
    expect(op.callerAborted).toBe(true)
    expect(op.timedOut).toBe(false)
    const err = thrown(op)
    expect(err?.name).toBe('AbortError')
    expect(err?.message).toBe('The operation was aborted')
    expect((err as any).cause).toBe(reason)
    expect(op.translate(new Error('other'))).toMatchObject({ name: 'AbortError' })
    op.clear()
  })

  it("the caller's own timeout gives a TimeoutError with its message (or a default)", () => {
    const caller = new AbortController()
    const op = new OperationSignal('get', 1000, new AbortController().signal, caller.signal)
    const reason = Object.assign(new Error('caller deadline'), { name: 'TimeoutError' })
    caller.abort(reason)
    const err = op.error()
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe('caller deadline')
    expect((err as any).cause).toBe(reason)
    op.clear()

    const bare = new AbortController()
    const op2 = new OperationSignal('get', 1000, new AbortController().signal, bare.signal)
    bare.abort({ name: 'TimeoutError' })
    expect(op2.error()).toMatchObject({ name: 'TimeoutError', message: 'Timed out' })
    op2.clear()
  })

  it('the caller wins over the deadline when both fired', async () => {
    const caller = new AbortController()
    const op = new OperationSignal('get', 1000, new AbortController().signal, caller.signal)
    await vi.advanceTimersByTimeAsync(1000)
    caller.abort()
    expect(op.timedOut).toBe(true)
    expect(op.error().name).toBe('AbortError')
  })

  it('the node stopping gives a NotStartedError with the cause', () => {
    const shutdown = new AbortController()
    const op = new OperationSignal('get', 1000, shutdown.signal)
    shutdown.abort()
    const cause = new Error('connection closed')
    const err = op.translate(cause)
    expect(err.name).toBe('NotStartedError')
    expect(err.message).toBe('the node stopped during the operation')
    expect((err as any).cause).toBe(cause)
    expect(thrown(op)?.name).toBe('NotStartedError')
    op.clear()
  })

  it('clear() stops the deadline: no timeout fires after it', async () => {
    const op = new OperationSignal('get', 1000, new AbortController().signal)
    op.clear()
    await vi.advanceTimersByTimeAsync(5000)
    expect(op.signal.aborted).toBe(false)
    expect(op.timedOut).toBe(false)
  })
})
