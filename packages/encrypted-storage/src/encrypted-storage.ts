/**
 * The facade of the store: each public operation of `EncryptedStorage`
 * checks its arguments and calls into the parts, each with narrow
 * components and none calling back into the facade: the
 * {@link Operations} (deadline, audit and metrics around every
 * operation), the {@link Publisher} (the claim protocol), the
 * {@link Reconciler} (pending and acknowledged own writes), the
 * {@link Retrieval} and {@link Reader} (cache, temporal resolution,
 * decryption, history), the {@link RecordFetcher} (reads, verification,
 * repair) and {@link Background} (the loops while started).
 */
import { InvalidUcxlAddressError, parseLenient, withTemporal } from '@chorus-dht/ucxl'
import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { nonNegativeInteger, positiveInteger } from '@chorus-dht/utils'
import { StorageAccounting } from './accounting.js'
import { Background } from './background.js'
import { ContentCache } from './cache.js'
import { ContentIndex } from './content-index.js'
import { DEFAULT_SEARCH_LIMIT } from './constants.js'
import { throwIfAborted } from './deadline.js'
import { AccessDeniedError, InvalidParametersError } from './errors.js'
import { headKeyOf, versionKeyOf } from './keys.js'
import { Operations } from './operations.js'
import { resolveInit } from './options.js'
import { Publisher } from './publisher.js'
import { Reader } from './reader.js'
import { Reconciler } from './reconciler.js'
import { sha256Hex } from './record.js'
import { RecordFetcher } from './record-fetcher.js'
import { cacheContent, copyMetadata, invalidate, Retrieval, versionAddress } from './retrieval.js'
import { checkContentSize, checkStore, readersFor } from './store-policy.js'
import { KeyedLock, WriteLedger } from './write-ledger.js'
import type { AuditFields } from './operations.js'
import type { AddressRecordKeys, ConflictReport, EncryptedStorage, EncryptedStorageComponents, EncryptedStorageEvents, EncryptedStorageInit, OwnRecord, PublishedEventDetail } from './index.js'
import type { ResolvedInit } from './options.js'
import type {
  AbortOptions, Clock, PeerInfo, RetrievedContent, RetrieveOptions, SearchQuery, StorageMetrics, StoreOptions, UCXLAddress, UCXLMetadata
} from '@chorus-dht/types'

function checkLimit (limit: number | undefined): number {
  if (limit == null) return DEFAULT_SEARCH_LIMIT
  return nonNegativeInteger('limit', limit)
}

function ownRecordsOf (m: Pick<UCXLMetadata, 'address' | 'version' | 'size'>): OwnRecord[] {
  return [
    { key: versionKeyOf(m.address, m.version), address: m.address, version: m.version, size: m.size, kind: 'version' },
    { key: headKeyOf(m.address), address: m.address, version: m.version, size: m.size, kind: 'head' }
  ]
}

/** An address argument, parsed once: the address as given and its logical address (temporal `*^`). */
function target (address: string): { parsed: UCXLAddress, logical: string } {
  if (typeof address !== 'string') {
    throw new InvalidUcxlAddressError('scheme', 'address must be a string', String(address))
  }
  const parsed = parseLenient(address)
  return { parsed, logical: withTemporal(parsed, { type: 'latest' }).raw }
}

/** The audit address of an argument that may not parse. */
const clip = (address: unknown): string => String(address).slice(0, 256)

/** The UCXL content store: see {@link EncryptedStorage}. */
export class DefaultEncryptedStorage extends TypedEventEmitter<EncryptedStorageEvents> implements EncryptedStorage {
  private readonly components: EncryptedStorageComponents
  private readonly init: ResolvedInit
  private readonly clock: Clock
  private readonly cache: ContentCache
  private readonly index: ContentIndex
  private readonly ledger: WriteLedger
  private readonly accounting: StorageAccounting
  private readonly operations: Operations
  private readonly publisher: Publisher
  private readonly reconciler: Reconciler
  private readonly reader: Reader
  private readonly retrieval: Retrieval
  private readonly background: Background

