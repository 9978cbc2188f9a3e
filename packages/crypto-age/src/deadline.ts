import { checkpoint, yieldToEventLoop } from '@chorus-dht/utils'
import { AbortError, TimeoutError } from '@chorus-dht/types'
import type { AbortOptions } from '@chorus-dht/types'

export { yieldToEventLoop }

/** Throws when the caller aborted or the deadline passed. */
export type Checkpoint = () => void

/**
 * A checkpoint for CPU-bound work (the `checkpoint` of `@chorus-dht/utils`):
 * checks the caller's signal and a default deadline of `timeout` ms, so
 * nothing runs unbounded without a signal.
 */
export function deadline (options: AbortOptions | undefined, timeout: number, what: string): Checkpoint {
  const check = checkpoint(timeout, options?.signal, {
    timeoutMessage: `${what} did not finish within ${timeout} ms`,
    abortError: (signal) => {
      const reason: any = signal.reason
      if (reason?.name === 'TimeoutError') return new TimeoutError(`${what} timed out`, { cause: reason })
      return new AbortError(`${what} was aborted`, { cause: reason })
    }
  })
  check()
  return check
}
