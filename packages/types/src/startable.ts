/**
 * A stateful service with a lifecycle, in the shape js-libp2p uses.
 *
 * - `start()` is idempotent: a second call while started does nothing.
 * - `stop()` is safe before `start()` and idempotent.
 * - After `stop()` resolves, no loop, timer, stream or socket of the service
 *   is left running, so a process exits by itself.
 */
export interface Startable {
  start(): void | Promise<void>
  stop(): void | Promise<void>
}

/** The lifecycle state of a service, as helia reports it. */
export type ServiceStatus = 'stopped' | 'starting' | 'started' | 'stopping'

/** A component that may or may not have a lifecycle. */
export type MaybeStartable<T> = T & Partial<Startable>
