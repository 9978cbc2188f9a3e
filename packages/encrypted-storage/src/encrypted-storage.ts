/**
 * The facade of the store (over 400 lines on purpose: it is the one place
 * each public operation of `EncryptedStorage` checks its arguments and does
 * its audit and metrics around calls into the parts; the protocols
 * themselves live in publisher.ts, reconciler.ts, reader.ts and
 * record-fetcher.ts).
 */
import { headKey, InvalidUcxlAddressError, parseLenient, versionKey, withTemporal } from '@chorus-dht/ucxl'
import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { StorageAccounting } from './accounting.js'
import { ContentCache } from './cache.js'
import { ContentIndex } from './content-index.js'
import { DEFAULT_SEARCH_LIMIT } from './constants.js'
import { nonNegativeInteger, positiveNumber } from '@chorus-dht/utils'
import { operationSignal, throwIfAborted } from './deadline.js'
import type { OperationSignal } from './deadline.js'
import { AccessDeniedError, IntegrityError, InvalidParametersError, TimeoutError } from './errors.js'
import { resolveInit } from './options.js'
import { Publisher } from './publisher.js'
import { Reader } from './reader.js'
import { Reconciler } from './reconciler.js'
import { sha256Hex } from './record.js'
import { RecordFetcher } from './record-fetcher.js'
import { checkContentSize, checkStore, readersFor } from './store-policy.js'
import { KeyedLock, WriteLedger } from './write-ledger.js'
import type { ConflictReport, EncryptedStorage, EncryptedStorageComponents, EncryptedStorageEvents, EncryptedStorageInit, OwnRecord, PublishedEventDetail } from './index.js'
import type { ResolvedInit } from './options.js'
import type {
  AbortOptions, Clock, Logger, PeerInfo, RetrievedContent, RetrieveOptions, SearchQuery, StorageMetrics, StoreOptions, UCXLAddress, UCXLMetadata
} from '@chorus-dht/types'

function copy (m: UCXLMetadata): UCXLMetadata {
  return { ...m, encryptedFor: [...m.encryptedFor], dhtPeers: [...m.dhtPeers] }
}

function checkLimit (limit: number | undefined): number {
  if (limit == null) return DEFAULT_SEARCH_LIMIT
  return nonNegativeInteger('limit', limit)
}

function ownRecordsOf (m: Pick<UCXLMetadata, 'address' | 'version' | 'size'>): OwnRecord[] {
  return [
    { key: versionKey(m.address, m.version), address: m.address, version: m.version, size: m.size, kind: 'version' },
    { key: headKey(m.address), address: m.address, version: m.version, size: m.size, kind: 'head' }
  ]
}

/**
 * The UCXL content store: see {@link EncryptedStorage}. A facade over its
 * parts, each with narrow components: the {@link Publisher} (the claim
 * protocol), the {@link Reconciler} (pending and acknowledged own writes),
 * the {@link Reader} (temporal resolution, history), the
 * {@link RecordFetcher} (reads, verification, repair) and the
 * {@link StorageAccounting} (audit and metrics).
 */
export class DefaultEncryptedStorage extends TypedEventEmitter<EncryptedStorageEvents> implements EncryptedStorage {
  private readonly components: EncryptedStorageComponents
  private readonly init: ResolvedInit
  private readonly log: Logger
  private readonly clock: Clock
  private readonly cache: ContentCache
  private readonly index: ContentIndex
  private readonly ledger: WriteLedger
  private readonly lock = new KeyedLock()
  /** Ledger ids of stores running in this process (not to be resumed as leftovers). */
  private readonly inFlight = new Set<string>()
  private readonly accounting: StorageAccounting
  private readonly fetcher: RecordFetcher
  private readonly publisher: Publisher
  private readonly reconciler: Reconciler
  private readonly reader: Reader
  private cleanupTimer?: ReturnType<typeof setInterval>
  private reconcileTimer?: ReturnType<typeof setTimeout>
  private controller?: AbortController
  private started = false

