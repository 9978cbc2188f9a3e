import {
  headKey,
  InvalidUcxlAddressError,
  parseLenient,
  resolveVersion,
  versionKey,
  withTemporal
} from '@chorus-dht/ucxl'
import { TypedEventEmitter } from 'main-event'
import { ContentCache } from './cache.js'
import { ContentIndex } from './content-index.js'
import {
  DEFAULT_CACHE_CLEANUP_INTERVAL,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_TTL,
  DEFAULT_CONFLICT_MAX_WRITES,
  DEFAULT_CONFLICT_WINDOW,
  DEFAULT_HEAD_QUORUM,
  DEFAULT_HISTORY_CONCURRENCY,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_INDEX_PREFIX,
  DEFAULT_LEDGER_PREFIX,
  DEFAULT_MAX_CLOCK_SKEW,
  DEFAULT_MAX_RECORD_SIZE,
  DEFAULT_MAX_REPUBLISH_ATTEMPTS,
  DEFAULT_RECONCILE_INTERVAL,
  DEFAULT_REPAIR_PEERS,
  DEFAULT_REPLICATION_FACTOR,
  DEFAULT_SEARCH_LIMIT,
  DEFAULT_TIMEOUT
} from './constants.js'
import {
  AccessDeniedError,
  BackendUnavailableError,
  IntegrityError,
  InvalidParametersError,
  NotFoundError,
  MissingRecipientError,
  RecordConflictError,
  RecordTooLargeError,
  TimeoutError,
  VersionConflictError
} from './errors.js'
import { KeyedLock, WriteLedger } from './write-ledger.js'
import { compareRecords, encodeRecord, envelopeOverhead, recordSigningBytes, sha256Hex, verifyRecord } from './record.js'
import type { DecodedRecord, RecordKind, RecordValidatorInit } from './record.js'
import type { ConflictReport, EncryptedStorage, EncryptedStorageComponents, EncryptedStorageEvents, EncryptedStorageInit, OwnRecord, PublishedEventDetail } from './index.js'
import type {
  AbortOptions,
  AuditEntry,
  AuditOperation,
  Clock,
  Logger,
  PeerInfo,
  PutResult,
  RetrievedContent,
  RetrieveOptions,
  SearchQuery,
  StorageMetrics,
  StoreOptions,
  UCXLAddress,
  UCXLMetadata
} from '@chorus-dht/types'

const noopLogger: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })

/** Bytes age adds around a plaintext, as an upper bound: header, one stanza per recipient, nonce and a tag per 64 KiB chunk. */
function ageOverhead (size: number, recipients: number): number {
  return 64 + 128 * Math.max(1, recipients) + 16 + 16 * Math.max(1, Math.ceil(size / 65536))
}

/** A verified record with the exact bytes it came as (re-encoding could change the signed header). */
interface FetchedRecord extends DecodedRecord {
  value: Uint8Array
}

