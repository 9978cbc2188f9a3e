import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { AbortError, InvalidParametersError, NotStartedError, TimeoutError } from './errors.js'
import type { ComponentLogger, Logger } from '@chorus-dht/types'

/** sha256 of a UTF-8 string: the Kademlia id space of the mock. */
export function kadId (s: string): Uint8Array {
  return createHash('sha256').update(s).digest()
}

/** Compares XOR distances of `a` and `b` to `target`. Negative when `a` is closer. */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}

const peerIdCache = new Map<string, Uint8Array>()

/** kadId of a peer id, memoised (peer ids repeat on every query; the cache is bounded). */
function peerKadId (id: string): Uint8Array {
  let kid = peerIdCache.get(id)
  if (kid == null) {
    if (peerIdCache.size >= 10_000) peerIdCache.clear()
    kid = kadId(id)
    peerIdCache.set(id, kid)
  }
  return kid
}

/** Sorts peer ids by XOR distance of their sha256 to the sha256 of `key`, closest first. */
export function sortByDistance (key: string, peerIds: string[]): string[] {
  const target = kadId(key)
  return peerIds
    .map((id) => ({ id, kid: peerKadId(id) }))
    .sort((x, y) => compareDistance(target, x.kid, y.kid) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((p) => p.id)
}

/**
 * An AbortController for a service's lifetime. Every operation in flight
 * links one listener to its signal, so the default limit of 10 listeners
 * would print a MaxListenersExceededWarning under ordinary concurrency.
 */
export function lifecycleController (): AbortController {
  const controller = new AbortController()
  setMaxListeners(Infinity, controller.signal)
  return controller
}

/** Byte equality. */
export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Turns an aborted signal's reason into the named error the contract promises. */
export function abortError (signal: AbortSignal): Error {
  const reason = signal.reason
  if (reason instanceof Error && (reason.name === TimeoutError.name || reason.name === NotStartedError.name || reason.name === AbortError.name)) {
    if (reason.name === TimeoutError.name && !(reason instanceof TimeoutError)) return new TimeoutError(reason.message, { cause: reason })
    if (reason.name === AbortError.name && !(reason instanceof AbortError)) return new AbortError(reason.message, { cause: reason })
    return reason
  }
  return new AbortError('The operation was aborted', { cause: reason })
}

/** Throws the named abort error when the signal is aborted. */
export function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw abortError(signal)
}

/** Resolves after `ms`, rejects early with the named error when the signal aborts. */
export async function delay (ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal)
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal!))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Runs `fn` under a signal that combines the caller's signal, a default
 * timeout (a plain `setTimeout`, so fake timers drive it) and any extra
 * signals (a service's lifecycle). Rejects promptly with the named error
 * when that signal aborts, even if `fn` ignores it.
 *
 * The sources are linked by listeners removed when the call ends, not by
 * `AbortSignal.any`, which on Node 20 retains an entry per call on a
 * long-lived source signal (a lifecycle signal would grow without bound).
 */
export async function withTimeout<T> (timeoutMs: number, signals: Array<AbortSignal | undefined>, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  for (const s of signals) throwIfAborted(s)
  const controller = new AbortController()
  const signal = controller.signal
  const unlink: Array<() => void> = []
  for (const source of signals) {
    if (source == null) continue
    const onAbort = (): void => { controller.abort(source.reason) }
    source.addEventListener('abort', onAbort, { once: true })
    unlink.push(() => { source.removeEventListener('abort', onAbort) })
  }
  const timer = setTimeout(() => { controller.abort(new TimeoutError(`Operation timed out after ${timeoutMs} ms`)) }, timeoutMs)
  let onAbort: (() => void) | undefined
  try {
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(abortError(signal)) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    // fn's own rejection after an abort must not become unhandled
    const work = fn(signal)
    work.catch(() => {})
    return await Promise.race([work, aborted])
  } finally {
    clearTimeout(timer)
    for (const u of unlink) u()
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

/** Checks a record key: a non-empty string. */
export function checkKey (key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidParametersError(`${name} must be a non-empty string`)
  }
}

/** Checks a record value: a Uint8Array. */
export function checkValue (value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidParametersError('value must be a Uint8Array')
  }
}

/** Checks an optional positive integer option. */
export function checkPositiveInt (value: unknown, name: string, allowZero = false): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidParametersError(`${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`)
  }
}

const noop = Object.assign((): void => {}, { error: (): void => {}, trace: (): void => {}, enabled: false })

/** A ComponentLogger that discards everything: the default when none is injected. */
export const silentLogger: ComponentLogger = {
  forComponent (): Logger { return noop }
}
