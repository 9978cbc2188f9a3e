import { withTemporal } from '@chorus-dht/ucxl'
import { AccessDeniedError, IntegrityError } from './errors.js'
import { throwIfAborted } from './deadline.js'
import type { StorageAccounting } from './accounting.js'
import type { ContentCache } from './cache.js'
import type { ContentIndex } from './content-index.js'
import type { Reader } from './reader.js'
import type { CryptoProvider, RoleRegistry, UCXLAddress, UCXLMetadata } from '@chorus-dht/types'

export interface RetrievalComponents {
  reader: Reader
  cache: ContentCache
  index: ContentIndex
  crypto: CryptoProvider
  roles: RoleRegistry
  accounting: StorageAccounting
}

export interface RetrievalInit {
  timeout: number
}

/** Content and the metadata it came with. */
export interface Content {
  content: Uint8Array
  metadata: UCXLMetadata
}

/** A copy of metadata the caller may change. */
export function copyMetadata (m: UCXLMetadata): UCXLMetadata {
  return { ...m, encryptedFor: [...m.encryptedFor], dhtPeers: [...m.dhtPeers] }
}

/** The address of one version of a parsed address (no second parse). */
export function versionAddress (parsed: UCXLAddress, version: number): string {
  return withTemporal(parsed, { type: 'specific', count: version }).raw
}

/** Drops the cached content of a logical address; returns how many entries went. */
export function invalidate (cache: ContentCache, logical: string): number {
  return cache.deleteWhere((_, entry) => entry.metadata.address === logical)
}

/** Caches a private copy of `content` under each key (the caller may reuse its buffer). */
export function cacheContent (cache: ContentCache, content: Uint8Array, metadata: UCXLMetadata, ...keys: string[]): void {
  const own = content.slice()
  for (const key of keys) cache.set(key, own, copyMetadata(metadata))
}

/**
 * Reading content as a role (or with any identity this node holds): the
 * cache when it may answer the reader, else the record from the DHT,
 * decrypted, checked against its metadata, cached and indexed.
 */
export class Retrieval {
  private readonly components: RetrievalComponents
  private readonly init: RetrievalInit

  constructor (components: RetrievalComponents, init: RetrievalInit) {
    this.components = components
    this.init = init
  }

  /** Refuses content the reading role may not read (no reader: the node's own identities decide). */
  mayRead (reader: string | undefined, metadata: UCXLMetadata): void {
    if (reader === undefined || this.components.roles.canDecrypt(reader, metadata.creatorRole)) return
    throw new AccessDeniedError(`role ${reader} may not read content created by ${metadata.creatorRole}`)
  }

  /** A cached copy, if the cache may answer this reader: as decryption would, its stanza is in the content and this node holds its identity. */
  cached (cacheKey: string, reader: string | undefined): Content | undefined {
    const hit = this.components.cache.get(cacheKey)
    if (hit == null) return undefined
    if (reader !== undefined && !(hit.metadata.encryptedFor.includes(reader) && this.components.crypto.canDecryptContent(reader))) return undefined
    return hit
  }

  /**
   * Reads `parsed` from the DHT. `onMetadata` learns the record's metadata
   * before decryption (for the audit entry of a failure).
   */
  async fromDht (logical: string, parsed: UCXLAddress, reader: string | undefined, signal: AbortSignal, onMetadata: (m: UCXLMetadata) => void): Promise<Content> {
    const { cache, index } = this.components
    const record = await this.components.reader.resolve(logical, parsed, signal)
    let metadata = record.metadata
    onMetadata(metadata)
    throwIfAborted(signal, this.init.timeout)
    this.mayRead(reader, metadata)
    const content = await this.decrypt(logical, record.ciphertext, metadata, reader, signal)
    const indexed = await index.get(logical, { signal })
    if (indexed != null && indexed.version === metadata.version && indexed.hash === metadata.hash) {
      metadata = { ...metadata, dhtPeers: [...indexed.dhtPeers] }
    }
    cacheContent(cache, content, metadata, parsed.raw, versionAddress(parsed, metadata.version))
    await index.put(metadata, { signal })
    return { content, metadata }
  }

  /** Decrypts as `reader` (or with any held identity); a failure or a size mismatch drops the address's cache entries. */
  private async decrypt (logical: string, ciphertext: Uint8Array, metadata: UCXLMetadata, reader: string | undefined, signal: AbortSignal): Promise<Uint8Array> {
    const { crypto, cache, accounting } = this.components
    let content: Uint8Array
    try {
      content = reader === undefined
        ? await crypto.decrypt(ciphertext, { signal })
        : await crypto.decryptWithRole(ciphertext, reader, { signal })
    } catch (err) {
      invalidate(cache, logical)
      throw err
    }
    accounting.decrypted()
    if (content.byteLength !== metadata.size) {
      invalidate(cache, logical)
      throw new IntegrityError(`decrypted ${content.byteLength} bytes where the record says ${metadata.size}`)
    }
    return content
  }
}