  constructor (components: EncryptedStorageComponents, init: EncryptedStorageInit = {}) {
    super()
    this.components = components
    this.init = resolveInit(init)
    const logger = components.logger ?? defaultLogger()
    const prefix = this.init.logPrefix
    const log = logger.forComponent(prefix)
    const clock = components.clock ?? { now: () => Date.now() }
    this.log = log
    this.clock = clock
    const { timeout } = this.init
    this.cache = new ContentCache({ ttl: this.init.cacheTtl, maxEntries: this.init.cacheMaxEntries, maxBytes: this.init.cacheMaxBytes, now: () => clock.now() })
    this.index = new ContentIndex(components.datastore, this.init.indexPrefix)
    this.ledger = new WriteLedger(components.datastore, this.init.ledgerPrefix)
    this.accounting = new StorageAccounting({ audit: components.audit, clock, log, nodeId: components.signer.peerId })
    this.fetcher = new RecordFetcher({ dht: components.dht, log: logger.forComponent(`${prefix}:record-fetcher`) }, {
      validation: { maxRecordSize: this.init.maxRecordSize, maxClockSkew: this.init.maxClockSkew, clock, ...(components.writeAuthority != null ? { writeAuthority: components.writeAuthority } : {}) },
      headQuorum: this.init.headQuorum,
      repairPeers: this.init.repairPeers,
      onInvalid: logical => { this.invalidate(logical) }
    })
    this.publisher = new Publisher({ dht: components.dht, writeAuthority: components.writeAuthority, signer: components.signer, fetcher: this.fetcher, ledger: this.ledger, index: this.index, clock, log: logger.forComponent(`${prefix}:publisher`) }, {
      maxRecordSize: this.init.maxRecordSize,
      confirmWrites: this.init.confirmWrites,
      maxRepublishAttempts: this.init.maxRepublishAttempts,
      timeout,
      onPublished: m => { this.safeDispatchEvent<PublishedEventDetail>('published', { detail: { metadata: copy(m), records: ownRecordsOf(m) } }) }
    })
    this.reconciler = new Reconciler({
      ledger: this.ledger,
      lock: this.lock,
      fetcher: this.fetcher,
      publisher: this.publisher,
      inFlight: this.inFlight,
      audit: async (op, fields) => { await this.accounting.audit(op, fields) },
      invalidate: logical => { this.invalidate(logical) },
      clock,
      log: logger.forComponent(`${prefix}:reconciler`)
    }, { conflictWindow: this.init.conflictWindow, conflictMaxWrites: this.init.conflictMaxWrites, timeout })
    this.reader = new Reader({ fetcher: this.fetcher, log: logger.forComponent(`${prefix}:reader`) }, { historyLimit: this.init.historyLimit, historyConcurrency: this.init.historyConcurrency, timeout })
  }

  get nodeId (): string {
    return this.components.signer.peerId
  }

  // --- lifecycle -----------------------------------------------------------

  start (): void {
    if (this.started) return
    this.started = true
    const controller = new AbortController()
    this.controller = controller
    this.startCacheCleanup(this.init.cacheCleanupInterval)
    if (this.init.reconcileInterval > 0) this.scheduleReconcile()
    // stores a killed process accepted but never acknowledged
    void this.reconciler.resumePending(controller.signal).catch(err => {
      if (!controller.signal.aborted) this.log.error('could not finish pending writes - %e', err)
    })
  }

  stop (): void {
    this.started = false
    this.controller?.abort()
    this.controller = undefined
    if (this.cleanupTimer != null) clearInterval(this.cleanupTimer)
    if (this.reconcileTimer != null) clearTimeout(this.reconcileTimer)
    this.cleanupTimer = undefined
    this.reconcileTimer = undefined
  }

  private scheduleReconcile (): void {
    this.reconcileTimer = setTimeout(() => {
      const signal = this.controller?.signal
      if (signal == null || signal.aborted) return
      this.reconcile({ signal })
        .catch(err => {
          if (!signal.aborted) this.log.error('background reconcile failed - %e', err)
        })
        .finally(() => {
          if (this.started && this.controller?.signal === signal) this.scheduleReconcile()
        })
    }, this.init.reconcileInterval)
  }

  startCacheCleanup (intervalMs: number = this.init.cacheCleanupInterval): void {
    positiveNumber('intervalMs', intervalMs)
    if (this.cleanupTimer != null) clearInterval(this.cleanupTimer)
    this.cleanupTimer = setInterval(() => {
      const dropped = this.cleanupCache()
      if (dropped > 0) this.log('cache cleanup dropped %d expired entries', dropped)
    }, intervalMs)
  }

