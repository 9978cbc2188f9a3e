import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { checkpoint, operationSignal, pause, throwIfAborted, withDeadline } from '../src/index.js'

afterEach(() => { vi.useRealTimers() })

describe('operationSignal', () => {
  it('aborts with a TimeoutError when its own deadline passes', () => {
    vi.useFakeTimers()
    const op = operationSignal(100, undefined, { timeoutMessage: 'x timed out after 100 ms' })
    vi.advanceTimersByTime(99)
    expect(op.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(op.timedOut).toBe(true)
    expect(op.signal.reason.name).toBe('TimeoutError')
    expect(op.signal.reason.message).toBe('x timed out after 100 ms')
  })

  it('aborts with the reason of the source that aborted, and says which', () => {
    const caller = new AbortController()
    const op = operationSignal(1000, [undefined, caller.signal])
    caller.abort(new Error('stop'))
    expect(op.signal.reason.message).toBe('stop')
    expect(op.abortedBy).toBe(caller.signal)
    expect(op.timedOut).toBe(false)
  })

  it('is aborted at once when a source already is', () => {
    const op = operationSignal(1000, AbortSignal.abort(new Error('early')))
    expect(op.signal.aborted).toBe(true)
    expect(op.signal.reason.message).toBe('early')
  })

  it('clear() removes its listeners from a long-lived source and its timer', () => {
    vi.useFakeTimers()
    const caller = new AbortController()
    for (let i = 0; i < 100; i++) operationSignal(1000, caller.signal).clear()
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('throwIfAborted', () => {
  it('names a foreign timeout reason as our TimeoutError', () => {
    const reason = new DOMException('signal timed out', 'TimeoutError')
    const c = new AbortController()
    c.abort(reason)
    expect(() => { throwIfAborted(c.signal, 'did not finish within 5 ms') }).toThrow(expect.objectContaining({ name: 'TimeoutError', message: 'did not finish within 5 ms', cause: reason }))
  })

  it('throws any other reason as it is, and nothing when not aborted', () => {
    const c = new AbortController()
    throwIfAborted(c.signal)
    throwIfAborted(undefined)
    const reason = new Error('mine')
    c.abort(reason)
    expect(() => { throwIfAborted(c.signal) }).toThrow(reason)
  })
})

describe('pause', () => {
  it('resolves after the delay and rejects with the reason on abort, leaving no timer', async () => {
    vi.useFakeTimers()
    const c = new AbortController()
    const p = pause(1000, c.signal)
    c.abort(new Error('bye'))
    await expect(p).rejects.toThrow('bye')
    expect(vi.getTimerCount()).toBe(0)
    const q = pause(10)
    vi.advanceTimersByTime(10)
    await expect(q).resolves.toBeUndefined()
  })
})

describe('withDeadline', () => {
  it('rejects on the deadline even when the work ignores its signal', async () => {
    vi.useFakeTimers()
    const p = withDeadline(50, undefined, async () => new Promise(() => {}))
    vi.advanceTimersByTime(50)
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('maps the abort through abortError and returns the work result otherwise', async () => {
    const c = new AbortController()
    const p = withDeadline(1000, [c.signal], async () => new Promise(() => {}), { abortError: (op) => new Error(op.timedOut ? 'late' : 'cancelled') })
    c.abort()
    await expect(p).rejects.toThrow('cancelled')
    await expect(withDeadline(1000, c.signal, async () => 1, { abortError: () => new Error('already') })).rejects.toThrow('already')
    await expect(withDeadline(1000, undefined, async () => 7)).resolves.toBe(7)
  })
})

describe('checkpoint', () => {
  it('throws a TimeoutError once the deadline has passed, and the mapped abort of the caller', () => {
    let t = 0
    const check = checkpoint(10, undefined, { now: () => t, timeoutMessage: 'too slow' })
    check()
    t = 11
    expect(check).toThrow(expect.objectContaining({ name: 'TimeoutError', message: 'too slow' }))
    const c = new AbortController()
    const checkCaller = checkpoint(10, c.signal, { abortError: () => new Error('mapped') })
    checkCaller()
    c.abort()
    expect(checkCaller).toThrow('mapped')
  })
})
