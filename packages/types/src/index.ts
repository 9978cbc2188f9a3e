/**
 * @packageDocumentation
 *
 * The contracts of chorus-dht: the interfaces every package implements or
 * consumes, and the shared error classes callers branch on by `name`.
 * There is no other runtime code here.
 *
 * @example
 *
 * ```ts
 * import { NotFoundError, type DHT } from '@chorus-dht/types'
 *
 * async function read (dht: DHT, key: string): Promise<Uint8Array | undefined> {
 *   try {
 *     return await dht.getValue(key)
 *   } catch (err: any) {
 *     if (err.name === NotFoundError.name) return undefined
 *     throw err
 *   }
 * }
 * ```
 */

export * from './errors.js'
export type * from './abort.js'
export type * from './startable.js'
export type * from './clock.js'
export type * from './logger.js'
export type * from './roles.js'
export type * from './crypto.js'
export type * from './peer.js'
export type * from './dht.js'
export type * from './discovery.js'
export type * from './ucxl.js'
export type * from './storage.js'
export type * from './audit.js'
export type * from './replication.js'
export type * from './health.js'
export type * from './authority.js'
