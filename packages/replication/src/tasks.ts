import { setMaxListeners } from 'node:events'
import { AbortError } from '@chorus-dht/types'
import { withDeadline } from '@chorus-dht/utils'
import type { Logger } from '@chorus-dht/types'

function isAbort (err: any): boolean {
  return err?.name === 'AbortError' || err?.name === 'TimeoutError'
}

/**
 * The lifetime of the manager's work: the signal `stop()` aborts, every
 * operation in flight (so `stop()` can await them), and background work
 * whose failures are logged instead of becoming unhandled rejections.
 */
export class Tasks {
  private readonly log: Logger
  private readonly inflight = new Set<Promise<unknown>>()
  private controller?: AbortController

  constructor (log: Logger) {
    this.log = log
  }

  /** Makes a fresh lifecycle signal. */
  open (): void {
    this.controller = new AbortController()
    // every operation in flight links a listener to the lifecycle signal
    setMaxListeners(Number.POSITIVE_INFINITY, this.controller.signal)
  }

  /** Aborts the lifecycle signal and waits for everything in flight to settle. */
  async close (): Promise<void> {
    this.controller?.abort()
    await Promise.allSettled([...this.inflight])
  }

  /** The lifecycle signal (aborted once closed; `undefined` before the first start). */
  get signal (): AbortSignal | undefined {
    return this.controller?.signal
  }

  /** Whether the lifecycle signal aborted: the manager is stopping or stopped. */
  stopping (): boolean {
    return this.controller?.signal.aborted === true
  }

  /** Remembers `p` until it settles; returns it. */
  track<T> (p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    p.then(() => this.inflight.delete(p), () => this.inflight.delete(p))
    return p
  }

  /** Tracks `p` and logs its failure (an abort while stopping is expected and not logged). */
  background (p: Promise<unknown>): void {
    this.track(p).catch((err: unknown) => {
      if (!(isAbort(err) && this.stopping())) this.log.error('background replication task failed - %e', err)
    })
  }

  /**
   * Runs `fn` under the lifecycle signal, the caller's `signals` and a
   * deadline of `ms` (`withDeadline` of `@chorus-dht/utils`); tracked.
   * Rejects `TimeoutError` ("<what> timed out after <ms> ms") at the
   * deadline, `AbortError` ("<what> was aborted") when a signal aborts.
   */
  async run<T> (what: string, ms: number, signals: Array<AbortSignal | undefined>, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.track(deadline(what, ms, [...signals, this.signal], fn))
  }
}

/** `withDeadline` with the package's error names and messages, untracked (a sub-step of a tracked operation). */
export async function deadline<T> (what: string, ms: number, signals: Array<AbortSignal | undefined>, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withDeadline(ms, signals, fn, {
    timeoutMessage: `${what} timed out after ${ms} ms`,
    abortError: (op) => op.timedOut ? op.signal.reason : new AbortError(`${what} was aborted`)
  })
}
