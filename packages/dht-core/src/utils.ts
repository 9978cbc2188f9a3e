import { operationSignal, pause } from '@chorus-dht/utils'
import type { OperationSignal as UtilsOperationSignal } from '@chorus-dht/utils'
import { AbortError, NotStartedError, TimeoutError } from '@chorus-dht/types'
import { repeatingTask } from '@libp2p/utils'
import type { Logger, RandomSource } from '@chorus-dht/types'

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

/** `ms` ± `jitter` (a fraction of it), drawn from `random`. */
export function jittered (ms: number, random: RandomSource, jitter = 0.2): number {
  return Math.max(1, Math.round(ms * (1 - jitter + 2 * jitter * random.next())))
}

/** A background loop of the node, see {@link backgroundTask}. */
export interface BackgroundTask {
  start(): void
  /** Stops the loop and resolves once a run in progress ended (its signal aborts on stop). */
  stop(): Promise<void>
}

/** Options of {@link backgroundTask}. */
export interface BackgroundTaskOptions {
  log: Logger
  random: RandomSource
  /** Fraction of the interval each wait varies by (default 0.2). */
  jitter?: number
  /**
   * When set, the first run starts at `start()`, after a random wait of up
   * to `firstRunDelay` ms, instead of one interval later.
   */
  firstRunDelay?: number
}

/**
 * Runs `fn` every `interval` ms (±`jitter`, a fraction of it, so that the
 * nodes of a network started together do not run in step), on
 * `@libp2p/utils`' `repeatingTask`. Errors are logged, never thrown; `stop()`
 * aborts the signal `fn` gets and waits for a run in progress.
 */
export function backgroundTask (name: string, interval: number, fn: (signal: AbortSignal) => Promise<void>, options: BackgroundTaskOptions): BackgroundTask {
  const jitter = options.jitter ?? 0.2
  let current: Promise<void> | undefined
  let stopped = false
  let first = true
  // repeatingTask waits (1 - jitter) × interval between runs; each run first
  // waits a random part of 2 × jitter × interval (setInterval from inside a
  // run would schedule a second run)
  const task = repeatingTask(async (opts) => {
    const signal = opts?.signal ?? AbortSignal.abort()
    const spread = first && options.firstRunDelay != null ? options.firstRunDelay : 2 * jitter * interval
    first = false
    current = (async () => {
      await sleep(Math.floor(spread * options.random.next()), signal)
      await fn(signal)
    })().catch((err: any) => {
      if (!signal.aborted) options.log.error('%s loop failed - %e', name, err)
    })
    await current
    current = undefined
  }, Math.max(1, Math.round(interval * (1 - jitter))), { runImmediately: options.firstRunDelay != null })
  return {
    start () {
      stopped = false
      first = true
      task.start()
    },
    async stop () {
      if (stopped) return
      stopped = true
      task.stop()
      await current
    }
  }
}
