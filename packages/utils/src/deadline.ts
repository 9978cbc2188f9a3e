import { setMaxListeners } from 'node:events'
import { TimeoutError } from './errors.js'

/** What {@link operationSignal} takes besides the timeout and the sources. */
export interface OperationSignalInit {
  /**
   * The message of the `TimeoutError` the signal aborts with when its own
   * deadline passes.
   *
   * @default `operation did not finish within ${timeout} ms`
   */
  timeoutMessage?: string
}

/** The signal of one operation and the handle that releases it. */
export interface OperationSignal {
  /** Aborts when a source aborts (with its reason) or the deadline passes (with a `TimeoutError`). */
  readonly signal: AbortSignal
  /** Whether this operation's own deadline fired (not a source's). */
  readonly timedOut: boolean
  /** The source that aborted first, if one did. */
  readonly abortedBy: AbortSignal | undefined
  /** Clears the timer and removes the listeners on the sources. Idempotent. */
  clear(): void
}

/**
 * The signal of one operation: the given sources (the caller's signal, a
 * service's lifecycle) bounded by a default deadline of `timeout` ms.
 *
 * The sources are linked by listeners that `clear()` removes, not by
 * `AbortSignal.any`: on Node 20 a combined signal that has a listener is
 * retained by its long-lived source until the source aborts (≈1.2 kB per
 * operation, see `bench/abort-signal-any.mjs`). The deadline is a plain
 * `setTimeout`, so fake timers drive it. Call `clear()` when the
 * operation ends.
 */
export function operationSignal (timeout: number, sources?: AbortSignal | Array<AbortSignal | undefined>, init: OperationSignalInit = {}): OperationSignal {
  const controller = new AbortController()
  // kad-dht and the fan-out of one operation link a listener per request
  setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
  const list = (Array.isArray(sources) ? sources : [sources]).filter((s): s is AbortSignal => s != null)
  let timedOut = false
  let abortedBy: AbortSignal | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const unlink: Array<() => void> = []
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    for (const u of unlink.splice(0)) u()
  }
  for (const source of list) {
    if (source.aborted) {
      abortedBy = source
      controller.abort(source.reason)
      break
    }
    const onAbort = (): void => {
      if (controller.signal.aborted) return
      abortedBy = source
      controller.abort(source.reason)
      clear()
    }
    source.addEventListener('abort', onAbort, { once: true })
    unlink.push(() => { source.removeEventListener('abort', onAbort) })
  }
  if (controller.signal.aborted) {
    clear()
  } else {
    timer = setTimeout(() => {
      timer = undefined
      timedOut = true
      controller.abort(new TimeoutError(init.timeoutMessage ?? `operation did not finish within ${timeout} ms`))
      clear()
    }, timeout)
  }
  return {
    signal: controller.signal,
    get timedOut () { return timedOut },
    get abortedBy () { return abortedBy },
    clear
  }
}

/**
 * Throws when `signal` has aborted. A reason named `TimeoutError` that is not
 * our own class (a `DOMException` of `AbortSignal.timeout`) becomes a
 * `TimeoutError` with `message` (and the reason as `cause`); any other
 * reason is thrown as it is.
 */
export function throwIfAborted (signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted !== true) return
  throw timeoutOrReason(signal.reason, message)
}

function timeoutOrReason (reason: any, message?: string): unknown {
  if (reason?.name === 'TimeoutError' && (!(reason instanceof TimeoutError) || message != null)) {
    return new TimeoutError(message ?? reason.message ?? 'Timed out', { cause: reason })
  }
  return reason
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts; leaves no timer behind. */
export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw signal.reason
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** What {@link withDeadline} takes besides the timeout, the sources and the work. */
export interface WithDeadlineInit extends OperationSignalInit {
  /**
   * Maps the abort of the operation to the error it rejects with.
   *
   * @default the signal's reason
   */
  abortError?(op: OperationSignal): unknown
}

/**
 * Runs `fn` under an {@link operationSignal} and rejects as soon as that
 * signal aborts, even when `fn` ignores it. The timer and the listeners are
 * always released; a rejection of `fn` after the abort is not left unhandled.
 */
export async function withDeadline<T> (timeout: number, sources: AbortSignal | Array<AbortSignal | undefined> | undefined, fn: (signal: AbortSignal) => Promise<T>, init: WithDeadlineInit = {}): Promise<T> {
  const op = operationSignal(timeout, sources, init)
  const toError = (): unknown => init.abortError?.(op) ?? op.signal.reason
  if (op.signal.aborted) {
    throw toError()
  }
  let onAbort: (() => void) | undefined
  try {
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(toError()) }
      op.signal.addEventListener('abort', onAbort, { once: true })
    })
    aborted.catch(() => {})
    const work = fn(op.signal)
    work.catch(() => {})
    return await Promise.race([work, aborted])
  } catch (err) {
    if (op.signal.aborted) throw toError()
    throw err
  } finally {
    op.clear()
    if (onAbort != null) op.signal.removeEventListener('abort', onAbort)
  }
}

/** What {@link checkpoint} takes besides the timeout and the signal. */
export interface CheckpointInit {
  /**
   * The message of the `TimeoutError` thrown once the deadline has passed.
   *
   * @default `operation did not finish within ${timeout} ms`
   */
  timeoutMessage?: string
  /**
   * Maps the abort of the caller's signal to the error thrown.
   *
   * @default the signal's reason
   */
  abortError?(signal: AbortSignal): unknown
  /**
   * The clock the deadline is read from, ms.
   *
   * @default Date.now
   */
  now?(): number
}

/**
 * A deadline for CPU-bound work, which runs no timers: a function to call
 * between steps that throws when the caller's signal aborted or `timeout`
 * ms have passed since the checkpoint was made (a `TimeoutError`). It holds
 * no timer and no listener, so there is nothing to clear.
 */
export function checkpoint (timeout: number, signal?: AbortSignal, init: CheckpointInit = {}): () => void {
  const now = init.now ?? Date.now
  const end = now() + timeout
  return () => {
    if (signal?.aborted === true) throw init.abortError?.(signal) ?? signal.reason
    if (now() > end) throw new TimeoutError(init.timeoutMessage ?? `operation did not finish within ${timeout} ms`)
  }
}

/** Lets timers and abort events run during a long computation. */
export async function yieldToEventLoop (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}