  cleanupCache (): number {
    return this.cache.cleanup()
  }

  // --- helpers -------------------------------------------------------------

  /** The signal of one public operation: the caller's, bounded by the default deadline. `clear()` it when done. */
  private operation (options?: AbortOptions): OperationSignal {
    return operationSignal(this.init.timeout, options?.signal)
  }

  private async withOperation<T> (options: AbortOptions | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const op = this.operation(options)
    try {
      return await fn(op.signal)
    } finally {
      op.clear()
    }
  }

  /** Our own deadline, surfacing as whatever the aborted step threw, becomes a named TimeoutError. */
  private timedOut (err: any, signal: AbortSignal, what: string): Error {
    if (signal.aborted && err?.name !== TimeoutError.name && signal.reason?.name === 'TimeoutError') {
      return new TimeoutError(`${what} did not finish within ${this.init.timeout} ms`, { cause: err })
    }
    return err
  }

  private address (address: string): { parsed: UCXLAddress, logical: string } {
    if (typeof address !== 'string') {
      throw new InvalidUcxlAddressError('scheme', 'address must be a string', String(address))
    }
    const parsed = parseLenient(address)
    return { parsed, logical: withTemporal(parsed, { type: 'latest' }).raw }
  }

  private invalidate (logical: string): number {
    return this.cache.deleteWhere((_, entry) => entry.metadata.address === logical)
  }

  private cacheContent (content: Uint8Array, metadata: UCXLMetadata, ...keys: string[]): void {
    // a private copy: the caller may reuse its buffer
    const own = content.slice()
    for (const key of keys) this.cache.set(key, own, copy(metadata))
  }

  private versionAddress (logical: string, version: number): string {
    return withTemporal(logical, { type: 'specific', count: version }).raw
  }

  // --- store ---------------------------------------------------------------

  async storeUCXLContent (address: string, content: Uint8Array, creatorRole: string, contentType: string, options?: StoreOptions): Promise<UCXLMetadata> {
    const started = performance.now()
    const op = this.operation(options)
    const signal = op.signal
    try {
      let logical: string | undefined
      try {
        const target = this.address(address)
        const at = target.logical
        logical = at
        checkStore(this.components.roles, target.parsed, address, content, creatorRole, contentType)
        const encryptedFor = readersFor(this.components, creatorRole, options?.readers)
        const base: UCXLMetadata = {
          address: at,
          creatorRole,
          encryptedFor,
          contentType,
          timestamp: this.clock.now(),
          size: content.byteLength,
          hash: '0'.repeat(64),
          dhtPeers: [],
          replicationFactor: this.init.replicationFactor,
          version: Number.MAX_SAFE_INTEGER,
          signer: this.nodeId
        }
        const certificate = this.components.writeAuthority?.certificateFor(creatorRole)
        if (this.components.writeAuthority != null && certificate == null) {
          throw new AccessDeniedError(`this node holds no certificate of the authority for role ${creatorRole}`)
        }
        checkContentSize(this.init.maxRecordSize, base, encryptedFor.length, certificate)
        throwIfAborted(signal, this.init.timeout)
        // exactly the roles the metadata names get a stanza
        const ciphertext = await this.components.crypto.encryptForMultipleRoles(content, encryptedFor, { signal })
        this.accounting.encrypted()
        base.hash = sha256Hex(ciphertext)
        const metadata = await this.claim(at, base, ciphertext, signal)
        this.cacheContent(content, metadata, at, this.versionAddress(at, metadata.version))
        this.accounting.stored(started)
        await this.accounting.audit('store', { address: at, role: creatorRole, contentType, size: content.byteLength, success: true })
        return copy(metadata)
      } catch (err: any) {
        this.accounting.failed()
        await this.accounting.audit('store', {
          address: logical ?? String(address).slice(0, 256),
          role: String(creatorRole),
          contentType: String(contentType),
          size: content?.byteLength ?? 0,
          success: false,
          error: `${err.name}: ${err.message}`
        })
        throw this.timedOut(err, signal, 'store')
      }
    } finally {
      op.clear()
    }
  }