  constructor (components: EncryptedStorageComponents, init: EncryptedStorageInit = {}) {
    super()
    this.components = components
    this.init = resolveInit(init)
    const logger = components.logger ?? defaultLogger()
    const prefix = this.init.logPrefix
    const clock = components.clock ?? { now: () => Date.now() }
    const { timeout } = this.init
    this.clock = clock
    const cache = new ContentCache({ ttl: this.init.cacheTtl, maxEntries: this.init.cacheMaxEntries, maxBytes: this.init.cacheMaxBytes, now: () => clock.now() })
    this.cache = cache
    this.index = new ContentIndex(components.datastore, this.init.indexPrefix)
    this.ledger = new WriteLedger(components.datastore, this.init.ledgerPrefix)
    const lock = new KeyedLock()
    const inFlight = new Set<string>()
    this.accounting = new StorageAccounting({ audit: components.audit, clock, log: logger.forComponent(prefix), nodeId: components.signer.peerId })
    this.operations = new Operations({ accounting: this.accounting }, { timeout })
    const fetcher = new RecordFetcher({ dht: components.dht, log: logger.forComponent(`${prefix}:record-fetcher`) }, {
      validation: { maxRecordSize: this.init.maxRecordSize, maxClockSkew: this.init.maxClockSkew, clock, ...(components.writeAuthority != null ? { writeAuthority: components.writeAuthority } : {}) },
      headQuorum: this.init.headQuorum,
      repairPeers: this.init.repairPeers,
      onInvalid: logical => { invalidate(cache, logical) }
    })
    this.publisher = new Publisher({ dht: components.dht, writeAuthority: components.writeAuthority, signer: components.signer, fetcher, ledger: this.ledger, index: this.index, lock, inFlight, clock, log: logger.forComponent(`${prefix}:publisher`) }, {
      maxRecordSize: this.init.maxRecordSize,
      confirmWrites: this.init.confirmWrites,
      maxRepublishAttempts: this.init.maxRepublishAttempts,
      timeout,
      onPublished: m => { this.safeDispatchEvent<PublishedEventDetail>('published', { detail: { metadata: copyMetadata(m), records: ownRecordsOf(m) } }) }
    })
    this.reconciler = new Reconciler({
      ledger: this.ledger,
      lock,
      fetcher,
      publisher: this.publisher,
      inFlight,
      audit: async (op, fields) => { await this.accounting.audit(op, fields) },
      invalidate: logical => { invalidate(cache, logical) },
      clock,
      log: logger.forComponent(`${prefix}:reconciler`)
    }, { conflictWindow: this.init.conflictWindow, conflictMaxWrites: this.init.conflictMaxWrites, timeout })
    this.reader = new Reader({ fetcher, log: logger.forComponent(`${prefix}:reader`) }, { historyLimit: this.init.historyLimit, historyConcurrency: this.init.historyConcurrency, timeout })
    this.retrieval = new Retrieval({ reader: this.reader, cache, index: this.index, crypto: components.crypto, roles: components.roles, accounting: this.accounting }, { timeout })
    this.background = new Background({ cache, reconciler: this.reconciler, log: logger.forComponent(prefix) }, {
      cacheCleanupInterval: this.init.cacheCleanupInterval,
      reconcileInterval: this.init.reconcileInterval,
      timeout
    })
  }

  get nodeId (): string {
    return this.components.signer.peerId
  }

  start (): void {
    this.background.start()
  }

  stop (): void {
    this.background.stop()
  }

  startCacheCleanup (intervalMs: number = this.init.cacheCleanupInterval): void {
    this.background.startCacheCleanup(intervalMs)
  }

  cleanupCache (): number {
    return this.cache.cleanup()
  }

