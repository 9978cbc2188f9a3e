import type { UCXLMetadata } from '@chorus-dht/types'

/** One cached plaintext with its metadata. */
export interface CacheEntry {
  content: Uint8Array
  metadata: UCXLMetadata
  /** ms since the epoch after which the entry is stale */
  expiresAt: number
}

/** Options of {@link ContentCache}. */
export interface ContentCacheInit {
  ttl: number
  maxEntries: number
  maxBytes: number
  now: () => number
}

/**
 * A TTL cache of decrypted content, bounded by entries and plaintext bytes,
 * evicting the least recently used entry first (a `Map` keeps insertion
 * order; a hit re-inserts the entry at the end).
 */
export class ContentCache {
  private readonly entries = new Map<string, CacheEntry>()
  private readonly init: ContentCacheInit
  private bytesUsed = 0

  constructor (init: ContentCacheInit) {
    this.init = init
  }

  get size (): number {
    return this.entries.size
  }

  get bytes (): number {
    return this.bytesUsed
  }

  /** The live entry for `key`, or `undefined` (an expired entry is dropped). */
  get (key: string): CacheEntry | undefined {
    const entry = this.entries.get(key)
    if (entry == null) return undefined
    if (entry.expiresAt <= this.init.now()) {
      this.delete(key)
      return undefined
    }
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  set (key: string, content: Uint8Array, metadata: UCXLMetadata): void {
    this.delete(key)
    if (content.byteLength > this.init.maxBytes || this.init.maxEntries < 1) return
    this.entries.set(key, { content, metadata, expiresAt: this.init.now() + this.init.ttl })
    this.bytesUsed += content.byteLength
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.init.maxEntries && this.bytesUsed <= this.init.maxBytes) break
      this.delete(oldest)
    }
  }

  delete (key: string): boolean {
    const entry = this.entries.get(key)
    if (entry == null) return false
    this.entries.delete(key)
    this.bytesUsed -= entry.content.byteLength
    return true
  }

  /** Drops every entry whose key satisfies `predicate`; returns how many. */
  deleteWhere (predicate: (key: string, entry: CacheEntry) => boolean): number {
    let dropped = 0
    for (const [key, entry] of [...this.entries]) {
      if (predicate(key, entry)) {
        this.delete(key)
        dropped++
      }
    }
    return dropped
  }

  /** Drops expired entries; returns how many. */
  cleanup (): number {
    const now = this.init.now()
    return this.deleteWhere((_, entry) => entry.expiresAt <= now)
  }

  clear (): void {
    this.entries.clear()
    this.bytesUsed = 0
  }
}
