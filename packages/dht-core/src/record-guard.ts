import { RecordConflictError } from '@chorus-dht/types'
import { Record as Libp2pRecord } from '@libp2p/kad-dht'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { RECORD_DATASTORE_PREFIX } from './constants.js'
import { namespaceOf } from './keys.js'
import type { AbortOptions, Logger, RecordReplacer, RecordSelector, RecordValidator } from '@chorus-dht/types'
import type { Datastore, Key } from 'interface-datastore'

const DECODER = new TextDecoder()

/** The record policy the guard enforces, by namespace. */
export interface RecordGuardInit {
  validators: Record<string, RecordValidator>
  selectors: Record<string, RecordSelector>
  replacers: Record<string, RecordReplacer>
  log: Logger
}

/** Whether a datastore key is one of kad-dht's record keys (`/dht/record/…`). */
export function isRecordKey (key: Key): boolean {
  return key.toString().startsWith(`${RECORD_DATASTORE_PREFIX}/`)
}

/**
 * The replacement rule, applied to every write of a DHT record into the
 * datastore: a local put, a PUT_VALUE accepted from the wire and kad-dht's
 * correction records all end in `datastore.put`, so guarding that one call
 * covers every path by which a held record could be replaced.
 *
 * Writes to one key are serialised, so that the check and the write are one
 * step: two concurrent puts cannot both pass against the same held record.
 */
export class RecordGuard {
  private readonly init: RecordGuardInit
  private readonly locks = new Map<string, Promise<unknown>>()

  constructor (init: RecordGuardInit) {
    this.init = init
  }

  /** Runs `fn` alone for datastore key `dsKey`. */
  async exclusive<T> (dsKey: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(dsKey) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const settled = run.then(() => {}, () => {})
    this.locks.set(dsKey, settled)
    try {
      return await run
    } finally {
      if (this.locks.get(dsKey) === settled) {
        this.locks.delete(dsKey)
      }
    }
  }

  /**
   * Throws `RecordConflictError` when the serialized record `incoming` may
   * not replace what `datastore` holds under `dsKey`. Must run inside
   * {@link exclusive} for that key.
   */
  async admit (datastore: Datastore, dsKey: Key, incoming: Uint8Array, options?: AbortOptions): Promise<void> {
    let record: Libp2pRecord
    try {
      record = Libp2pRecord.deserialize(incoming)
    } catch {
      // not a record this layer understands; kad-dht never writes one
      return
    }
    let raw: Uint8Array
    try {
      raw = await datastore.get(dsKey, options)
    } catch (err: any) {
      if (err?.name === 'NotFoundError') {
        return
      }
      throw err
    }
    let held: Libp2pRecord
    try {
      held = Libp2pRecord.deserialize(raw)
    } catch {
      return
    }
    if (uint8ArrayEquals(held.value, record.value)) {
      // a re-put of the same value (it may refresh timeReceived)
      return
    }
    const key = DECODER.decode(record.key)
    const ns = namespaceOf(key)
    const validator = ns == null ? undefined : this.init.validators[ns]
    if (validator == null) {
      return
    }
    try {
      await validator(key, held.value)
    } catch {
      // the held record is not valid (any more): nothing worth keeping
      return
    }
    const replacer = this.init.replacers[ns as string]
    if (replacer != null) {
      if (replacer(key, held.value, record.value)) {
        return
      }
      this.init.log('replacer of %s keeps the held record of %s', ns, key)
      throw new RecordConflictError(`the record held for ${key} is kept by the replacement rule of namespace ${String(ns)}`)
    }
    const selector = this.init.selectors[ns as string]
    if (selector == null) {
      // no replacer and no selector: the namespace has no order, the last write wins
      return
    }
    if (selector(key, [held.value, record.value]) === 1) {
      return
    }
    this.init.log('selector of %s prefers the held record of %s', ns, key)
    throw new RecordConflictError(`the record held for ${key} is preferred by the selector of namespace ${String(ns)}`)
  }
}

/**
 * Per-writer bookkeeping of record writes (the quotas): `claim` charges the
 * write of `bytes` bytes under datastore key `dsKey` to whoever is writing
 * (or throws to refuse it) and returns its undo, run when the write fails;
 * `release` forgets a deleted record.
 */
export interface RecordWrites {
  claim(dsKey: string, bytes: number): () => void
  release(dsKey: string): void
}

/**
 * Wraps the datastore so that (a) every write of a DHT record passes the
 * {@link RecordGuard} and (b) the number of stored records (getStats'
 * `totalKeys`) is known without a query, and (c) every record write is
 * charged to its writer (`writes`: the per-peer quotas; a refusal there
 * stores nothing either). kad-dht writes records with `put`
 * (local puts, accepted remote puts, corrections); a refused write throws
 * `RecordConflictError` and stores nothing, which kad-dht's PUT_VALUE
 * handler turns into a reset of the requester's stream.
 */
export function guardedDatastore (datastore: Datastore, keys: Set<string>, guard: RecordGuard, writes?: RecordWrites): Datastore {
  return new Proxy(datastore, {
    get (target, prop) {
      const value = Reflect.get(target, prop, target)
      if (prop === 'put') {
        return async (key: Key, val: Uint8Array, options?: AbortOptions) => {
          if (!isRecordKey(key)) {
            return target.put(key, val, options)
          }
          const dsKey = key.toString()
          return guard.exclusive(dsKey, async () => {
            const undo = writes?.claim(dsKey, val.byteLength)
            try {
              await guard.admit(target, key, val, options)
              const out = await target.put(key, val, options)
              keys.add(dsKey)
              return out
            } catch (err) {
              undo?.()
              throw err
            }
          })
        }
      }
      if (prop === 'delete') {
        return async (key: Key, options?: AbortOptions) => {
          await target.delete(key, options)
          keys.delete(key.toString())
          if (isRecordKey(key)) {
            writes?.release(key.toString())
          }
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}
