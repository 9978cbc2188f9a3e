import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backgroundTask, jittered } from '../src/utils.js'
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
