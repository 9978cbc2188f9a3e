import type { ContentEntry, Counters } from './provider-book.js'
import type { Clock, DHT } from '@chorus-dht/types'

export interface AnnouncerComponents {
  dht: DHT
  clock: Clock
  counters: Counters
  /** Whether the manager is stopping: a failure then is the abort, not counted. */
  stopping(): boolean
}

/** Announces that this node provides a key (`dht.provide`) and counts the outcome. */
export class Announcer {
  private readonly components: AnnouncerComponents

  constructor (components: AnnouncerComponents) {
    this.components = components
  }

  async announce (e: ContentEntry, signal: AbortSignal, fromReprovideLoop: boolean): Promise<void> {
    if (signal.aborted) throw signal.reason
    const { dht, clock, counters } = this.components
    if (fromReprovideLoop) counters.reprovideOperations++
    try {
      await dht.provide(e.key, { signal })
    } catch (err) {
      if (!this.components.stopping()) counters.failedReplications++
      throw err
    }
    counters.successfulReplications++
    e.lastReplication = clock.now()
  }
}