/** Pauses `ms`, or rejects when `signal` aborts; leaves no timer behind. */
async function pause (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The UCXL content store: see {@link EncryptedStorage}.
 */
export class DefaultEncryptedStorage extends TypedEventEmitter<EncryptedStorageEvents> implements EncryptedStorage {
  private readonly components: EncryptedStorageComponents
  private readonly log: Logger
  private readonly clock: Clock
  private readonly cache: ContentCache
  private readonly index: ContentIndex
  private readonly validation: RecordValidatorInit
  private readonly maxRecordSize: number
  private readonly headQuorum: number
  private readonly replicationFactor: number
  private readonly timeout: number
  private readonly confirmWrites: boolean
  private readonly maxRepublishAttempts: number
  private readonly conflictWindow: number
  private readonly conflictMaxWrites: number
  private readonly reconcileInterval: number
  private readonly historyConcurrency: number
  private readonly historyLimit: number
  private readonly repairPeers: number
  private readonly cacheCleanupInterval: number
  private readonly ledger: WriteLedger
  private readonly lock = new KeyedLock()
  /** Ledger ids of stores running in this process (not to be resumed as leftovers). */
  private readonly inFlight = new Set<string>()
  private cleanupTimer?: ReturnType<typeof setInterval>
  private reconcileTimer?: ReturnType<typeof setTimeout>
  private controller?: AbortController
  private started = false
  private readonly metrics = {
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

  constructor (components: EncryptedStorageComponents, init: EncryptedStorageInit = {}) {
    super()
    this.components = components
    this.log = components.logger?.forComponent('chorus-dht:encrypted-storage') ?? noopLogger
    this.clock = components.clock ?? { now: () => Date.now() }
    this.maxRecordSize = positive('maxRecordSize', init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE)
    this.headQuorum = positive('headQuorum', init.headQuorum ?? DEFAULT_HEAD_QUORUM)
    this.replicationFactor = positive('replicationFactor', init.replicationFactor ?? DEFAULT_REPLICATION_FACTOR)
    this.timeout = positive('timeout', init.timeout ?? DEFAULT_TIMEOUT)
    this.confirmWrites = init.confirmWrites ?? true
    this.maxRepublishAttempts = nonNegative('maxRepublishAttempts', init.maxRepublishAttempts ?? DEFAULT_MAX_REPUBLISH_ATTEMPTS)
    this.conflictWindow = nonNegative('conflictWindow', init.conflictWindow ?? DEFAULT_CONFLICT_WINDOW)
    this.conflictMaxWrites = nonNegative('conflictMaxWrites', init.conflictMaxWrites ?? DEFAULT_CONFLICT_MAX_WRITES)
    this.reconcileInterval = nonNegative('reconcileInterval', init.reconcileInterval ?? DEFAULT_RECONCILE_INTERVAL)
    this.historyConcurrency = positive('historyConcurrency', init.historyConcurrency ?? DEFAULT_HISTORY_CONCURRENCY)
    this.historyLimit = positive('historyLimit', init.historyLimit ?? DEFAULT_HISTORY_LIMIT)
    this.repairPeers = positive('repairPeers', init.repairPeers ?? DEFAULT_REPAIR_PEERS)
    this.cacheCleanupInterval = positive('cacheCleanupInterval', init.cacheCleanupInterval ?? DEFAULT_CACHE_CLEANUP_INTERVAL)
    this.validation = {
      maxRecordSize: this.maxRecordSize,
      maxClockSkew: nonNegative('maxClockSkew', init.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW),
      clock: this.clock
    }
    this.cache = new ContentCache({
      ttl: positive('cacheTtl', init.cacheTtl ?? DEFAULT_CACHE_TTL),
      maxEntries: nonNegative('cacheMaxEntries', init.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES),
      maxBytes: nonNegative('cacheMaxBytes', init.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES),
      now: () => this.clock.now()
    })
    this.index = new ContentIndex(components.datastore, init.indexPrefix ?? DEFAULT_INDEX_PREFIX)
    this.ledger = new WriteLedger(components.datastore, init.ledgerPrefix ?? DEFAULT_LEDGER_PREFIX)
  }

  get nodeId (): string {
    return this.components.signer.peerId
  }

  // --- lifecycle -----------------------------------------------------------

  start (): void {
    if (this.started) return
    this.started = true
    this.controller = new AbortController()
    this.startCacheCleanup(this.cacheCleanupInterval)
    if (this.reconcileInterval > 0) this.scheduleReconcile()
    const signal = this.controller.signal
    // stores a killed process accepted but never acknowledged
    void this.resumePending({ signal })
      .catch(err => {
        if (!signal.aborted) this.log.error('could not finish pending writes - %e', err)
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
    }, this.reconcileInterval)
  }

  startCacheCleanup (intervalMs: number = this.cacheCleanupInterval): void {
    positive('intervalMs', intervalMs)
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

  private signal (options?: AbortOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeout)
    return options?.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
  }

  private check (signal: AbortSignal): void {
    if (!signal.aborted) return
    const reason = signal.reason
    if (reason?.name === 'TimeoutError') throw new TimeoutError(`operation did not finish within ${this.timeout} ms`, { cause: reason })
    throw reason
  }

  private address (address: string): { parsed: UCXLAddress, logical: string } {
    if (typeof address !== 'string') {
      throw new InvalidUcxlAddressError('scheme', 'address must be a string', String(address))
    }
    const parsed = parseLenient(address)
    return { parsed, logical: withTemporal(parsed, { type: 'latest' }).raw }
  }

  private async audit (operation: AuditOperation, fields: Partial<AuditEntry>): Promise<void> {
    const sink = this.components.audit
    if (sink == null) return
    const entry: AuditEntry = {
      timestamp: this.clock.now(),
      operation,
      nodeId: this.nodeId,
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
      this.log.error('could not append audit entry for %s %s - %e', operation, entry.address, err)
    }
  }

  /** Fetches and verifies the record at `key`; a bad record invalidates the address's cache entries. */
  private async fetch (key: string, logical: string, quorum: number, signal: AbortSignal): Promise<FetchedRecord> {
    const value = await this.components.dht.getValue(key, { quorum, signal })
    try {
      return { ...await verifyRecord(key, value, this.validation), value }
    } catch (err: any) {
      this.invalidate(logical)
      this.log.error('rejected record for %s at %s - %s', logical, key, err.message)
      throw err
    }
  }

  private async fetchHead (logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    try {
      return await this.fetch(headKey(logical), logical, this.headQuorum, signal)
    } catch (err: any) {
      if (err.name === NotFoundError.name) return undefined
      throw err
    }
  }

  private invalidate (logical: string): number {
    return this.cache.deleteWhere((_, entry) => entry.metadata.address === logical)
  }

  private async sign (kind: RecordKind, key: string, metadata: UCXLMetadata, ciphertext: Uint8Array): Promise<Uint8Array> {
    const signature = await this.components.signer.sign(recordSigningBytes(kind, key, metadata))
    const value = encodeRecord({ kind, key, metadata, ciphertext, signature })
    if (value.byteLength > this.maxRecordSize) {
      throw new RecordTooLargeError(`record of ${value.byteLength} bytes exceeds the limit of ${this.maxRecordSize} bytes`, { size: value.byteLength, limit: this.maxRecordSize })
    }
    return value
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

  /**
   * The roles new content is encrypted for: every role that may read the
   * creator's content, or the caller's explicit set (which must include the
   * creator and name only roles that may read it). Each must have a known
   * recipient: a role without one is a `MissingRecipientError` naming it,
   * never a silently missing stanza.
   */
  private readers (creatorRole: string, explicit?: string[]): string[] {
    const { roles, crypto } = this.components
    let readers: string[]
    if (explicit == null) {
      readers = [...new Set(roles.recipientsFor(creatorRole))]
      if (!readers.includes(creatorRole)) readers.unshift(creatorRole)
    } else {
      if (!Array.isArray(explicit) || explicit.some(r => typeof r !== 'string')) throw new InvalidParametersError('readers must be a list of role names')
      readers = [...new Set([creatorRole, ...explicit])]
      for (const r of readers) {
        if (!roles.has(r)) throw new InvalidParametersError(`unknown reader role ${r}`)
        if (!roles.canDecrypt(r, creatorRole)) throw new AccessDeniedError(`role ${r} may not read content created by ${creatorRole}`)
      }
    }
    for (const r of readers) {
      if (!crypto.hasRecipient(r)) throw new MissingRecipientError(`no recipient is known for role ${r}, which may read content of ${creatorRole}: publish or import its recipient, or pass a smaller readers set`, { role: r })
    }
    return readers
  }

  async storeUCXLContent (address: string, content: Uint8Array, creatorRole: string, contentType: string, options?: StoreOptions): Promise<UCXLMetadata> {
    const started = performance.now()
    const signal = this.signal(options)
    let logical: string | undefined
    try {
      const target = this.address(address)
      const at = target.logical
      logical = at
      if (target.parsed.temporal_segment.type !== 'latest') {
        throw new InvalidUcxlAddressError('temporal_segment', 'a store writes a new version of the address: use *^ or no temporal segment', address)
      }
      if (!(content instanceof Uint8Array)) throw new InvalidParametersError('content must be a Uint8Array')
      if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 256) {
        throw new InvalidParametersError('contentType must be a non-empty string of at most 256 characters')
      }
      const { roles, crypto } = this.components
      if (typeof creatorRole !== 'string' || !roles.has(creatorRole)) {
        throw new AccessDeniedError(`unknown role ${String(creatorRole)} may not store`)
      }
      if (!roles.canStore(creatorRole)) {
        throw new AccessDeniedError(`role ${creatorRole} (authority ${roles.get(creatorRole)?.authority}) may not store`)
      }
      const encryptedFor = this.readers(creatorRole, options?.readers)
      const base: UCXLMetadata = {
        address: logical,
        creatorRole,
        encryptedFor,
        contentType,
        timestamp: this.clock.now(),
        size: content.byteLength,
        hash: '0'.repeat(64),
        dhtPeers: [],
        replicationFactor: this.replicationFactor,
        version: Number.MAX_SAFE_INTEGER,
        signer: this.nodeId
      }
      const limit = this.maxRecordSize - envelopeOverhead('version', headKey(logical), base) - ageOverhead(content.byteLength, encryptedFor.length)
      if (content.byteLength > limit) {
        throw new RecordTooLargeError(`content of ${content.byteLength} bytes exceeds the limit of ${Math.max(0, limit)} bytes for this address and role (maxRecordSize ${this.maxRecordSize} minus envelope and encryption overhead)`, { size: content.byteLength, limit: Math.max(0, limit) })
      }
      this.check(signal)
      // exactly the roles the metadata names get a stanza
      const ciphertext = await crypto.encryptForMultipleRoles(content, encryptedFor, { signal })
      this.metrics.encryptionOps++
      base.hash = sha256Hex(ciphertext)
      // durable before anything goes out: a process killed from here on
      // leaves a pending write that the next start() finishes
      const id = this.ledger.newId(this.clock.now())
      this.inFlight.add(id)
      let metadata: UCXLMetadata
      try {
        await this.ledger.put({ id, state: 'pending', metadata: base, ciphertext, at: this.clock.now() }, { signal })
        metadata = await this.lock.run(at, async () => this.publish(id, at, base, ciphertext, signal), signal)
          .catch(async (err) => {
            // not acknowledged: the caller is told, nothing is left to finish
            await this.ledger.delete(id).catch(e => { this.log.error('could not drop failed write %s - %e', id, e) })
            throw err
          })
      } finally {
        this.inFlight.delete(id)
      }
      this.cacheContent(content, metadata, logical, this.versionAddress(logical, metadata.version))
      this.metrics.storedItems++
      this.metrics.storeTimeTotal += performance.now() - started
      this.metrics.lastUpdate = this.clock.now()
      await this.audit('store', { address: logical, role: creatorRole, contentType, size: content.byteLength, success: true })
      return { ...metadata, encryptedFor: [...metadata.encryptedFor], dhtPeers: [...metadata.dhtPeers] }
    } catch (err: any) {
      this.metrics.errors++
      this.metrics.lastUpdate = this.clock.now()
      await this.audit('store', {
        address: logical ?? String(address).slice(0, 256),
        role: String(creatorRole),
        contentType: String(contentType),
        size: content?.byteLength ?? 0,
        success: false,
        error: `${err.name}: ${err.message}`
      })
      if (signal.aborted && err.name !== TimeoutError.name && signal.reason?.name === 'TimeoutError') {
        throw new TimeoutError(`store did not finish within ${this.timeout} ms`, { cause: err })
      }
      throw err
    }
  }

  /**
   * The claim protocol (see the README, *Writes that hold*). Runs under the
   * address's lock. Puts the version record `*~N` (locally first: a node
   * that holds another writer's `*~N` refuses it at once), needs every
   * answering closest peer to accept it (a refusal means a peer keeps
   * another record for the key: the claim is checked, and if another record
   * won, this node withdraws its own local copy and claims the next
   * number), optionally reads it back, then moves the head. The ack is
   * written to the ledger before this resolves.
   */
  private async publish (id: string, logical: string, base: UCXLMetadata, ciphertext: Uint8Array, signal: AbortSignal, firstVersion?: number): Promise<UCXLMetadata> {
    const { dht } = this.components
    let version = firstVersion ?? await this.nextVersion(logical, signal)
    for (let attempt = 0; attempt <= this.maxRepublishAttempts; attempt++) {
      this.check(signal)
      if (attempt > 0) {
        // two writers that lost to each other must not retry in lockstep
        await pause(Math.floor(Math.random() * 20 * attempt) + 5, signal)
      }
      const metadata: UCXLMetadata = { ...base, version, timestamp: this.clock.now(), dhtPeers: [] }
      const vKey = versionKey(logical, version)
      const versionRecord = await this.sign('version', vKey, metadata, ciphertext)
      let lost: FetchedRecord | undefined
      let put: PutResult | undefined
      try {
        put = await dht.putValue(vKey, versionRecord, { signal })
      } catch (err: any) {
        if (err.name !== RecordConflictError.name) throw err
        lost = await this.winnerOf(vKey, logical, signal)
        this.log('version %d of %s is held locally by another record (%s)', version, logical, lost?.metadata.signer ?? 'unknown')
      }
      if (put != null && put.refusedPeers > 0) {
        // a refusal is either a peer keeping another record (we lost) or a
        // peer refusing ours for its own reasons: ask the network which
        const winner = await this.winnerOf(vKey, logical, signal)
        if (winner != null && !isSameWrite(winner.metadata, metadata)) lost = winner
      }
      if (lost == null && put != null) {
        const shortfall = this.shortfall(vKey, put)
        if (shortfall != null) {
          await this.withdraw(vKey, versionRecord, signal)
          throw shortfall
        }
        if (this.confirmWrites && put.remotePeers > 0) {
          const winner = await this.winnerOf(vKey, logical, signal)
          if (winner != null && !isSameWrite(winner.metadata, metadata)) lost = winner
        }
      }
      if (lost != null || put == null) {
        await this.withdraw(vKey, versionRecord, signal)
        if (lost != null) {
          // peers holding our copy keep the version ambiguous: give them the winner
          await dht.putValue(vKey, lost.value, { signal }).catch(err => {
            this.check(signal)
            this.log('could not repair %s - %e', vKey, err)
          })
        }
        const head = await this.fetchHead(logical, signal).catch(() => undefined)
        const next = Math.max(version, head?.metadata.version ?? 0) + 1
        this.log('version %d of %s went to %s; claiming version %d', version, logical, lost?.metadata.signer ?? 'another writer', next)
        version = next
        continue
      }
      const hKey = headKey(logical)
      const headRecord = await this.sign('head', hKey, metadata, ciphertext)
      // only now, with the version record in place, may the head name it
      try {
        await this.put(hKey, headRecord, signal)
      } catch (err: any) {
        // a newer head is already held here: this version stands, the head moved past it
        if (err.name !== RecordConflictError.name) throw err
      }
      const stored = { ...metadata, dhtPeers: [...put.peers] }
      await this.ledger.put({ id, state: 'acked', metadata: stored, ciphertext, at: this.clock.now() }, { signal })
      await this.ledger.logVersion(stored, { signal })
      await this.index.put(stored, { signal })
      this.emitPublished(stored)
      return stored
    }
    throw new VersionConflictError(`could not claim a version of ${logical} after ${this.maxRepublishAttempts + 1} attempts`, { version })
  }

  /** The record the network holds for an immutable version key (undefined when none). */
  private async winnerOf (key: string, logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    try {
      return await this.fetch(key, logical, this.headQuorum, signal)
    } catch (err: any) {
      if (err.name === NotFoundError.name) return undefined
      throw err
    }
  }

  /** Removes this node's own local copy of a claim that did not win (so it cannot be served). */
  private async withdraw (key: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    try {
      await this.components.dht.removeLocal(key, value, { signal })
    } catch (err) {
      this.check(signal)
      this.log('could not withdraw the local copy of %s - %e', key, err)
    }
  }

  /**
   * Puts a record on all the closest peers the DHT finds (no early exit, so
   * the record is as widely replicated as the DHT allows) and requires
   * `replicationFactor` of them to accept it, or every peer that answered
   * when fewer did (peers that cannot be reached are not waited for; a lone
   * node stores locally).
   */
  private async put (key: string, value: Uint8Array, signal: AbortSignal): Promise<PutResult> {
    const result = await this.components.dht.putValue(key, value, { signal })
    // a head refused by peers holding a newer head is fine: it moved past us
    const shortfall = this.shortfall(key, result)
    if (shortfall != null && result.refusedPeers === 0) throw shortfall
    return result
  }

  /**
   * Why a put falls short of the write quorum, if it does. The quorum is
   * taken from live peers: every peer that answered must accept, except
   * refusals already examined by the caller (a peer refusing for its own
   * reasons, not because it holds a better record), of which at least one
   * acceptance must remain; peers that cannot be reached do not count (the
   * DHT drops them); and a DHT that knows peers must hear from one.
   */
  private shortfall (key: string, result: PutResult): BackendUnavailableError | undefined {
    const answered = result.remotePeers + result.refusedPeers
    if (answered === 0) {
      const known = this.components.dht.getStats().totalPeers
      return known > 0 ? new BackendUnavailableError(`none of the ${known} known peers answered the put of ${key}`) : undefined
    }
    if (result.refusedPeers === 0 || result.remotePeers > 0) return undefined
    return new BackendUnavailableError(`all ${result.refusedPeers} peers that answered refused the record ${key}`)
  }

  private async nextVersion (logical: string, signal: AbortSignal): Promise<number> {
    let head: FetchedRecord | undefined
    try {
      head = await this.fetchHead(logical, signal)
    } catch (err: any) {
      // The network cannot say which version is newest (e.g. a hybrid DHT
      // running on its fallback). Accepting the write still beats refusing
      // it: number it from what this node knows, and let reconcile()
      // re-publish it as a later version if another writer claimed the number.
      if (err.name !== BackendUnavailableError.name) throw err
      this.log('head of %s unavailable (%s); numbering the new version from the local index', logical, err.message)
    }
    const indexed = await this.index.get(logical, { signal })
    const own = await this.ledger.latestOwnVersion(logical, { signal })
    return Math.max(head?.metadata.version ?? 0, indexed?.version ?? 0, own) + 1
  }

  /**
   * Asks this node and the `repairPeers` closest peers for their copy of a
   * record, picks the best valid one with the selector's order and, when a
   * peer holds another (or a missing) copy, puts the best one again so every
   * holder converges on it. Resolves the best record, or `undefined` when no
   * peer holds a valid one.
   */
  private async repairKey (key: string, logical: string, signal: AbortSignal): Promise<FetchedRecord | undefined> {
    const { dht } = this.components
    const peers = await dht.getClosestPeers(key, { signal, limit: this.repairPeers })
    const answers = await Promise.all([dht.peerId, ...peers].map(async (peer) => {
      try {
        const value = await dht.getValueFromPeer(peer, key, { signal })
        if (value == null) return { peer }
        return { peer, record: { ...await verifyRecord(key, value, this.validation), value } }
      } catch (err: any) {
        this.check(signal)
        this.log('no copy of %s from %s - %s', key, peer, err.message)
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
      this.log('%d of %d holders of %s (%s) have another copy; putting the best again', stale.length, answers.length, key, logical)
      await dht.putValue(key, best.value, { signal }).catch(err => {
        this.check(signal)
        this.log('could not repair %s - %s', key, err.message)
      })
    }
    return best
  }

  private reconciling: Promise<unknown> = Promise.resolve()

  async reconcile (options?: AbortOptions): Promise<ConflictReport[]> {
    // one run at a time, so a lost write is never re-published twice
    const run = this.reconciling.catch(() => {}).then(async () => this.reconcileOnce(options))
    this.reconciling = run
    return run
  }

  /**
   * Checks this node's acknowledged writes of the last `conflictWindow`
   * (from the ledger, so also those of a previous process): a version whose
   * key another writer won is re-published as a later version, reported and
   * audited as `conflict`. Pending writes left by a killed process are
   * finished first.
   */
  private async reconcileOnce (options?: AbortOptions): Promise<ConflictReport[]> {
    const signal = this.signal(options)
    await this.resumePending({ signal })
    const reports: ConflictReport[] = []
    const now = this.clock.now()
    const acked = (await this.ledger.all({ signal })).filter(e => e.state === 'acked')
    const addresses = new Set<string>()
    for (const [i, entry] of acked.entries()) {
      if (now - entry.at > this.conflictWindow || acked.length - i > this.conflictMaxWrites) {
        await this.ledger.delete(entry.id, { signal })
        continue
      }
      const { metadata } = entry
      const vKey = versionKey(metadata.address, metadata.version)
      const winner = await this.repairKey(vKey, metadata.address, signal)
      addresses.add(metadata.address)
      if (winner != null && isSameWrite(winner.metadata, metadata)) continue
      this.invalidate(metadata.address)
      const head = await this.fetchHead(metadata.address, signal)
      const next = Math.max(metadata.version, head?.metadata.version ?? 0) + 1
      this.log('version %d of %s lost to %s; re-publishing as version %d', metadata.version, metadata.address, winner?.metadata.signer, next)
      const republished = await this.lock.run(metadata.address, async () => this.publish(entry.id, metadata.address, metadata, entry.ciphertext, signal, next), signal)
      reports.push({ lost: metadata, republished })
      await this.audit('conflict', {
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
      this.check(signal)
      await this.repairKey(headKey(address), address, signal)
    }
    return reports
  }

  /**
   * Finishes the stores a previous process accepted but did not acknowledge
   * (it was killed mid-store): each is published as a new version, indexed
   * and tracked. Runs at `start()` and before every reconcile.
   */
  private async resumePending (options: { signal: AbortSignal }): Promise<number> {
    let finished = 0
    for (const entry of await this.ledger.all(options)) {
      if (entry.state !== 'pending' || this.inFlight.has(entry.id)) continue
      const { signal } = options
      this.inFlight.add(entry.id)
      try {
        const metadata = await this.lock.run(entry.metadata.address, async () => this.publish(entry.id, entry.metadata.address, entry.metadata, entry.ciphertext, signal), signal)
        finished++
        this.log('finished a pending store of %s as version %d', metadata.address, metadata.version)
        await this.audit('store', { address: metadata.address, role: metadata.creatorRole, contentType: metadata.contentType, size: metadata.size, success: true })
      } catch (err) {
        if (signal.aborted) throw err
        this.log.error('could not finish a pending store of %s (kept for the next try) - %e', entry.metadata.address, err)
      } finally {
        this.inFlight.delete(entry.id)
      }
    }
    return finished
  }

  /** Every version this node acknowledged (from the datastore), with the keys replication should track. */
  async * ownRecords (options?: AbortOptions): AsyncGenerator<OwnRecord> {
    const heads = new Set<string>()
    for await (const v of this.ledger.ownVersions(options)) {
      yield { key: versionKey(v.address, v.version), address: v.address, version: v.version, size: v.size, kind: 'version' }
      if (!heads.has(v.address)) {
        heads.add(v.address)
        yield { key: headKey(v.address), address: v.address, version: v.version, size: v.size, kind: 'head' }
      }
    }
  }

  private emitPublished (metadata: UCXLMetadata): void {
    const records: OwnRecord[] = [
      { key: versionKey(metadata.address, metadata.version), address: metadata.address, version: metadata.version, size: metadata.size, kind: 'version' },
      { key: headKey(metadata.address), address: metadata.address, version: metadata.version, size: metadata.size, kind: 'head' }
    ]
    this.safeDispatchEvent<PublishedEventDetail>('published', { detail: { metadata: copy(metadata), records } })
  }

  // --- retrieve ------------------------------------------------------------

  /** Refuses content the reading role may not read (no reader: the node's own identities decide). */
  private mayRead (reader: string | undefined, metadata: UCXLMetadata): void {
    if (reader === undefined || this.components.roles.canDecrypt(reader, metadata.creatorRole)) return
    throw new AccessDeniedError(`role ${reader} may not read content created by ${metadata.creatorRole}`)
  }

  async retrieveUCXLContent (address: string, options?: RetrieveOptions): Promise<RetrievedContent> {
    const started = performance.now()
    const signal = this.signal(options)
    let logical: string | undefined
    let metadata: UCXLMetadata | undefined
    try {
      const target = this.address(address)
      logical = target.logical
      const reader = options?.role
      if (reader !== undefined && (typeof reader !== 'string' || !this.components.roles.has(reader))) {
        throw new AccessDeniedError(`unknown role ${String(reader)} may not read`)
      }
      const cacheKey = target.parsed.raw
      if (options?.noCache !== true) {
        const hit = this.cache.get(cacheKey)
        // the cache answers a reader only as decryption would: the role may
        // read the content, its stanza is in it, and this node holds its identity
        if (hit != null && (reader === undefined || (hit.metadata.encryptedFor.includes(reader) && this.components.crypto.canDecryptContent(reader)))) {
          metadata = hit.metadata
          this.mayRead(reader, hit.metadata)
          this.metrics.cacheHits++
          this.metrics.retrievedItems++
          this.metrics.retrieveTimeTotal += performance.now() - started
          this.metrics.lastUpdate = this.clock.now()
          await this.audit('retrieve', { address: logical, role: reader ?? hit.metadata.creatorRole, contentType: hit.metadata.contentType, size: hit.content.byteLength, success: true })
          return { content: hit.content.slice(), metadata: copy(hit.metadata), fromCache: true }
        }
        this.metrics.cacheMisses++
      }
      const record = await this.resolve(logical, target.parsed, signal)
      metadata = record.metadata
      this.check(signal)
      this.mayRead(reader, metadata)
      let content: Uint8Array
      try {
        content = reader === undefined
          ? await this.components.crypto.decrypt(record.ciphertext, { signal })
          : await this.components.crypto.decryptWithRole(record.ciphertext, reader, { signal })
      } catch (err) {
        this.invalidate(logical)
        throw err
      }
      this.metrics.decryptionOps++
      if (content.byteLength !== metadata.size) {
        this.invalidate(logical)
        throw new IntegrityError(`decrypted ${content.byteLength} bytes where the record says ${metadata.size}`)
      }
      const indexed = await this.index.get(logical, { signal })
      if (indexed != null && indexed.version === metadata.version && indexed.hash === metadata.hash) {
        metadata = { ...metadata, dhtPeers: [...indexed.dhtPeers] }
      }
      this.cacheContent(content, metadata, cacheKey, this.versionAddress(logical, metadata.version))
      await this.index.put(metadata, { signal })
      this.metrics.retrievedItems++
      this.metrics.retrieveTimeTotal += performance.now() - started
      this.metrics.lastUpdate = this.clock.now()
      await this.audit('retrieve', { address: logical, role: reader ?? metadata.creatorRole, contentType: metadata.contentType, size: content.byteLength, success: true })
      return { content, metadata: copy(metadata), fromCache: false }
    } catch (err: any) {
      this.metrics.errors++
      this.metrics.lastUpdate = this.clock.now()
      await this.audit('retrieve', {
        address: logical ?? String(address).slice(0, 256),
        role: typeof options?.role === 'string' ? options.role : metadata?.creatorRole ?? '',
        contentType: metadata?.contentType ?? '',
        size: 0,
        success: false,
        error: `${err.name}: ${err.message}`
      })
      if (err.name !== TimeoutError.name && signal.reason?.name === 'TimeoutError') {
        throw new TimeoutError(`retrieve did not finish within ${this.timeout} ms`, { cause: err })
      }
      throw err
    }
  }

  /** The record a (possibly temporal) address names. */
  private async resolve (logical: string, parsed: UCXLAddress, signal: AbortSignal): Promise<DecodedRecord> {
    const segment = parsed.temporal_segment
    if (segment.type === 'specific') {
      return this.fetch(versionKey(logical, segment.count!), logical, 1, signal)
    }
    const head = await this.fetchHead(logical, signal)
    if (head == null) throw new NotFoundError(`no content at ${logical}`)
    const version = resolveVersion(segment, { first: 1, latest: head.metadata.version })
    if (version === head.metadata.version) return head
    return this.fetch(versionKey(logical, version), logical, 1, signal)
  }

  async history (address: string, options?: AbortOptions): Promise<UCXLMetadata[]> {
    const signal = this.signal(options)
    const { logical } = this.address(address)
    const head = await this.fetchHead(logical, signal)
    if (head == null) throw new NotFoundError(`no content at ${logical}`)
    const latest = head.metadata.version
    // the newest `historyLimit` versions only: a head is signed by whoever
    // wrote it, and a huge version number must not make us fetch forever
    const first = Math.max(1, latest - this.historyLimit + 1)
    const found: Array<UCXLMetadata | undefined> = new Array(latest - first + 1)
    found[latest - first] = head.metadata
    let next = first
    const worker = async (): Promise<void> => {
      while (next < latest) {
        const v = next++
        try {
          found[v - first] = (await this.fetch(versionKey(logical, v), logical, 1, signal)).metadata
        } catch (err: any) {
          if (signal.aborted) throw err
          this.log('version %d of %s unavailable - %s', v, logical, err.message)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.historyConcurrency, latest - first + 1) }, worker))
    this.check(signal)
    return found.filter((m): m is UCXLMetadata => m != null).map(copy)
  }

  // --- announce, discover, forget -------------------------------------------

  async announceContent (address: string, options?: AbortOptions): Promise<void> {
    const signal = this.signal(options)
    let logical: string | undefined
    try {
      logical = this.address(address).logical
      await this.components.dht.provide(headKey(logical), { signal })
      const indexed = await this.index.get(logical, { signal })
      await this.audit('announce', { address: logical, role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size, success: true })
    } catch (err: any) {
      this.metrics.errors++
      await this.audit('announce', { address: logical ?? String(address).slice(0, 256), success: false, error: `${err.name}: ${err.message}` })
      throw err
    }
  }

  async discoverContentPeers (address: string, options?: AbortOptions): Promise<PeerInfo[]> {
    const signal = this.signal(options)
    const { logical } = this.address(address)
    return this.components.dht.findProviders(headKey(logical), { signal })
  }

  async forget (address: string, options?: AbortOptions): Promise<boolean> {
    const signal = this.signal(options)
    const { logical } = this.address(address)
    const indexed = await this.index.get(logical, { signal })
    const dropped = this.invalidate(logical)
    const removed = await this.index.delete(logical, { signal })
    await this.audit('delete', { address: logical, role: indexed?.creatorRole, contentType: indexed?.contentType, size: indexed?.size, success: true })
    return dropped > 0 || removed
  }

  // --- index ---------------------------------------------------------------

  async listContentByRole (role: string, options?: AbortOptions & { limit?: number }): Promise<UCXLMetadata[]> {
    if (typeof role !== 'string' || role.length === 0) throw new InvalidParametersError('role must be a non-empty string')
    const limit = checkLimit(options?.limit)
    return this.index.search({ creatorRole: role }, limit, { signal: this.signal(options) })
  }

  async searchContent (query: SearchQuery, options?: AbortOptions): Promise<UCXLMetadata[]> {
    if (query == null || typeof query !== 'object') throw new InvalidParametersError('query must be an object')
    for (const field of ['createdAfter', 'createdBefore'] as const) {
      if (query[field] != null && !Number.isFinite(query[field])) throw new InvalidParametersError(`query.${field} must be a number of ms since the epoch`)
    }
    return this.index.search(query, checkLimit(query.limit), { signal: this.signal(options) })
  }

  getMetrics (): StorageMetrics {
    const m = this.metrics
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
      cacheEntries: this.cache.size,
      cacheBytes: this.cache.bytes,
      errors: m.errors
    }
  }
}

function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

function isSameWrite (a: UCXLMetadata, b: UCXLMetadata): boolean {
  return a.signer === b.signer && a.hash === b.hash && a.timestamp === b.timestamp && a.version === b.version
}

function copy (m: UCXLMetadata): UCXLMetadata {
  return { ...m, encryptedFor: [...m.encryptedFor], dhtPeers: [...m.dhtPeers] }
}

function checkLimit (limit: number | undefined): number {
  if (limit == null) return DEFAULT_SEARCH_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidParametersError(`limit must be a non-negative integer, got ${String(limit)}`)
  return limit
}

function positive (name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidParametersError(`${name} must be a positive number, got ${String(value)}`)
  }
  return value
}

function nonNegative (name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidParametersError(`${name} must be a non-negative number, got ${String(value)}`)
  }
  return value
}
