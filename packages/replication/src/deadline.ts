import { setMaxListeners } from 'node:events'
import { AbortError, TimeoutError } from '@chorus-dht/types'

/**
 * Runs `fn` with a signal that aborts when any of `signals` aborts (`AbortError`) or
 * after `ms` (`TimeoutError`), and rejects with that error even when `fn`
 * ignores its signal. The timer is always cleared.
 */
export async function withDeadline<T> (ms: number, signals: Array<AbortSignal | undefined>, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const outer = signals.filter((s): s is AbortSignal => s != null)
  if (outer.some(s => s.aborted)) {
    throw new AbortError(`${what} was aborted`)
  }
  const controller = new AbortController()
  // one measurement links a per-peer deadline to this signal for every peer it asks
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
  let rejectAborted: (err: unknown) => void = () => {}
  const aborted = new Promise<never>((_resolve, reject) => { rejectAborted = reject })
  const abort = (err: Error): void => {
    if (!controller.signal.aborted) {
      controller.abort(err)
      rejectAborted(err)
    }
  }
  const timer = setTimeout(() => { abort(new TimeoutError(`${what} timed out after ${ms} ms`)) }, ms)
  const onAbort = (): void => { abort(new AbortError(`${what} was aborted`)) }
  for (const s of outer) s.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([fn(controller.signal), aborted])
  } catch (err) {
    if (controller.signal.aborted) {
      throw controller.signal.reason
    }
    throw err
  } finally {
    clearTimeout(timer)
    for (const s of outer) s.removeEventListener('abort', onAbort)
    // The race may leave `aborted` rejected with nobody listening.
    aborted.catch(() => {})
  }
}