  /**
   * Durable before anything goes out (a process killed from here on leaves
   * a pending write that the next start() finishes), then the claim under
   * the address's lock. A claim that fails removes its ledger entry: the
   * caller is told, nothing is left to finish.
   */
  private async claim (logical: string, base: UCXLMetadata, ciphertext: Uint8Array, signal: AbortSignal): Promise<UCXLMetadata> {
    const id = this.ledger.newId(this.clock.now())
    this.inFlight.add(id)
    try {
      await this.ledger.put({ id, state: 'pending', metadata: base, ciphertext, at: this.clock.now() }, { signal })
      return await this.lock.run(logical, async () => this.publisher.publish(id, logical, base, ciphertext, signal), signal)
        .catch(async (err) => {
          await this.ledger.delete(id).catch(e => { this.log.error('could not drop failed write %s - %e', id, e) })
          throw err
        })
    } finally {
      this.inFlight.delete(id)
    }
  }

  async reconcile (options?: AbortOptions): Promise<ConflictReport[]> {
    return this.withOperation(options, async (signal) => this.reconciler.reconcile(signal))
  }

  async * ownRecords (options?: AbortOptions): AsyncGenerator<OwnRecord> {
    const heads = new Set<string>()
    for await (const v of this.ledger.ownVersions(options)) {
      const [version, head] = ownRecordsOf(v)
      yield version
      if (!heads.has(v.address)) {
        heads.add(v.address)
        yield head
      }
    }
  }

  // --- retrieve ------------------------------------------------------------

  /** Refuses content the reading role may not read (no reader: the node's own identities decide). */
  private mayRead (reader: string | undefined, metadata: UCXLMetadata): void {
    if (reader === undefined || this.components.roles.canDecrypt(reader, metadata.creatorRole)) return
    throw new AccessDeniedError(`role ${reader} may not read content created by ${metadata.creatorRole}`)
  }

  /** A cached copy, if the cache may answer this reader: as decryption would, its stanza is in the content and this node holds its identity. */
  private cached (cacheKey: string, reader: string | undefined): { content: Uint8Array, metadata: UCXLMetadata } | undefined {
    const hit = this.cache.get(cacheKey)
    if (hit == null) return undefined
    if (reader !== undefined && !(hit.metadata.encryptedFor.includes(reader) && this.components.crypto.canDecryptContent(reader))) return undefined
    return hit
  }

  async retrieveUCXLContent (address: string, options?: RetrieveOptions): Promise<RetrievedContent> {
    const started = performance.now()
    const op = this.operation(options)
    const signal = op.signal
    try {
      let logical: string | undefined
      let metadata: UCXLMetadata | undefined
      try {
        const target = this.address(address)
        const at = target.logical
        logical = at
        const reader = options?.role
        if (reader !== undefined && (typeof reader !== 'string' || !this.components.roles.has(reader))) {
          throw new AccessDeniedError(`unknown role ${String(reader)} may not read`)
        }
        const cacheKey = target.parsed.raw
        if (options?.noCache !== true) {
          const hit = this.cached(cacheKey, reader)
          if (hit != null) {
            metadata = hit.metadata
            this.mayRead(reader, hit.metadata)
            this.accounting.retrieved(started, true)
            await this.accounting.audit('retrieve', { address: at, role: reader ?? hit.metadata.creatorRole, contentType: hit.metadata.contentType, size: hit.content.byteLength, success: true })
            return { content: hit.content.slice(), metadata: copy(hit.metadata), fromCache: true }
          }
          this.accounting.cacheMiss()
        }
        const record = await this.reader.resolve(at, target.parsed, signal)
        metadata = record.metadata
        throwIfAborted(signal, this.init.timeout)
        this.mayRead(reader, metadata)
        const content = await this.decrypt(at, record.ciphertext, metadata, reader, signal)
        const indexed = await this.index.get(at, { signal })
        if (indexed != null && indexed.version === metadata.version && indexed.hash === metadata.hash) {
          metadata = { ...metadata, dhtPeers: [...indexed.dhtPeers] }
        }
        this.cacheContent(content, metadata, cacheKey, this.versionAddress(at, metadata.version))
        await this.index.put(metadata, { signal })
        this.accounting.retrieved(started, false)
        await this.accounting.audit('retrieve', { address: at, role: reader ?? metadata.creatorRole, contentType: metadata.contentType, size: content.byteLength, success: true })
        return { content, metadata: copy(metadata), fromCache: false }
      } catch (err: any) {
        this.accounting.failed()
        await this.accounting.audit('retrieve', {
          address: logical ?? String(address).slice(0, 256),
          role: typeof options?.role === 'string' ? options.role : metadata?.creatorRole ?? '',
          contentType: metadata?.contentType ?? '',
          size: 0,
          success: false,
          error: `${err.name}: ${err.message}`
        })
        throw this.timedOut(err, signal, 'retrieve')
      }
    } finally {
      op.clear()
    }
  }

