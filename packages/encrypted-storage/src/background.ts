import { positiveNumber } from '@chorus-dht/utils'
import { operationSignal } from './deadline.js'
import type { ContentCache } from './cache.js'
import type { Reconciler } from './reconciler.js'
import type { Logger } from '@chorus-dht/types'

export interface BackgroundComponents {
  cache: ContentCache
  reconciler: Reconciler
  log: Logger
}

export interface BackgroundInit {
  cacheCleanupInterval: number
  /** 0 disables the reconcile loop. */
  reconcileInterval: number
  /** Deadline of one background reconcile, ms. */
  timeout: number
}

/**
 * The store's background work while started: the cache cleanup loop, the
 * reconcile loop, and finishing the writes a killed process left pending.
 * `start()` is idempotent, `stop()` safe before `start()` and leaves no timer.
 */
export class Background {
  private readonly components: BackgroundComponents
  private readonly init: BackgroundInit
  private cleanupTimer?: ReturnType<typeof setInterval>
  private reconcileTimer?: ReturnType<typeof setTimeout>
  private controller?: AbortController

  constructor (components: BackgroundComponents, init: BackgroundInit) {
    this.components = components
    this.init = init
  }

  start (): void {
    if (this.controller != null) return
    const controller = new AbortController()
    this.controller = controller
    this.startCacheCleanup(this.init.cacheCleanupInterval)
    if (this.init.reconcileInterval > 0) this.scheduleReconcile(controller.signal)
    // stores a killed process accepted but never acknowledged
    void this.components.reconciler.resumePending(controller.signal).catch(err => {
      if (!controller.signal.aborted) this.components.log.error('could not finish pending writes - %e', err)
    })
  }

  stop (): void {
    this.controller?.abort()
    this.controller = undefined
    if (this.cleanupTimer != null) clearInterval(this.cleanupTimer)
    if (this.reconcileTimer != null) clearTimeout(this.reconcileTimer)
    this.cleanupTimer = undefined
    this.reconcileTimer = undefined
  }

  /** (Re)starts the cache cleanup loop at `intervalMs`. */
  startCacheCleanup (intervalMs: number): void {
    positiveNumber('intervalMs', intervalMs)
    if (this.cleanupTimer != null) clearInterval(this.cleanupTimer)
    this.cleanupTimer = setInterval(() => {
      const dropped = this.components.cache.cleanup()
      if (dropped > 0) this.components.log('cache cleanup dropped %d expired entries', dropped)
    }, intervalMs)
  }

  private scheduleReconcile (stopped: AbortSignal): void {
    this.reconcileTimer = setTimeout(() => {
      if (stopped.aborted) return
      const op = operationSignal(this.init.timeout, stopped)
      this.components.reconciler.reconcile(op.signal)
        .catch(err => {
          if (!stopped.aborted) this.components.log.error('background reconcile failed - %e', err)
        })
        .finally(() => {
          op.clear()
          if (!stopped.aborted) this.scheduleReconcile(stopped)
        })
    }, this.init.reconcileInterval)
  }
}
