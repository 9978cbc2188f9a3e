import { setMaxListeners } from 'node:events'
import { AbortError, NotStartedError, TimeoutError } from '@chorus-dht/types'

/**
 * The signal of one operation: the caller's signal, the operation's default
 * deadline and the node's shutdown, combined. `clear()` releases the timer.
 */
export class OperationSignal {
  readonly signal: AbortSignal
  private readonly deadline: AbortController
  private readonly timer: ReturnType<typeof setTimeout>
  private readonly caller?: AbortSignal
  private readonly shutdown: AbortSignal

  constructor (what: string, timeout: number, shutdown: AbortSignal, caller?: AbortSignal) {
    this.deadline = new AbortController()
    this.caller = caller
    this.shutdown = shutdown
    this.timer = setTimeout(() => {
      this.deadline.abort(new TimeoutError(`${what} timed out after ${timeout} ms`))
    }, timeout)
    const signals = [this.deadline.signal, shutdown]
    if (caller != null) {
      signals.push(caller)
    }
    this.signal = AbortSignal.any(signals)
    // kad-dht adds one listener per in-flight request to the query signal
    setMaxListeners(Infinity, this.signal)
  }

  /** Whether the operation's own default deadline fired. */
  get timedOut (): boolean {
    return this.deadline.signal.aborted
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
    if (this.deadline.signal.aborted) {
      return this.deadline.signal.reason
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

  clear (): void {
    clearTimeout(this.timer)
  }
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts; leaves no timer behind. */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    throw signal.reason
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
