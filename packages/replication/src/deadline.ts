import { withDeadline as runWithDeadline } from '@chorus-dht/utils'
import { AbortError } from '@chorus-dht/types'

/**
 * Runs `fn` with a signal that aborts when any of `signals` aborts (`AbortError`) or
 * after `ms` (`TimeoutError`), and rejects with that error even when `fn`
 * ignores its signal. The timer and the listeners are always released (the
 * `withDeadline` of `@chorus-dht/utils`).
 */
export async function withDeadline<T> (ms: number, signals: Array<AbortSignal | undefined>, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (signals.some(s => s?.aborted === true)) {
    throw new AbortError(`${what} was aborted`)
  }
  return runWithDeadline(ms, signals, fn, {
    timeoutMessage: `${what} timed out after ${ms} ms`,
    abortError: (op) => op.timedOut ? op.signal.reason : new AbortError(`${what} was aborted`)
  })
}

