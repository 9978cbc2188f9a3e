import type { ReplicationManager } from '@chorus-dht/replication'
import type { Logger as PinoLogger } from 'pino'

/** What the tracker needs from the node. */
export interface ReplicationTrackerInit {
  replication: ReplicationManager
  log: PinoLogger
  /** Whether the node is starting or started; the workers end otherwise. */
  running(): boolean
  /** Keys tracked at once. */
  concurrency: number
}

/**
 * Hands the records this node wrote to the replication manager. Tracking
 * announces the key and measures its replicas over the network, so it runs
 * from a queue, a few keys at a time, behind the requests; a tracking
 * failure never fails the store that already succeeded.
 */
export class ReplicationTracker {
  private readonly queued = new Map<string, number>()
  private workers = 0

  constructor (private readonly init: ReplicationTrackerInit) {}

  track (key: string, size: number): void {
    if (!this.queued.has(key)) this.queued.set(key, size)
    while (this.workers < this.init.concurrency && this.queued.size > 0) {
      this.workers++
      void this.drain().finally(() => { this.workers-- })
    }
  }

  /** Drops a key still waiting to be tracked (a forgotten address). */
  untrack (key: string): void {
    this.queued.delete(key)
  }

  /** Drops every waiting key (the node stops). */
  clear (): void {
    this.queued.clear()
  }

  /** Tracks every record of `records` (after a restart: the storage's ledger). */
  async trackAll (records: AsyncIterable<{ key: string, size: number }>): Promise<void> {
    try {
      for await (const r of records) this.track(r.key, r.size)
    } catch (err: any) {
      this.init.log.warn({ err }, 'could not re-track stored content')
    }
  }

  private async drain (): Promise<void> {
    while (this.init.running()) {
      const next = this.queued.entries().next()
      if (next.done === true) return
      const [key, size] = next.value
      this.queued.delete(key)
      try {
        await this.init.replication.addContent(key, size, 1)
      } catch (err: any) {
        if (this.init.running()) this.init.log.warn({ err, key }, 'replication tracking failed')
      }
    }
  }
}
