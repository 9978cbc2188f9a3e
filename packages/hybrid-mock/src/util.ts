import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { compareXorDistance, nonNegativeInteger, pause, positiveInteger, withDeadline } from '@chorus-dht/utils'
import { AbortError, InvalidParametersError, NotStartedError, TimeoutError } from './errors.js'

/** sha256 of a UTF-8 string: the Kademlia id space of the mock. */
export function kadId (s: string): Uint8Array {
  return createHash('sha256').update(s).digest()
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
    .sort((x, y) => compareXorDistance(target, x.kid, y.kid) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
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
  try {
    await pause(ms, signal)
  } catch {
    throw abortError(signal!)
  }
}

/**
 * Runs `fn` under a signal that combines the caller's signal, a default
 * timeout and any extra signals (a service's lifecycle): the
 * `withDeadline` of `@chorus-dht/utils`, which links the sources by
 * listeners removed when the call ends and times out with a plain
 * `setTimeout` (so fake timers drive it). Rejects promptly with the named
 * error when that signal aborts, even if `fn` ignores it.
 */
export async function withTimeout<T> (timeoutMs: number, signals: Array<AbortSignal | undefined>, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  for (const s of signals) throwIfAborted(s)
  return withDeadline(timeoutMs, signals, fn, {
    timeoutMessage: `Operation timed out after ${timeoutMs} ms`,
    abortError: (op) => abortError(op.signal)
  })
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

/** Checks an optional positive (or, with `allowZero`, non-negative) integer option. */
export function checkPositiveInt (value: unknown, name: string, allowZero = false): void {
  if (value === undefined) return
  if (allowZero) nonNegativeInteger(name, value)
  else positiveInteger(name, value)
}
