import type { AbortOptions } from './abort.js'
import type { PeerInfo } from './peer.js'

/** Metadata of one stored version of UCXL content. */
export interface UCXLMetadata {
  /** The canonical address (temporal `*^` for the logical address). */
  address: string
  creatorRole: string
  /** Roles the content is encrypted for. */
  encryptedFor: string[]
  contentType: string
  /** When it was stored, ms since the epoch. */
  timestamp: number
  /** Plaintext size in bytes. */
  size: number
  /** sha-256 of the ciphertext, lowercase hex. */
  hash: string
  /** Peers that accepted the record when it was stored. */
  dhtPeers: string[]
  replicationFactor: number
  /** 1 for the first store of an address, then 2, 3, … */
  version: number
  /** Peer id of the node that signed the record. */
  signer?: string
}

/** Content with its metadata. */
export interface RetrievedContent {
  content: Uint8Array
  metadata: UCXLMetadata
  /** Whether it came from the local cache. */
  fromCache: boolean
}

/** A query of the local content index. All fields are optional filters. */
export interface SearchQuery {
  agent?: string
  role?: string
  project?: string
  task?: string
  contentType?: string
  /** ms since the epoch, inclusive */
  createdAfter?: number
  /** ms since the epoch, inclusive */
  createdBefore?: number
  /** Newest first; at most this many. @default 100 */
  limit?: number
}

/** Counters the storage layer reports. */
export interface StorageMetrics {
  storedItems: number
  retrievedItems: number
  cacheHits: number
  cacheMisses: number
  encryptionOps: number
  decryptionOps: number
  /** ms */
  averageStoreTime: number
  /** ms */
  averageRetrieveTime: number
  /** ms since the epoch */
  lastUpdate: number
  /** Entries and bytes currently cached. */
  cacheEntries: number
  cacheBytes: number
  /** Failed stores and retrieves. */
  errors: number
}

/** Options of `storeUCXLContent`. */
export interface StoreOptions extends AbortOptions {
  /**
   * The roles the content is encrypted for, instead of every role that may
   * read content of the creator's role (`RoleRegistry.recipientsFor`). The
   * creator's role is always included; every role named must be one that
   * may read it. Metadata `encryptedFor` then lists exactly these roles.
   */
  readers?: string[]
}

/** Options of `retrieveUCXLContent`. */
export interface RetrieveOptions extends AbortOptions {
  /** Bypass the cache. @default false */
  noCache?: boolean
  /**
   * Read as this role: content the role may not read is refused with
   * `AccessDeniedError` (from the cache too), only the role's own identities
   * are used to decrypt, and the audit entry names this role. Without it the
   * node decrypts with any identity it holds and audits the creator's role.
   */
  role?: string
}

/**
 * The UCXL content store contract (CHORUS's `EncryptedDHTStorage`).
 * Addresses are accepted in the canonical and the slash form.
 */
export interface UCXLStorage {
  storeUCXLContent(address: string, content: Uint8Array, creatorRole: string, contentType: string, options?: StoreOptions): Promise<UCXLMetadata>
  retrieveUCXLContent(address: string, options?: RetrieveOptions): Promise<RetrievedContent>
  announceContent(address: string, options?: AbortOptions): Promise<void>
  discoverContentPeers(address: string, options?: AbortOptions): Promise<PeerInfo[]>
  listContentByRole(role: string, options?: AbortOptions & { limit?: number }): Promise<UCXLMetadata[]>
  searchContent(query: SearchQuery, options?: AbortOptions): Promise<UCXLMetadata[]>
  /** Every version of an address, oldest first. */
  history(address: string, options?: AbortOptions): Promise<UCXLMetadata[]>
  getMetrics(): StorageMetrics
  /** Starts the periodic cache cleanup. @default interval 5 min */
  startCacheCleanup(intervalMs?: number): void
  /** Drops expired cache entries now; returns how many were dropped. */
  cleanupCache(): number
}
