import { AbortError, TimeoutError } from '@chorus-dht/types'
import type { AbortOptions } from '@chorus-dht/types'

/** Throws when the caller aborted or the deadline passed. */
export type Checkpoint = () => void

/**
 * A checkpoint for CPU-bound work: checks the caller's signal and a default
 * deadline of `timeout` ms, so nothing runs unbounded without a signal.
 */
export function deadline (options: AbortOptions | undefined, timeout: number, what: string): Checkpoint {
  const signal = options?.signal
  const end = Date.now() + timeout
  const check = (): void => {
    if (signal?.aborted === true) {
      const reason: any = signal.reason
      if (reason?.name === 'TimeoutError') throw new TimeoutError(`${what} timed out`, { cause: reason })
      throw new AbortError(`${what} was aborted`, { cause: reason })
    }
    if (Date.now() > end) throw new TimeoutError(`${what} did not finish within ${timeout} ms`)
  }
  check()
  return check
}

/** Lets timers and abort events run during a long computation. */
export async function yieldToEventLoop (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}
