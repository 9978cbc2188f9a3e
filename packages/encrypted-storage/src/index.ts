/**
 * @packageDocumentation
 *
 * Encrypted, signed, versioned UCXL content over any chorus-dht DHT.
 *
 * Content stored at a UCXL address is encrypted with age for every role
 * allowed to read it, wrapped in a record signed by the node's libp2p key,
 * and written as a new immutable version plus a head record. Retrieval
 * verifies the record, decrypts with the node's role identities and
 * honours the temporal segments `*^`, `*~`, `*~N`, `~~N` and `^^N`.
 *
 * @example
 *
 * ```ts
 * import { createEncryptedStorage, memoryAuditSink, signerFromPrivateKey } from '@chorus-dht/encrypted-storage'
 *
 * const storage = createEncryptedStorage({ dht, crypto, roles, signer, datastore, audit: memoryAuditSink() })
 * storage.start()
 * const address = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
 * await storage.storeUCXLContent(address, new TextEncoder().encode('use postgres'), 'backend_developer', 'text/plain')
 * const { content, metadata } = await storage.retrieveUCXLContent(address)
 * storage.stop()
 * ```
 */

import { DefaultEncryptedStorage } from './encrypted-storage.js'
import type {
  AbortOptions,
  AuditSink,
  Clock,
  ComponentLogger,
  CryptoProvider,
  DHT,
  RecordSigner,
  RoleRegistry,
  Startable,
  UCXLMetadata,
  UCXLStorage,
  WriteAuthority
} from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'
import type { TypedEventTarget } from 'main-event'

export * from './constants.js'
export * from './errors.js'
export {
  chorusRecordPolicy,
  compareRecords,
  decodeRecord,
  encodeRecord,
  expectedKey,
  recordReplacer,
  recordSelector,
  recordSigningBytes,
  recordValidator,
  sha256Hex,
  signerFromPrivateKey,
  verifyRecord
} from './record.js'
export type { ChorusRecord, DecodedRecord, RecordKind, RecordValidatorInit, SigningKey } from './record.js'
export { AUDIT_GENESIS_HASH, fileAuditSink, memoryAuditSink } from './audit.js'
export { anchoredHeadSelector, guardContentPolicy, reportingReplacer } from './policy-guards.js'
export type { AuditHead, AuditVerifyOptions, ChainedAuditSink, FileAuditSinkInit, MemoryAuditSinkHandle } from './audit.js'

/** What {@link EncryptedStorage.reconcile} did about one lost write. */
export interface ConflictReport {
  /** The version this node wrote and another writer won. */
  lost: UCXLMetadata
  /** The same content, re-published as a later version. */
  republished: UCXLMetadata
}

/** A record this node wrote that replication should keep replicated. */
export interface OwnRecord {
  /** The DHT key. */
  key: string
  kind: 'version' | 'head'
  /** The logical address (temporal `*^`). */
  address: string
  version: number
  /** Plaintext size, bytes. */
  size: number
}

/** The DHT keys of one address, see `EncryptedStorage.recordKeys`. */
export interface AddressRecordKeys {
  /** The logical address (temporal `*^`). */
  address: string
  /** The key of the head record. */
  head: string
  /** The key of version `n` (a positive integer) of the address. */
  version(n: number): string
}

/** The detail of the `published` event: a version this node acknowledged, and its records. */
export interface PublishedEventDetail {
  metadata: UCXLMetadata
  records: OwnRecord[]
}

/** Events of {@link EncryptedStorage}. */
export interface EncryptedStorageEvents {
  /** A version was acknowledged: by a store, a resumed pending store, or a re-publication by `reconcile()`. */
  published: CustomEvent<PublishedEventDetail>
}

/**
 * The UCXL content store: {@link UCXLStorage} plus version conflict
 * reconciliation, local forgetting and a lifecycle for the cache cleanup
 * and reconcile loops. Every method works whether or not the service is
 * started; `start()` only starts the background loops.
 */
export interface EncryptedStorage extends UCXLStorage, Startable, TypedEventTarget<EncryptedStorageEvents> {
  /**
   * Every version this node acknowledged, from the datastore (so also after
   * a restart), with its head: the keys replication should track.
   */
  ownRecords(options?: AbortOptions): AsyncGenerator<OwnRecord>
  /**
   * Re-checks this node's own writes of the last `conflictWindow` ms and
   * re-publishes, as a later version, each one whose version key another
   * writer won. Runs every `reconcileInterval` ms while started.
   */
  reconcile(options?: AbortOptions): Promise<ConflictReport[]>
  /**
   * The DHT keys this store writes for an address (any temporal form): its
   * head and its version records. Throws `InvalidUcxlAddressError` for a
   * bad address, `InvalidParametersError` for a version that is not a
   * positive integer.
   */
  recordKeys(address: string): AddressRecordKeys
  /**
   * Drops an address from this node's cache and content index (audited as
   * `delete`). Signed DHT records cannot be retracted from other peers;
   * they remain retrievable from the network. Resolves whether anything
   * was dropped.
   */
  forget(address: string, options?: AbortOptions): Promise<boolean>
}

