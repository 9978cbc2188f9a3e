import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError } from '@chorus-dht/types'
import { checkpoint, operationSignal, pause, throwIfAborted, withDeadline, yieldToEventLoop } from '../src/index.js'

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

describe('deadlines at their edges', () => {
  const listeners = (s: AbortSignal): number => getEventListeners(s, 'abort').length

  it('operationSignal: a default timeout message, and no listener left on any source once it ended', () => {
    vi.useFakeTimers()
    const a = new AbortController()
    const b = new AbortController()
    const op = operationSignal(50, [a.signal, undefined, b.signal])
    expect(listeners(a.signal)).toBe(1)
    vi.advanceTimersByTime(50)
    expect(op.signal.reason).toEqual(expect.objectContaining({ name: 'TimeoutError', message: 'operation did not finish within 50 ms' }))
    expect([listeners(a.signal), listeners(b.signal), vi.getTimerCount()]).toEqual([0, 0, 0])

    const live = new AbortController()
    const op2 = operationSignal(50, [live.signal, AbortSignal.abort(new Error('gone'))])
    expect(op2.signal.reason.message).toBe('gone')
    expect([listeners(live.signal), vi.getTimerCount()]).toEqual([0, 0])

    const c = new AbortController()
    const d = new AbortController()
    const op3 = operationSignal(50, [c.signal, d.signal])
    c.abort(new Error('first'))
    d.abort(new Error('second'))
    expect([op3.abortedBy, op3.signal.reason.message, listeners(d.signal)]).toEqual([c.signal, 'first', 0])
  })

  it('throwIfAborted: our TimeoutError stays itself without a message and is renamed with one; other reasons pass through', () => {
    const ours = new TimeoutError('ours')
    expect(() => { throwIfAborted(AbortSignal.abort(ours)) }).toThrow(ours)
    let thrown: any
    try { throwIfAborted(AbortSignal.abort(ours), 'lookup timed out') } catch (err) { thrown = err }
    expect([thrown instanceof TimeoutError, thrown.message, thrown.cause]).toEqual([true, 'lookup timed out', ours])
    try { throwIfAborted(AbortSignal.abort(new DOMException('late', 'TimeoutError'))) } catch (err) { thrown = err }
    expect([thrown instanceof TimeoutError, thrown.message]).toEqual([true, 'late'])
    const boom = new Error('boom')
    expect(() => { throwIfAborted(AbortSignal.abort(boom), 'renamed?') }).toThrow(boom)
    const nothing = new AbortController()
    nothing.abort(null)
    try { throwIfAborted(nothing.signal) } catch (err) { thrown = err }
    expect(thrown).toBeNull()
  })

  it('pause: an aborted signal rejects at once; no listener is left after an abort or the delay', async () => {
    vi.useFakeTimers()
    const reason = new Error('stop')
    await expect(pause(60_000, AbortSignal.abort(reason))).rejects.toBe(reason)
    expect(vi.getTimerCount()).toBe(0)
    const c = new AbortController()
    const p = pause(60_000, c.signal)
    c.abort(reason)
    await expect(p).rejects.toBe(reason)
    expect(listeners(c.signal)).toBe(0)
    const c2 = new AbortController()
    const p2 = pause(10, c2.signal)
    vi.advanceTimersByTime(10)
    await p2
    expect(listeners(c2.signal)).toBe(0)
  })

  it('withDeadline: the work\'s own error passes through, and nothing stays linked after it ends', async () => {
    vi.useFakeTimers()
    const caller = new AbortController()
    let seen: AbortSignal | undefined
    const boom = new Error('boom')
    await expect(withDeadline(1000, caller.signal, async (s) => { seen = s; throw boom })).rejects.toBe(boom)
    expect([vi.getTimerCount(), listeners(caller.signal), listeners(seen!)]).toEqual([0, 0, 0])
    await expect(withDeadline(1000, caller.signal, async (s) => { seen = s; return 7 })).resolves.toBe(7)
    expect([vi.getTimerCount(), listeners(caller.signal), listeners(seen!)]).toEqual([0, 0, 0])
  })

  it('checkpoint: throws the caller\'s reason without abortError, and only after the deadline, not at it', () => {
    const reason = new Error('caller')
    expect(checkpoint(1000, AbortSignal.abort(reason))).toThrow(reason)
    let t = 0
    const check = checkpoint(100, undefined, { now: () => t })
    t = 100
    expect(check).not.toThrow()
    t = 101
    expect(check).toThrow(expect.objectContaining({ name: 'TimeoutError', message: 'operation did not finish within 100 ms' }))
  })

  it('yieldToEventLoop lets work queued with setImmediate run first', async () => {
    let ran = false
    setImmediate(() => { ran = true })
    await yieldToEventLoop()
    expect(ran).toBe(true)
  })
})
