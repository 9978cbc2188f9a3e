import { headKeyOf, versionKeyOf } from './keys.js'
import { throwIfAborted } from './deadline.js'
import { isSameWrite } from './publisher.js'
import type { Publisher } from './publisher.js'
import type { RecordFetcher } from './record-fetcher.js'
import type { KeyedLock, WriteLedger } from './write-ledger.js'
import type { ConflictReport } from './index.js'
import type { AuditEntry, AuditOperation, Clock, Logger } from '@chorus-dht/types'

export interface ReconcilerComponents {
  ledger: WriteLedger
  lock: KeyedLock
  fetcher: RecordFetcher
  publisher: Publisher
  /** Ledger ids of stores running in this process: not leftovers to finish. */
  inFlight: Set<string>
  audit(operation: AuditOperation, fields: Partial<AuditEntry>): Promise<void>
  /** Drops the cached content of an address. */
  invalidate(logical: string): void
  clock: Clock
  log: Logger
}

export interface ReconcilerInit {
  conflictWindow: number
  conflictMaxWrites: number
  timeout: number
}

/**
 * After the ack: finishes the stores a killed process left pending, and
 * re-checks this node's acknowledged writes of the last `conflictWindow`.
 */
export class Reconciler {
  private readonly components: ReconcilerComponents
  private readonly init: ReconcilerInit
  private running: Promise<unknown> = Promise.resolve()

  constructor (components: ReconcilerComponents, init: ReconcilerInit) {
    this.components = components
    this.init = init
  }

  /** One run at a time, so a lost write is never re-published twice. */
  async reconcile (signal: AbortSignal): Promise<ConflictReport[]> {
    const run = this.running.catch(() => {}).then(async () => this.reconcileOnce(signal))
    this.running = run
    return run
  }

  /**
   * A version whose key another writer won is re-published as a later
   * version, reported and audited as `conflict`; the ledger is read from
   * the datastore, so also a previous process's writes are checked. Pending
   * writes are finished first.
   */
  private async reconcileOnce (signal: AbortSignal): Promise<ConflictReport[]> {
    const { ledger, lock, fetcher, publisher, clock, log } = this.components
    await this.resumePending(signal)
    const reports: ConflictReport[] = []
    const now = clock.now()
    const acked = (await ledger.all({ signal })).filter(e => e.state === 'acked')
    const addresses = new Set<string>()
    for (const [i, entry] of acked.entries()) {
      if (now - entry.at > this.init.conflictWindow || acked.length - i > this.init.conflictMaxWrites) {
        await ledger.delete(entry.id, { signal })
        continue
      }
      const { metadata } = entry
      const winner = await fetcher.repairKey(versionKeyOf(metadata.address, metadata.version), metadata.address, signal)
      addresses.add(metadata.address)
      if (winner != null && isSameWrite(winner.metadata, metadata)) continue
      this.components.invalidate(metadata.address)
      const head = await fetcher.fetchHead(metadata.address, signal)
      const next = Math.max(metadata.version, head?.metadata.version ?? 0) + 1
      log('version %d of %s lost to %s; re-publishing as version %d', metadata.version, metadata.address, winner?.metadata.signer, next)
      const republished = await lock.run(metadata.address, async () => publisher.publish(entry.id, metadata.address, metadata, entry.ciphertext, signal, next), signal)
      reports.push({ lost: metadata, republished })
      await this.components.audit('conflict', {
        address: metadata.address,
        role: metadata.creatorRole,
        contentType: metadata.contentType,
        size: metadata.size,
        success: true,
        error: `version ${metadata.version} went to ${winner?.metadata.signer ?? 'another writer'}; re-published as version ${republished.version}`
      })
    }
    // a head put that landed late may have replaced a newer head on some peers
    for (const address of addresses) {
      throwIfAborted(signal, this.init.timeout)
      await fetcher.repairKey(headKeyOf(address), address, signal)
    }
    return reports
  }

  /**
   * Finishes the stores a previous process accepted but did not acknowledge
   * (it was killed mid-store): each is published as a new version. A store
   * that cannot be finished now stays pending for the next try.
   */
  async resumePending (signal: AbortSignal): Promise<number> {
    const { ledger, lock, publisher, inFlight, log } = this.components
    let finished = 0
    for (const entry of await ledger.all({ signal })) {
      if (entry.state !== 'pending' || inFlight.has(entry.id)) continue
      inFlight.add(entry.id)
      try {
        const { address } = entry.metadata
        const metadata = await lock.run(address, async () => publisher.publish(entry.id, address, entry.metadata, entry.ciphertext, signal), signal)
        finished++
        log('finished a pending store of %s as version %d', metadata.address, metadata.version)
        await this.components.audit('store', { address: metadata.address, role: metadata.creatorRole, contentType: metadata.contentType, size: metadata.size, success: true })
      } catch (err) {
        if (signal.aborted) throw err
        log.error('could not finish a pending store of %s (kept for the next try) - %e', entry.metadata.address, err)
      } finally {
        inFlight.delete(entry.id)
      }
    }
    return finished
  }
}