/** The collaborators of the store, typed by `@chorus-dht/types`. */
export interface EncryptedStorageComponents {
  /** Where records go. Install {@link chorusRecordPolicy} on it for `/CHORUS/` keys. */
  dht: DHT
  /** Encrypts for recipient roles and decrypts with held identities. */
  crypto: CryptoProvider
  /** Store policy and recipients. */
  roles: RoleRegistry
  /** Signs records; its peer id is the record's `signer`. */
  signer: RecordSigner
  /** Holds the local content index. */
  datastore: Datastore
  logger?: ComponentLogger
  /** One entry per store, retrieve, announce and forget. */
  audit?: AuditSink
  /** @default Date.now */
  clock?: Clock
  /**
   * Under a network authority: the role certificates this node puts into
   * the records it writes (a store for a role it holds no certificate for
   * is refused with `AccessDeniedError`), and the check of the certificate
   * in every record it reads. Install the same in the DHT's validator
   * (`chorusRecordPolicy({ writeAuthority })`) so every peer refuses
   * uncertified records on its PUT path. Without it, records carry no
   * certificate (format 1).
   */
  writeAuthority?: WriteAuthority
}

/** Options of the store. Every field is optional. */
export interface EncryptedStorageInit {
  /**
   * The prefix of the store's log component names; its parts extend it
   * (`${logPrefix}:publisher`, `:reader`, `:record-fetcher`, `:reconciler`).
   * @default 'chorus-dht:encrypted-storage'
   */
  logPrefix?: string
  /**
   * Cache entry lifetime, ms. An entry for `*^` or `~~N` may be this stale
   * when another node writes the address; `*~N` entries never are.
   * @default 600000 (10 min)
   */
  cacheTtl?: number
  /** Interval of the cache cleanup loop started by `start()`, ms. @default 300000 (5 min) */
  cacheCleanupInterval?: number
  /** Most cached entries (least recently used dropped first); 0 disables the cache. @default 1000 */
  cacheMaxEntries?: number
  /** Most cached plaintext bytes. @default 67108864 (64 MiB) */
  cacheMaxBytes?: number
  /** Largest record (envelope, metadata, signature and ciphertext), bytes; larger records are refused and rejected. @default 262144 (256 KiB) */
  maxRecordSize?: number
  /** How far in the future a record's timestamp may be, ms. @default 300000 (5 min) */
  maxClockSkew?: number
  /** Valid answers collected before the selector chooses a head (fewer when fewer peers exist). @default 3 */
  headQuorum?: number
  /**
   * Written into metadata: the replica count replication keeps. A put goes
   * to all the closest peers the DHT finds and needs the live ones to accept
   * it (see the README, *Writes that hold*).
   * @default 3
   */
  replicationFactor?: number
  /** Deadline of every public async method without a caller signal, ms. @default 30000 */
  timeout?: number
  /** Read each version record back (with `headQuorum`) before moving the head, re-publishing a lost version at once. @default true */
  confirmWrites?: boolean
  /** Re-publications of a lost version within one store before `VersionConflictError`. @default 8 */
  maxRepublishAttempts?: number
  /** How long own writes are re-checked by `reconcile`, ms. @default 600000 (10 min) */
  conflictWindow?: number
  /** Most acknowledged own writes kept (with their ciphertext, in the datastore) for `reconcile`. @default 100 */
  conflictMaxWrites?: number
  /** Closest peers `reconcile` asks directly for their copy of each record it checks. @default 8 */
  repairPeers?: number
  /** Interval of the background `reconcile` loop, ms; 0 disables it. @default 60000 */
  reconcileInterval?: number
  /** Version records `history` fetches at once. @default 8 */
  historyConcurrency?: number
  /** Most versions `history` returns: the newest ones, oldest first. @default 1000 */
  historyLimit?: number
  /** Datastore key prefix of the content index. @default '/chorus-dht/encrypted-storage/index' */
  indexPrefix?: string
  /** Datastore key prefix of the write ledger (pending and recent own writes, the log of own versions). @default '/chorus-dht/encrypted-storage/ledger' */
  ledgerPrefix?: string
}

/**
 * Creates the store from its components.
 *
 * @throws InvalidParametersError when an option is out of range
 */
export function createEncryptedStorage (components: EncryptedStorageComponents, init: EncryptedStorageInit = {}): EncryptedStorage {
  return new DefaultEncryptedStorage(components, init)
}

/**
 * The libp2p-style factory: `encryptedStorage(init)(components)`.
 */
export function encryptedStorage (init: EncryptedStorageInit = {}): (components: EncryptedStorageComponents) => EncryptedStorage {
  return (components) => new DefaultEncryptedStorage(components, init)
}

/** The defaults of the settings an application may show or pass on (the node's config does). */
export { DEFAULT_MAX_RECORD_SIZE, DEFAULT_CACHE_TTL, DEFAULT_CACHE_CLEANUP_INTERVAL, DEFAULT_CACHE_MAX_ENTRIES, DEFAULT_CACHE_MAX_BYTES, DEFAULT_REPLICATION_FACTOR } from './constants.js'
