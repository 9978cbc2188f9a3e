import { TimeoutError } from './errors.js'
import type { AbortOptions } from '@chorus-dht/types'

/**
 * The signal of one public operation: the caller's, bounded by the default
 * deadline. `AbortSignal.any` holds its inputs weakly in Node ≥ 20.19 (no
 * listener leak on the long-lived caller signal).
 */
export function operationSignal (timeout: number, options?: AbortOptions): AbortSignal {
  const deadline = AbortSignal.timeout(timeout)
  return options?.signal == null ? deadline : AbortSignal.any([options.signal, deadline])
}

/** Throws when `signal` aborted: its own deadline as a named `TimeoutError`, else the caller's reason. */
export function throwIfAborted (signal: AbortSignal, timeout: number): void {
  if (!signal.aborted) return
  const reason = signal.reason
  if (reason?.name === 'TimeoutError') throw new TimeoutError(`operation did not finish within ${timeout} ms`, { cause: reason })
  throw reason
}

/** Pauses `ms`, or rejects when `signal` aborts; leaves no timer behind. */
export async function pause (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
