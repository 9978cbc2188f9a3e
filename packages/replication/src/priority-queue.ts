import { AbortError } from '@chorus-dht/types'

interface Job {
  priority: number
  seq: number
  run: () => Promise<unknown>
  resolve: (value: any) => void
  reject: (err: unknown) => void
}

/**
 * Runs at most `concurrency` jobs at once; a waiting job with a higher
 * priority starts first, equal priorities in the order they were added.
 *
 * Written here rather than taken from `@libp2p/utils`' `PriorityQueue`,
 * which orders jobs the same way, because of two things the manager's
 * lifecycle promises (STYLE 8, `test/loops.spec.ts` "leaves no timer
 * behind"): that queue emits its `empty`/`idle` events through a 1 ms
 * debounce `setTimeout` armed when the last job ends, so `stop()` would
 * leave a timer behind unless we reached into its private debouncers; and
 * its `abort()`/`clear()` drop waiting jobs without settling their
 * promises, while {@link PriorityQueue.clear} here rejects them with
 * `AbortError` so no caller hangs.
 */
export class PriorityQueue {
  private readonly concurrency: number
  private readonly pending: Job[] = []
  private seq = 0
  /** Jobs running now. */
  running = 0
  /** The most jobs that ever ran at once. */
  maxRunning = 0

  constructor (concurrency: number) {
    this.concurrency = concurrency
  }

  /** Jobs waiting for a slot. */
  get size (): number {
    return this.pending.length
  }

  add<T> (priority: number, run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ priority, seq: this.seq++, run, resolve, reject })
      this.pending.sort((a, b) => b.priority - a.priority || a.seq - b.seq)
      this.next()
    })
  }

  /** Rejects every waiting job with `AbortError`; running jobs finish on their own signal. */
  clear (): void {
    for (const job of this.pending.splice(0)) {
      job.reject(new AbortError('The replication manager stopped'))
    }
  }

  private next (): void {
    while (this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!
      this.running++
      this.maxRunning = Math.max(this.maxRunning, this.running)
      Promise.resolve()
        .then(job.run)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.running--
          this.next()
        })
    }
  }
}
