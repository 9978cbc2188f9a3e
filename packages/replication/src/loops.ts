import { repeatingTask } from '@libp2p/utils'
import type { Announcer } from './announcer.js'
import type { Counters, ProviderBook } from './provider-book.js'
import type { RepairScheduler } from './repair-scheduler.js'
import type { PriorityQueue } from './priority-queue.js'
import type { Tasks } from './tasks.js'
import type { Clock, ComponentLogger, Logger } from '@chorus-dht/types'
import type { RepeatingTask } from '@libp2p/utils'

export interface ReplicationLoopsComponents {
  book: ProviderBook
  queue: PriorityQueue
  tasks: Tasks
  announcer: Announcer
  /** Measures a key and schedules its repair when needed. */
  checker: Pick<RepairScheduler, 'check'>
  clock: Clock
  counters: Counters
  logger: ComponentLogger
}

export interface ReplicationLoopsInit {
  enableReprovide: boolean
  reprovideInterval: number
  cleanupInterval: number
  checkInterval: number
  providerTTL: number
  operationTimeout: number
  /** The manager's prefix; this logs as `<logPrefix>:loops`. */
  logPrefix: string
}

/**
 * The three periodic loops: reprovide, check and cleanup, each a
 * `repeatingTask` of `@libp2p/utils`. A round starts one interval after the
 * previous one ended (rounds never overlap). No `timeout` option: every key
 * of a round runs under its own `operationTimeout`, so a long round is not
 * cut off at its later keys. `stop()` clears the timers; the round in flight
 * ends on the lifecycle signal and is awaited by the manager (`Tasks`).
 */
export class ReplicationLoops {
  private readonly c: ReplicationLoopsComponents
  private readonly init: ReplicationLoopsInit
  private readonly log: Logger
  private loops: RepeatingTask[] = []

  constructor (components: ReplicationLoopsComponents, init: ReplicationLoopsInit) {
    this.c = components
    this.init = init
    this.log = components.logger.forComponent(`${init.logPrefix}:loops`)
  }

  start (): void {
    // a fresh task per start: a round still settling from before a stop cannot reschedule a new one
    const round = (fn: (signal: AbortSignal) => Promise<void>) => async (): Promise<void> => {
      const signal = this.c.tasks.signal
      if (signal == null || signal.aborted) return
      await this.c.tasks.track(fn(signal)).catch((err: unknown) => {
        if (!signal.aborted) this.log.error('replication loop round failed - %e', err)
      })
    }
    if (this.init.enableReprovide) this.loops.push(repeatingTask(round(async (s) => { await this.reprovideAll(s) }), this.init.reprovideInterval))
    this.loops.push(repeatingTask(round(async () => { this.cleanup() }), this.init.cleanupInterval))
    this.loops.push(repeatingTask(round(async (s) => { await this.checkAll(s) }), this.init.checkInterval))
    for (const loop of this.loops) loop.start()
  }

  stop (): void {
    for (const loop of this.loops) loop.stop()
    this.loops = []
  }

  /** Announces every tracked key, highest priority first, through the shared queue. */
  private async reprovideAll (signal: AbortSignal): Promise<void> {
    const { book, queue, tasks, announcer, counters } = this.c
    const jobs = book.byPriority().map(async e => queue.add(e.priority, async () => {
      if (!book.isTracked(e)) return
      await tasks.run(`reprovide(${e.key})`, this.init.operationTimeout, [signal], async (s) => { await announcer.announce(e, s, true) })
    }))
    const results = await Promise.allSettled(jobs)
    const failed = results.filter(r => r.status === 'rejected').length
    counters.lastReprovideTime = this.c.clock.now()
    this.log('reprovided %d keys, %d failed', results.length - failed, failed)
  }

  /** Measures every tracked key, highest priority first; unhealthy ones get a repair scheduled. */
  private async checkAll (signal: AbortSignal): Promise<void> {
    const { book, queue, tasks, checker } = this.c
    await Promise.allSettled(book.byPriority().map(async e => queue.add(e.priority, async () => {
      if (!book.isTracked(e)) return
      await tasks.run(`check(${e.key})`, this.init.operationTimeout, [signal], async (s) => checker.check(e, s))
    })))
  }

  /** Drops provider records unconfirmed for longer than `providerTTL`. */
  private cleanup (): void {
    const now = this.c.clock.now()
    const dropped = this.c.book.dropStale(now, this.init.providerTTL)
    this.c.counters.lastCleanupTime = now
    this.log('cleanup dropped %d stale provider records', dropped)
  }
}
