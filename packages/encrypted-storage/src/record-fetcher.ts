import { equals as bytesEqual } from 'uint8arrays/equals'
import { NotFoundError } from './errors.js'
import { headKeyOf } from './keys.js'
import { compareRecords, verifyRecord } from './record.js'
import type { DecodedRecord, RecordValidatorInit } from './record.js'
import type { DHT, Logger } from '@chorus-dht/types'

/** A verified record with the exact bytes it came as (re-encoding could change the signed header). */
export interface FetchedRecord extends DecodedRecord {
  value: Uint8Array
}

export interface RecordFetcherComponents {
  dht: DHT
  log: Logger
}

export interface RecordFetcherInit {
  validation: RecordValidatorInit
  /** Valid answers collected before the selector picks a head. */
  headQuorum: number
  /** Closest peers `repairKey` asks directly. */
  repairPeers: number
  /** Called with the logical address of a record that failed verification (its cache entries must go). */
  onInvalid(logical: string): void
}

/** Reads records from the DHT and verifies them; repairs a key's holders. */
export class RecordFetcher {
  private readonly components: RecordFetcherComponents
  private readonly init: RecordFetcherInit

  constructor (components: RecordFetcherComponents, init: RecordFetcherInit) {
    this.components = components
    this.init = init
  }

  /** Fetches and verifies the record at `key`; a bad record invalidates the address's cache entries. */
  async fetch (key: string, logical: string, quorum: number, signal: AbortSignal): Promise<FetchedRecord> {
    const value = await this.components.dht.getValue(key, { quorum, signal })
    try {
      return { ...await verifyRecord(key, value, this.init.validation), value }
    } catch (err) {
      this.init.onInvalid(logical)
      this.components.log.error('rejected record for %s at %s - %e', logical, key, err)
      throw err
    }
  }

  /**
   * This node's own valid copy of `key` (no network round), undefined when
   * it holds none; a copy that does not verify counts as none.
   */
  async local (key: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    const { dht, log } = this.components
    try {
      const value = await dht.getValueFromPeer(dht.peerId, key, { signal })
      if (value == null) return undefined
      return { ...await verifyRecord(key, value, this.init.validation), value }
    } catch (err) {
      signal.throwIfAborted()
      log('no usable local copy of %s - %e', key, err)
      return undefined
    }
  }

  /** The head of an address, undefined when there is none. */
  async fetchHead (logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    return this.winnerOf(headKeyOf(logical), logical, signal)
  }

  /** The network's record for `key` (quorum `headQuorum`), undefined when none. */
  async winnerOf (key: string, logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    try {
      return await this.fetch(key, logical, this.init.headQuorum, signal)
    } catch (err: any) {
      if (err.name === NotFoundError.name) return undefined
      throw err
    }
  }

  /**
   * Asks this node and the `repairPeers` closest peers for their copy of a
   * record, picks the best valid one with the selector's order and, when a
   * peer holds another (or a missing) copy, puts the best one again so every
   * holder converges on it. Resolves the best record, or `undefined` when no
   * peer holds a valid one. The one place that repairs a record's holders
   * (replication repairs replica counts by calling the DHT with the best copy).
   */
  async repairKey (key: string, logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    const { dht, log } = this.components
    const peers = await dht.getClosestPeers(key, { signal, limit: this.init.repairPeers })
    const answers = await Promise.all([dht.peerId, ...peers].map(async (peer) => {
      try {
        const value = await dht.getValueFromPeer(peer, key, { signal })
        if (value == null) return { peer }
        return { peer, record: { ...await verifyRecord(key, value, this.init.validation), value } }
      } catch (err) {
        signal.throwIfAborted()
        log('no copy of %s from %s - %e', key, peer, err)
        return undefined
      }
    }))
    let best: FetchedRecord | undefined
    for (const answer of answers) {
      if (answer?.record != null && (best == null || compareRecords(answer.record, best) < 0)) best = answer.record
    }
    if (best == null) return undefined
    const stale = answers.filter(a => a != null && (a.record == null || !bytesEqual(a.record.value, best.value)))
    if (stale.length > 0) {
      log('%d of %d holders of %s (%s) have another copy; putting the best again', stale.length, answers.length, key, logical)
      await dht.putValue(key, best.value, { signal }).catch(err => {
        signal.throwIfAborted()
        log('could not repair %s - %e', key, err)
      })
    }
    return best
  }
}
