import { QuotaExceededError } from './errors.js'

/** What one peer makes this node hold. */
export interface PeerUsage {
  records: number
  bytes: number
}

/** Limits of {@link PeerQuotas}. */
export interface PeerQuotasInit {
  maxRecords: number
  maxBytes: number
}

interface Owner {
  peer: string
  bytes: number
}

/**
 * Which peer's PUT_VALUE stored each record this node holds, and how much
 * each peer holds here. A record belongs to the last peer whose PUT stored
 * it (a re-put by another peer moves it); a local write (our own put,
 * kad-dht's corrections) belongs to nobody. In memory only: it restarts
 * empty, and records already held then belong to nobody. Its size is one
 * entry per record held for a peer plus one per such peer, so it is bounded
 * by what the datastore holds.
 *
 * Every change is made synchronously, so two writes of the same peer in
 * flight cannot both pass against the same usage; the caller holds the
 * key's lock (the record guard's) so the owner of a key cannot change
 * between {@link claim} and the undo it returns.
 */
export class PeerQuotas {
  private readonly init: PeerQuotasInit
  private readonly owners = new Map<string, Owner>()
  private readonly usage = new Map<string, PeerUsage>()
  /** Refusals by limit, since the node was created. */
  readonly hits = { records: 0, bytes: 0 }

  constructor (init: PeerQuotasInit) {
    this.init = init
  }

  /** What `peer` holds here. */
  usageOf (peer: string): PeerUsage {
    const u = this.usage.get(peer)
    return { records: u?.records ?? 0, bytes: u?.bytes ?? 0 }
  }

  /** Peers holding at least one record here. */
  get peers (): number {
    return this.usage.size
  }

  /**
   * Makes `writer` (undefined: this node) the owner of `key`, a record of
   * `bytes` bytes, or throws `QuotaExceededError` (and changes nothing) when
   * that would take `writer` past a quota. Returns the undo, for a write
   * that then fails.
   */
  claim (writer: string | undefined, key: string, bytes: number): () => void {
    const old = this.owners.get(key)
    if (writer != null) {
      const u = this.usageOf(writer)
      const same = old?.peer === writer
      const records = u.records + (same ? 0 : 1)
      const total = u.bytes + bytes - (same ? old.bytes : 0)
      if (records > this.init.maxRecords) {
        this.hits.records++
        throw new QuotaExceededError(`peer ${writer} holds ${u.records} records here, the most one peer may (maxRecordsPerPeer)`)
      }
      if (total > this.init.maxBytes) {
        this.hits.bytes++
        throw new QuotaExceededError(`a record of ${bytes} bytes would take peer ${writer} past ${this.init.maxBytes} bytes here (maxBytesPerPeer)`)
      }
    }
    this.release(key)
    const entry = writer == null ? undefined : { peer: writer, bytes }
    if (entry != null) {
      this.owners.set(key, entry)
      this.add(entry.peer, 1, entry.bytes)
    }
    return () => {
      if (this.owners.get(key) !== entry) {
        // deleted (or rewritten) meanwhile: nothing of ours to undo
        return
      }
      this.release(key)
      if (old != null) {
        this.owners.set(key, old)
        this.add(old.peer, 1, old.bytes)
      }
    }
  }

  /** The record `key` is no longer held: its owner is charged for it no more. */
  release (key: string): void {
    const old = this.owners.get(key)
    if (old == null) {
      return
    }
    this.owners.delete(key)
    this.add(old.peer, -1, -old.bytes)
  }

  private add (peer: string, records: number, bytes: number): void {
    const u = this.usage.get(peer) ?? { records: 0, bytes: 0 }
    u.records += records
    u.bytes += bytes
    if (u.records <= 0) {
      this.usage.delete(peer)
    } else {
      this.usage.set(peer, u)
    }
  }
}
