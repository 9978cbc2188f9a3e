import { operationSignal } from './deadline.js'
import { TimeoutError } from './errors.js'
import type { StorageAccounting } from './accounting.js'
import type { AbortOptions, AuditEntry, AuditOperation } from '@chorus-dht/types'

/** What an operation's audit entry says, filled in by the operation as it learns it. */
export type AuditFields = Partial<Pick<AuditEntry, 'address' | 'role' | 'contentType' | 'size'>>

export interface OperationsComponents {
  accounting: StorageAccounting
}

export interface OperationsInit {
  /** The default deadline of every public operation, ms. */
  timeout: number
}

/**
 * What every public operation of the store does around its own work, in
 * one place: the deadline (the caller's signal bounded by `timeout`), and
 * for audited operations one audit entry, the error count, and our own
 * deadline surfacing as a named `TimeoutError`.
 */
export class Operations {
  private readonly components: OperationsComponents
  private readonly init: OperationsInit

  constructor (components: OperationsComponents, init: OperationsInit) {
    this.components = components
    this.init = init
  }

  /** Runs `fn` with the operation's signal, cleared when it settles. */
  async run<T> (options: AbortOptions | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const op = operationSignal(this.init.timeout, options?.signal)
    try {
      return await fn(op.signal)
    } finally {
      op.clear()
    }
  }

  /**
   * Runs an audited operation: `fields` start as what the arguments say
   * and `fn` completes them. On success one entry with `success: true`; on
   * failure the error count, one entry with `success: false` and the error,
   * and the error rethrown (a timeout of our own deadline as `TimeoutError`).
   */
  async audited<T> (operation: AuditOperation, fields: AuditFields, options: AbortOptions | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { accounting } = this.components
    return this.run(options, async (signal) => {
      let result: T
      try {
        result = await fn(signal)
      } catch (err: any) {
        accounting.failed()
        await accounting.audit(operation, { ...fields, success: false, error: `${err?.name}: ${err?.message}` })
        throw this.timedOut(err, signal, operation)
      }
      await accounting.audit(operation, { ...fields, success: true })
      return result
    })
  }

  /** Our own deadline, surfacing as whatever the aborted step threw, becomes a named TimeoutError. */
  private timedOut (err: any, signal: AbortSignal, what: string): Error {
    if (signal.aborted && err?.name !== TimeoutError.name && signal.reason?.name === 'TimeoutError') {
      return new TimeoutError(`${what} did not finish within ${this.init.timeout} ms`, { cause: err })
    }
    return err
  }
}
