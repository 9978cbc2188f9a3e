import { logWarning } from '@chorus-dht/utils'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { CALLER_ERRORS } from './health-monitor.js'
import { namespaceOf } from './record-policy.js'
import type { HealthMonitor } from './health-monitor.js'
import type { WriteJournal } from './journal.js'
import type { DHT, Logger, RecordSelector } from '@chorus-dht/types'

/** Errors with which the real DHT refuses a journaled record for good: replay drops it. */
const REFUSALS = new Set(['InvalidParametersError', 'RecordConflictError'])

export interface JournalReplayerComponents {
  real: DHT
  mock: DHT
  journal: WriteJournal
  /** Real-backend calls go through the monitor (timeout, metrics, the cut-off rule). */
  monitor: Pick<HealthMonitor, 'call' | 'checkReached'>
  /** Logs as `<logPrefix>:hybrid-dht:replay`. */
  log: Logger
}

export interface JournalReplayerInit {
  /** Selectors by namespace: a journaled record the real DHT holds a better one for is dropped. */
  selectors: Record<string, RecordSelector>
}

/**
 * Delivers the journal: on start it restores the journaled writes into the
 * mock (a restart mid-outage), and on recovery it replays them to the real
 * backend in order, removing each entry only once it was delivered or
 * dropped for good (a refusal, or a record the selector prefers held by the
 * network). One replay runs at a time.
 */
export class JournalReplayer {
  private readonly c: JournalReplayerComponents
  private readonly selectors: Record<string, RecordSelector>
  private replaying?: Promise<void>
  private dropped = 0

  constructor (components: JournalReplayerComponents, init: JournalReplayerInit) {
    this.c = components
    this.selectors = { ...init.selectors }
  }

  /** Journaled puts dropped instead of delivered, since this replayer was made. */
  get droppedWrites (): number {
    return this.dropped
  }

  /** Resolves when no replay is running (whatever its outcome). */
  async idle (): Promise<void> {
    await this.replaying?.catch(() => {})
  }

  /** Puts every journaled write into the mock, so it serves them; failures are logged. */
  async restore (signal: AbortSignal): Promise<void> {
    for (const e of this.c.journal.all()) {
      try {
        if (e.op === 'put' && e.value != null) await this.c.mock.putValue(e.key, e.value, { signal })
        else if (e.op === 'provide') await this.c.mock.provide(e.key, { signal })
      } catch (err: any) {
        if (signal.aborted) throw err
        this.c.log.error('could not restore journaled %s of %s into the mock - %e', e.op, e.key, err)
      }
    }
  }

  /** Replays the whole journal; a concurrent caller waits for the replay that is running. */
  async replay (signal: AbortSignal): Promise<void> {
    this.replaying ??= this.replayAll(signal).finally(() => { this.replaying = undefined })
    await this.replaying
  }

  private async replayAll (signal: AbortSignal): Promise<void> {
    const { real, journal, monitor, log } = this.c
    for (let entry = journal.peek(); entry != null; entry = journal.peek()) {
      const { key } = entry
      if (entry.op === 'provide') {
        await monitor.call('real', signal, async (s) => real.provide(key, { signal: s }))
      } else if (entry.value != null) {
        const value = entry.value
        let current: Uint8Array | undefined
        try {
          // what the network holds, not this node's own copy: a cut-off node
          // stored the record locally, and an equal local copy proves nothing
          current = await monitor.call('real', signal, async (s) => real.getValue(key, { remoteOnly: true, signal: s }))
        } catch (err: any) {
          if (!CALLER_ERRORS.has(err?.name)) throw err
        }
        const selector = this.selectorFor(key)
        if (current != null && selector != null && !bytesEqual(current, value) && selector(key, [current, value]) === 0) {
          this.dropped++
          logWarning(log, 'replay of %s dropped: the real backend holds a record its selector prefers', key)
        } else {
          // also when the network already holds these bytes: an identical re-put is accepted and costs little
          try {
            const put = await monitor.call('real', signal, async (s) => monitor.checkReached(key, await real.putValue(key, value, { signal: s })))
            if (put.remotePeers === 0 && put.refusedPeers > 0) {
              this.dropped++
              log.error('replay of %s: every remote peer reached (%d) keeps the record it holds; dropping it', key, put.refusedPeers)
            }
          } catch (err: any) {
            if (!REFUSALS.has(err?.name)) throw err
            // the real backend will never accept it: do not block the queue forever
            this.dropped++
            log.error('the real backend refused journaled record %s (%s), dropping it - %e', key, err.name, err)
          }
        }
      }
      await journal.remove(entry.seq, { signal })
    }
  }

  private selectorFor (key: string): RecordSelector | undefined {
    const ns = namespaceOf(key)
    return ns === undefined ? undefined : this.selectors[ns]
  }
}
