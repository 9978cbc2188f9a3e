import { compare } from 'uint8arrays/compare'

interface Entry<T> {
  value: Uint8Array
  result: T
}

/**
 * What a deterministic check of a record's bytes concluded, remembered by
 * DHT key and the exact bytes. The same record is checked many times over
 * one store or read (by this node's put, by every peer of an in-process
 * network, by each answer of a get, by the storage layer reading it back):
 * a repeat costs a lookup and a byte comparison instead of a JSON parse,
 * an address parse, a sha-256 and a signature check. Only successes are
 * kept (a rejected record is checked again, and rejected again). Bounded:
 * at most `maxKeys` keys with `perKey` values each and `maxBytes` of values
 * in all; the least recently used key goes first. Hand-written: `@libp2p/utils`' LRU is keyed by strings,
 * and a record is identified by its bytes, not a digest of them (computing
 * one would cost what the cache saves).
 */
export class VerifiedRecords<T> {
  private readonly byKey = new Map<string, Array<Entry<T>>>()
  private readonly maxKeys: number
  private readonly perKey: number
  private readonly maxBytes: number
  private held = 0

  constructor (maxKeys: number, perKey: number, maxBytes: number) {
    this.maxKeys = maxKeys
    this.perKey = perKey
    this.maxBytes = maxBytes
  }

  /** The result remembered for exactly these bytes under `key`. */
  get (key: string, value: Uint8Array): T | undefined {
    const entries = this.byKey.get(key)
    if (entries == null) return undefined
    const hit = entries.find(e => e.value.byteLength === value.byteLength && compare(e.value, value) === 0)
    if (hit == null) return undefined
    this.byKey.delete(key)
    this.byKey.set(key, entries)
    return hit.result
  }

  /** Remembers a success; `value` is copied (the caller may reuse its buffer). */
  add (key: string, value: Uint8Array, result: T): void {
    if (value.byteLength > this.maxBytes) return
    const entries = this.byKey.get(key) ?? []
    entries.push({ value: value.slice(), result })
    this.held += value.byteLength
    if (entries.length > this.perKey) this.held -= entries.shift()!.value.byteLength
    this.byKey.delete(key)
    this.byKey.set(key, entries)
    while (this.byKey.size > this.maxKeys || this.held > this.maxBytes) {
      const [oldest, dropped] = this.byKey.entries().next().value!
      this.byKey.delete(oldest)
      for (const e of dropped) this.held -= e.value.byteLength
    }
  }

  /** Keys held. */
  get size (): number {
    return this.byKey.size
  }

  /** Bytes of values held. */
  get bytes (): number {
    return this.held
  }
}
