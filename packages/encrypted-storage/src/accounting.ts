import type { AuditEntry, AuditOperation, AuditSink, Clock, Logger, StorageMetrics } from '@chorus-dht/types'

export interface AccountingComponents {
  audit?: AuditSink
  clock: Clock
  log: Logger
  /** The node id audit entries name. */
  nodeId: string
}

/** The storage's audit trail and metrics, kept in one place for every operation. */
export class StorageAccounting {
  private readonly components: AccountingComponents
  private readonly counts = {
    storedItems: 0,
    retrievedItems: 0,
    cacheHits: 0,
    cacheMisses: 0,
    encryptionOps: 0,
    decryptionOps: 0,
    storeTimeTotal: 0,
    retrieveTimeTotal: 0,
    lastUpdate: 0,
    errors: 0
  }

  constructor (components: AccountingComponents) {
    this.components = components
  }

  /** Appends an audit entry; an unavailable sink is logged and never fails the operation. */
  async audit (operation: AuditOperation, fields: Partial<AuditEntry>): Promise<void> {
    const { audit: sink, clock, log, nodeId } = this.components
    if (sink == null) return
    const entry: AuditEntry = {
      timestamp: clock.now(),
      operation,
      nodeId,
      address: fields.address ?? '',
      role: fields.role ?? '',
      contentType: fields.contentType ?? '',
      size: fields.size ?? 0,
      success: fields.success ?? true
    }
    if (fields.error != null) entry.error = fields.error
    try {
      await sink.append(entry)
    } catch (err) {
      // an unavailable audit sink must not turn a completed operation into a failure
      log.error('could not append audit entry for %s %s - %e', operation, entry.address, err)
    }
  }

  encrypted (): void { this.counts.encryptionOps++ }
  decrypted (): void { this.counts.decryptionOps++ }
  cacheMiss (): void { this.counts.cacheMisses++ }

  stored (startedAt: number): void {
    this.counts.storedItems++
    this.counts.storeTimeTotal += performance.now() - startedAt
    this.touch()
  }

  retrieved (startedAt: number, fromCache: boolean): void {
    if (fromCache) this.counts.cacheHits++
    this.counts.retrievedItems++
    this.counts.retrieveTimeTotal += performance.now() - startedAt
    this.touch()
  }

  failed (): void {
    this.counts.errors++
    this.touch()
  }

  private touch (): void {
    this.counts.lastUpdate = this.components.clock.now()
  }

  snapshot (cache: { size: number, bytes: number }): StorageMetrics {
    const m = this.counts
    return {
      storedItems: m.storedItems,
      retrievedItems: m.retrievedItems,
      cacheHits: m.cacheHits,
      cacheMisses: m.cacheMisses,
      encryptionOps: m.encryptionOps,
      decryptionOps: m.decryptionOps,
      averageStoreTime: m.storedItems === 0 ? 0 : m.storeTimeTotal / m.storedItems,
      averageRetrieveTime: m.retrievedItems === 0 ? 0 : m.retrieveTimeTotal / m.retrievedItems,
      lastUpdate: m.lastUpdate,
      cacheEntries: cache.size,
      cacheBytes: cache.bytes,
      errors: m.errors
    }
  }
}
