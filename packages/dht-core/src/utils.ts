import { operationSignal, pause } from '@chorus-dht/utils'
import type { OperationSignal as UtilsOperationSignal } from '@chorus-dht/utils'
import { AbortError, NotStartedError, TimeoutError } from '@chorus-dht/types'

/**
 * The signal of one operation: the caller's signal, the operation's default
 * deadline and the node's shutdown, combined. `clear()` releases the timer.
 */
export class OperationSignal {
  readonly signal: AbortSignal
  private readonly op: UtilsOperationSignal
  private readonly caller?: AbortSignal
  private readonly shutdown: AbortSignal

  constructor (what: string, timeout: number, shutdown: AbortSignal, caller?: AbortSignal) {
    this.caller = caller
    this.shutdown = shutdown
    // listeners on the long-lived shutdown signal are removed by clear()
    this.op = operationSignal(timeout, [shutdown, caller], { timeoutMessage: `${what} timed out after ${timeout} ms` })
    this.signal = this.op.signal
  }

  /** Whether the operation's own default deadline fired. */
  get timedOut (): boolean {
    return this.op.timedOut
  }

  /** Whether the caller's signal fired. */
  get callerAborted (): boolean {
    return this.caller?.aborted === true
  }

  /** Throws the named error for the reason the operation was aborted, if it was. */
  throwIfAborted (): void {
    if (this.signal.aborted) {
      throw this.error()
    }
  }

  /** The named error for the reason this operation was aborted. */
  error (cause?: unknown): Error {
    if (this.caller?.aborted === true) {
      const reason = this.caller.reason
      if (reason?.name === 'TimeoutError') {
        return new TimeoutError(reason.message ?? 'Timed out', { cause: reason })
      }
      return new AbortError('The operation was aborted', { cause: reason })
    }
    if (this.op.timedOut) {
      return this.signal.reason
    }
    if (this.shutdown.aborted) {
      return new NotStartedError('the node stopped during the operation', { cause })
    }
    return cause instanceof Error ? cause : new Error(String(cause))
  }

  /** Maps an error thrown under this signal to the named error callers expect. */
  translate (err: unknown): Error {
    if (this.signal.aborted) {
      return this.error(err)
    }
    return err instanceof Error ? err : new Error(String(err))
  }

  /** Clears the deadline's timer and the listeners on the caller's and the shutdown signals. */
  clear (): void {
    this.op.clear()
  }
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts; leaves no timer behind. */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await pause(ms, signal)
}
