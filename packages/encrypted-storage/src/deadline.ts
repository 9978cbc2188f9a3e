import { throwIfAborted as throwIfAbortedWith } from '@chorus-dht/utils'

export { operationSignal, pause } from '@chorus-dht/utils'
export type { OperationSignal } from '@chorus-dht/utils'

/** Throws when `signal` aborted: a deadline as a named `TimeoutError`, else the caller's reason. */
export function throwIfAborted (signal: AbortSignal, timeout: number): void {
  throwIfAbortedWith(signal, `operation did not finish within ${timeout} ms`)
}