  async storeUCXLContent (address: string, content: Uint8Array, creatorRole: string, contentType: string, options?: StoreOptions): Promise<UCXLMetadata> {
    const started = performance.now()
    const fields: AuditFields = { address: clip(address), role: String(creatorRole), contentType: String(contentType), size: content?.byteLength ?? 0 }
    return this.operations.audited('store', fields, options, async (signal) => {
      const { parsed, logical } = target(address)
      fields.address = logical
      checkStore(this.components.roles, parsed, address, content, creatorRole, contentType)
      const encryptedFor = readersFor(this.components, creatorRole, options?.readers)
      const base: UCXLMetadata = {
        address: logical,
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
      const metadata = await this.publisher.store(logical, base, ciphertext, signal)
      cacheContent(this.cache, content, metadata, logical, versionAddress(parsed, metadata.version))
      this.accounting.stored(started)
      return copyMetadata(metadata)
    })
  }

  async reconcile (options?: AbortOptions): Promise<ConflictReport[]> {
    return this.operations.run(options, async (signal) => this.reconciler.reconcile(signal))
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

  async retrieveUCXLContent (address: string, options?: RetrieveOptions): Promise<RetrievedContent> {
    const started = performance.now()
    const reader = options?.role
    // a failure names the reader (or the content's creator once known), and no size
    const fields: AuditFields = { address: clip(address), role: typeof reader === 'string' ? reader : '', contentType: '', size: 0 }
    const learn = (m: UCXLMetadata): void => {
      if (typeof reader !== 'string') fields.role = m.creatorRole
      fields.contentType = m.contentType
    }
    return this.operations.audited('retrieve', fields, options, async (signal) => {
      const { parsed, logical } = target(address)
      fields.address = logical
      if (reader !== undefined && (typeof reader !== 'string' || !this.components.roles.has(reader))) {
        throw new AccessDeniedError(`unknown role ${String(reader)} may not read`)
      }
      if (options?.noCache !== true) {
        const hit = this.retrieval.cached(parsed.raw, reader)
        if (hit != null) {
          learn(hit.metadata)
          this.retrieval.mayRead(reader, hit.metadata)
          this.accounting.retrieved(started, true)
          fields.size = hit.content.byteLength
          return { content: hit.content.slice(), metadata: copyMetadata(hit.metadata), fromCache: true }
        }
        this.accounting.cacheMiss()
      }
      const { content, metadata } = await this.retrieval.fromDht(logical, parsed, reader, signal, learn)
      this.accounting.retrieved(started, false)
      fields.size = content.byteLength
      return { content, metadata: copyMetadata(metadata), fromCache: false }
    })
  }

  async history (address: string, options?: AbortOptions): Promise<UCXLMetadata[]> {
    return this.operations.run(options, async (signal) => (await this.reader.history(target(address).logical, signal)).map(copyMetadata))
  }

  async announceContent (address: string, options?: AbortOptions): Promise<void> {
    const fields: AuditFields = { address: clip(address) }
    await this.operations.audited('announce', fields, options, async (signal) => {
      const { logical } = target(address)
      fields.address = logical
      await this.components.dht.provide(headKeyOf(logical), { signal })
      const indexed = await this.index.get(logical, { signal })
      Object.assign(fields, { role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size })
    })
  }

  async discoverContentPeers (address: string, options?: AbortOptions): Promise<PeerInfo[]> {
    return this.operations.run(options, async (signal) => this.components.dht.findProviders(headKeyOf(target(address).logical), { signal }))
  }

  /**
   * The DHT keys this store writes for an address (any temporal form): its
   * head and its version `n` records. The key scheme is this package's; an
   * application tracking or replicating the records asks here rather than
   * computing it. Throws `InvalidUcxlAddressError` for a bad address.
   */
  recordKeys (address: string): AddressRecordKeys {
    const { logical } = target(address)
    return { address: logical, head: headKeyOf(logical), version: (n: number) => versionKeyOf(logical, positiveInteger('version', n)) }
  }

  async forget (address: string, options?: AbortOptions): Promise<boolean> {
    return this.operations.run(options, async (signal) => {
      const { logical } = target(address)
      const indexed = await this.index.get(logical, { signal })
      const dropped = invalidate(this.cache, logical)
      const removed = await this.index.delete(logical, { signal })
      await this.accounting.audit('delete', { address: logical, role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size, success: true })
      return dropped > 0 || removed
    })
  }

  async listContentByRole (role: string, options?: AbortOptions & { limit?: number }): Promise<UCXLMetadata[]> {
    if (typeof role !== 'string' || role.length === 0) throw new InvalidParametersError('role must be a non-empty string')
    const limit = checkLimit(options?.limit)
    return this.operations.run(options, async (signal) => this.index.search({ creatorRole: role }, limit, { signal }))
  }

  async searchContent (query: SearchQuery, options?: AbortOptions): Promise<UCXLMetadata[]> {
    if (query == null || typeof query !== 'object') throw new InvalidParametersError('query must be an object')
    for (const field of ['createdAfter', 'createdBefore'] as const) {
      if (query[field] != null && !Number.isFinite(query[field])) throw new InvalidParametersError(`query.${field} must be a number of ms since the epoch`)
    }
    const limit = checkLimit(query.limit)
    return this.operations.run(options, async (signal) => this.index.search(query, limit, { signal }))
  }

  getMetrics (): StorageMetrics {
    return this.accounting.snapshot(this.cache)
  }
}
