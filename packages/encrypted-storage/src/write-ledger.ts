import { Key } from 'interface-datastore'
import type { AbortOptions, UCXLMetadata } from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * One of this node's own writes, as the datastore keeps it:
 * - `pending`: accepted by `storeUCXLContent`, not acknowledged yet (a
 *   process killed here leaves it, and `start()` finishes it);
 * - `acked`: acknowledged at `metadata.version`; re-checked by `reconcile()`
 *   until `conflictWindow` has passed, then dropped.
 */
export interface LedgerEntry {
  id: string
  state: 'pending' | 'acked'
  /** The metadata of the write (for `pending`, `version` is not claimed yet). */
  metadata: UCXLMetadata
  ciphertext: Uint8Array
  /** When the write was accepted (pending) or acknowledged (acked), ms since the epoch. */
  at: number
}

interface StoredEntry {
  id: string
  state: 'pending' | 'acked'
  metadata: UCXLMetadata
  ciphertext: string
  at: number
}

/** A version this node wrote, as the version log keeps it. */
export interface OwnVersion {
  address: string
  version: number
  size: number
}

function b64url (text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

/**
 * The durable side of the write protocol, in the storage's datastore (the
 * node's LevelDB): the own writes not yet acknowledged or still inside the
 * conflict window (`<prefix>/writes/<id>`), and the log of every version this
 * node acknowledged (`<prefix>/versions/<base64url(address)>/<version>`), so
 * replication can track all of them again after a restart.
 */
export class WriteLedger {
  private readonly datastore: Datastore
  private readonly writes: string
  private readonly versions: string
  private seq = 0
  /** The highest own version per address, once read from the datastore. */
  private latest?: Map<string, number>
  private loadingLatest?: Promise<Map<string, number>>

  constructor (datastore: Datastore, prefix: string) {
    const root = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
    this.datastore = datastore
    this.writes = `${root}/writes`
    this.versions = `${root}/versions`
  }

  /** A new id, ordered by creation time within this process and across restarts. */
  newId (now: number): string {
    this.seq = (this.seq + 1) % 1_000_000
    return `${String(now).padStart(15, '0')}-${String(this.seq).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`
  }

  async put (entry: LedgerEntry, options?: AbortOptions): Promise<void> {
    const stored: StoredEntry = {
      id: entry.id,
      state: entry.state,
      metadata: { ...entry.metadata, dhtPeers: [] },
      ciphertext: Buffer.from(entry.ciphertext).toString('base64'),
      at: entry.at
    }
    await this.datastore.put(new Key(`${this.writes}/${entry.id}`), encoder.encode(JSON.stringify(stored)), options)
  }

  async delete (id: string, options?: AbortOptions): Promise<void> {
    await this.datastore.delete(new Key(`${this.writes}/${id}`), options)
  }

  /** Every own write held, oldest first. Corrupt entries are skipped. */
  async all (options?: AbortOptions): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = []
    for await (const { value } of this.datastore.query({ prefix: this.writes }, options)) {
      try {
        const s = JSON.parse(decoder.decode(value)) as StoredEntry
        out.push({ id: s.id, state: s.state, metadata: s.metadata, ciphertext: new Uint8Array(Buffer.from(s.ciphertext, 'base64')), at: s.at })
      } catch {
        // a torn or foreign entry: nothing to finish
      }
    }
    return out.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  }

  /** Logs an acknowledged version. */
  async logVersion (metadata: UCXLMetadata, options?: AbortOptions): Promise<void> {
    const key = new Key(`${this.versions}/${b64url(metadata.address)}/${String(metadata.version).padStart(16, '0')}`)
    await this.datastore.put(key, encoder.encode(JSON.stringify({ address: metadata.address, version: metadata.version, size: metadata.size })), options)
    const latest = await this.loadLatest(options)
    latest.set(metadata.address, Math.max(latest.get(metadata.address) ?? 0, metadata.version))
  }

  /** Every version this node acknowledged. */
  async * ownVersions (options?: AbortOptions): AsyncGenerator<OwnVersion> {
    for await (const { value } of this.datastore.query({ prefix: this.versions }, options)) {
      try {
        yield JSON.parse(decoder.decode(value)) as OwnVersion
      } catch {
        // skipped: the next store of the address logs its versions again
      }
    }
  }

  /** The highest version of `address` this node acknowledged, 0 when none. */
  async latestOwnVersion (address: string, options?: AbortOptions): Promise<number> {
    return (await this.loadLatest(options)).get(address) ?? 0
  }

  /**
   * The highest own version of every address, read from the datastore once
   * (one query, not one per store: a datastore query can cost a scan) and
   * then kept in memory; this process is the only writer of its ledger.
   */
  private async loadLatest (options?: AbortOptions): Promise<Map<string, number>> {
    if (this.latest != null) return this.latest
    this.loadingLatest ??= (async () => {
      const latest = new Map<string, number>()
      for await (const v of this.ownVersions(options)) {
        if (typeof v?.address === 'string' && Number.isSafeInteger(v.version)) latest.set(v.address, Math.max(latest.get(v.address) ?? 0, v.version))
      }
      this.latest = latest
      return latest
    })()
    try {
      return await this.loadingLatest
    } finally {
      this.loadingLatest = undefined
    }
  }
}

/**
 * Runs tasks one at a time per key (a store of one logical address waits
 * for the previous one on this node, so two of them never claim one
 * version number). Hand-written: `@libp2p/utils`' queues are not keyed, and
 * this is a promise chain per key, dropped when it drains.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const mine = previous.catch(() => {}).then(async () => {
      signal?.throwIfAborted()
      return task()
    })
    this.tails.set(key, mine)
    try {
      return await mine
    } finally {
      if (this.tails.get(key) === mine) this.tails.delete(key)
    }
  }

  /** Keys with a task running or waiting. */
  get size (): number {
    return this.tails.size
  }
}
