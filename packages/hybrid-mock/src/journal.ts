import { Key } from 'interface-datastore'
import { equals as bytesEqual } from 'uint8arrays/equals'
import type { AbortOptions, Logger } from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

/** One write the mock took in place of the real backend. */
export interface JournalEntry {
  seq: number
  op: 'put' | 'provide'
  key: string
  value?: Uint8Array
  /** ms since the epoch when the write was taken */
  time: number
}

interface Stored { seq: number, op: 'put' | 'provide', key: string, value?: string, time: number }

/**
 * The ordered journal of writes awaiting replay to the real backend, kept in
 * memory and, when a datastore is given, persisted before the write is
 * acknowledged (keys `<prefix>/<seq, 16 digits>`).
 */
export class WriteJournal {
  private entries: JournalEntry[] = []
  private nextSeq = 1

  constructor (private readonly datastore: Datastore | undefined, private readonly prefix: string, private readonly log: Logger) {}

  get size (): number {
    return this.entries.length
  }

  peek (): JournalEntry | undefined {
    return this.entries[0]
  }

  all (): JournalEntry[] {
    return [...this.entries]
  }

  hasKey (key: string): boolean {
    return this.entries.some((e) => e.op === 'put' && e.key === key)
  }

  /** Replaces the in-memory journal by what the datastore holds (no-op without a datastore). */
  async load (options?: AbortOptions): Promise<void> {
    if (this.datastore == null) return
    const loaded: JournalEntry[] = []
    for await (const { key, value } of this.datastore.query({ prefix: this.prefix }, options)) {
      try {
        const s = JSON.parse(new TextDecoder().decode(value)) as Stored
        loaded.push({ seq: s.seq, op: s.op, key: s.key, time: s.time, value: s.value === undefined ? undefined : Uint8Array.from(Buffer.from(s.value, 'base64')) })
      } catch (err: any) {
        this.log.error('skipping unreadable journal entry %s - %e', key.toString(), err)
      }
    }
    loaded.sort((a, b) => a.seq - b.seq)
    this.entries = loaded
    this.nextSeq = Math.max(this.nextSeq, (loaded.at(-1)?.seq ?? 0) + 1)
  }

  async append (op: 'put' | 'provide', key: string, value: Uint8Array | undefined, time: number, options?: AbortOptions): Promise<JournalEntry> {
    const entry: JournalEntry = { seq: this.nextSeq++, op, key, value: value?.slice(), time }
    if (this.datastore != null) {
      const stored: Stored = { seq: entry.seq, op, key, time, value: value === undefined ? undefined : Buffer.from(value).toString('base64') }
      await this.datastore.put(this.dsKey(entry.seq), new TextEncoder().encode(JSON.stringify(stored)), options)
    }
    // concurrent appends may finish persisting out of order: keep seq order
    let i = this.entries.length
    while (i > 0 && this.entries[i - 1].seq > entry.seq) i--
    this.entries.splice(i, 0, entry)
    return entry
  }

  /** Removes an entry (after it was replayed or dropped). */
  async remove (seq: number, options?: AbortOptions): Promise<void> {
    if (this.datastore != null) await this.datastore.delete(this.dsKey(seq), options)
    const i = this.entries.findIndex((e) => e.seq === seq)
    if (i !== -1) this.entries.splice(i, 1)
  }

  /** Removes every journaled put of exactly `value` under `key` (a withdrawn claim); resolves whether there was one. */
  async removePuts (key: string, value: Uint8Array, options?: AbortOptions): Promise<boolean> {
    let removed = false
    for (const e of this.all()) {
      if (e.op === 'put' && e.key === key && e.value != null && bytesEqual(e.value, value)) {
        await this.remove(e.seq, options)
        removed = true
      }
    }
    return removed
  }

  private dsKey (seq: number): Key {
    return new Key(`${this.prefix}/${String(seq).padStart(16, '0')}`)
  }
}
