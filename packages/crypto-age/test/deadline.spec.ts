import { AbortError, TimeoutError } from '@chorus-dht/types'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deadline } from '../src/deadline.js'

describe('deadline (the checkpoint of CPU-bound work)', () => {
  afterEach(() => { vi.useRealTimers() })

  it('passes while neither the deadline nor the caller ended it', () => {
    const check = deadline({ signal: new AbortController().signal }, 1_000, 'encrypt')
    expect(() => { check() }).not.toThrow()
    expect(() => { deadline(undefined, 1_000, 'encrypt')() }).not.toThrow()
  })

  it('throws TimeoutError naming the work and the bound once the deadline passed', () => {
    vi.useFakeTimers()
    const check = deadline(undefined, 10, 'decrypt for role admin')
    vi.advanceTimersByTime(10)
    expect(() => { check() }).not.toThrow()
    vi.advanceTimersByTime(1)
    expect(() => { check() }).toThrow(TimeoutError)
    expect(() => { check() }).toThrow('decrypt for role admin did not finish within 10 ms')
  })

  it('turns the caller\'s abort into AbortError, and its timeout into TimeoutError, keeping the reason as cause', () => {
    const aborted = new AbortController()
    const reason = new Error('caller went away')
    aborted.abort(reason)
    let err: any
    try { deadline({ signal: aborted.signal }, 1_000, 'encrypt') } catch (e) { err = e }
    // checked at once: an aborted caller runs nothing
    expect(err).toBeInstanceOf(AbortError)
    expect(err.message).toBe('encrypt was aborted')
    expect(err.cause).toBe(reason)

    const timedOut = new AbortController()
    const check = deadline({ signal: timedOut.signal }, 1_000, 'encrypt')
    const timeout = new DOMException('the caller\'s deadline', 'TimeoutError')
    timedOut.abort(timeout)
    try { check() } catch (e) { err = e }
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.message).toBe('encrypt timed out')
    expect(err.cause).toBe(timeout)
  })
})