  /** Decrypts as `reader` (or with any held identity); a failure or a size mismatch drops the address's cache entries. */
  private async decrypt (logical: string, ciphertext: Uint8Array, metadata: UCXLMetadata, reader: string | undefined, signal: AbortSignal): Promise<Uint8Array> {
    const { crypto } = this.components
    let content: Uint8Array
    try {
      content = reader === undefined
        ? await crypto.decrypt(ciphertext, { signal })
        : await crypto.decryptWithRole(ciphertext, reader, { signal })
    } catch (err) {
      this.invalidate(logical)
      throw err
    }
    this.accounting.decrypted()
    if (content.byteLength !== metadata.size) {
      this.invalidate(logical)
      throw new IntegrityError(`decrypted ${content.byteLength} bytes where the record says ${metadata.size}`)
    }
    return content
  }

  async history (address: string, options?: AbortOptions): Promise<UCXLMetadata[]> {
    const op = this.operation(options)
    const signal = op.signal
    try {
      const { logical } = this.address(address)
      return (await this.reader.history(logical, signal)).map(copy)
    } finally {
      op.clear()
    }
  }

  // --- announce, discover, forget -------------------------------------------

  async announceContent (address: string, options?: AbortOptions): Promise<void> {
    const op = this.operation(options)
    const signal = op.signal
    try {
      let logical: string | undefined
      try {
        logical = this.address(address).logical
        await this.components.dht.provide(headKey(logical), { signal })
        const indexed = await this.index.get(logical, { signal })
        await this.accounting.audit('announce', { address: logical, role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size, success: true })
      } catch (err: any) {
        this.accounting.failed()
        await this.accounting.audit('announce', { address: logical ?? String(address).slice(0, 256), success: false, error: `${err.name}: ${err.message}` })
        throw err
      }
    } finally {
      op.clear()
    }
  }

  async discoverContentPeers (address: string, options?: AbortOptions): Promise<PeerInfo[]> {
    const op = this.operation(options)
    const signal = op.signal
    try {
      const { logical } = this.address(address)
      return this.components.dht.findProviders(headKey(logical), { signal })
    } finally {
      op.clear()
    }
  }

  async forget (address: string, options?: AbortOptions): Promise<boolean> {
    const op = this.operation(options)
    const signal = op.signal
    try {
      const { logical } = this.address(address)
      const indexed = await this.index.get(logical, { signal })
      const dropped = this.invalidate(logical)
      const removed = await this.index.delete(logical, { signal })
      await this.accounting.audit('delete', { address: logical, role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size, success: true })
      return dropped > 0 || removed
    } finally {
      op.clear()
    }
  }

  // --- index ---------------------------------------------------------------

  async listContentByRole (role: string, options?: AbortOptions & { limit?: number }): Promise<UCXLMetadata[]> {
    if (typeof role !== 'string' || role.length === 0) throw new InvalidParametersError('role must be a non-empty string')
    const limit = checkLimit(options?.limit)
    return this.withOperation(options, async (signal) => this.index.search({ creatorRole: role }, limit, { signal }))
  }

  async searchContent (query: SearchQuery, options?: AbortOptions): Promise<UCXLMetadata[]> {
    if (query == null || typeof query !== 'object') throw new InvalidParametersError('query must be an object')
    for (const field of ['createdAfter', 'createdBefore'] as const) {
      if (query[field] != null && !Number.isFinite(query[field])) throw new InvalidParametersError(`query.${field} must be a number of ms since the epoch`)
    }
    const limit = checkLimit(query.limit)
    return this.withOperation(options, async (signal) => this.index.search(query, limit, { signal }))
  }

  getMetrics (): StorageMetrics {
    return this.accounting.snapshot(this.cache)
  }
}
