import { createHash } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { seededRandom } from '@chorus-dht/hybrid-mock'
import { DEFAULT_CONDITION_TIMEOUT } from './constants.js'
import { ConditionTimeoutError, InvalidParametersError } from './errors.js'
import type { RandomSource } from '@chorus-dht/types'
import type { PrivateKey } from '@libp2p/interface'

/** 32 bytes derived from the run seed and a label: the same seed gives the same bytes. */
export function seedBytes (seed: number, label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`chorus-harness/${seed}/${label}`).digest())
}

/** The Ed25519 key of node `index` for a seed, so peer ids (and so the topology) repeat with the seed. */
export async function nodeKey (seed: number, index: number): Promise<PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', seedBytes(seed, `node-${index}`))
}

/** A seeded random source for one purpose of a run. */
export function randomFor (seed: number, label: string): RandomSource {
  const b = seedBytes(seed, label)
  return seededRandom(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0)
}

/** `count` distinct items of `items`, chosen by `random`. */
export function sample<T> (items: T[], count: number, random: RandomSource): T[] {
  const pool = [...items]
  const out: T[] = []
  while (out.length < count && pool.length > 0) {
    out.push(pool.splice(Math.floor(random.next() * pool.length), 1)[0])
  }
  return out
}

/** Polls `cond` every `interval` ms until it holds; `ConditionTimeoutError` after `timeout`. Never a fixed sleep. */
export async function until (cond: () => boolean | Promise<boolean>, what: string, timeout = DEFAULT_CONDITION_TIMEOUT, interval = 50): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await cond())) {
    if (Date.now() > deadline) throw new ConditionTimeoutError(what, timeout)
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}

/** Validates a scenario's node count. */
export function checkNodes (nodes: number, min: number, max: number): number {
  if (!Number.isInteger(nodes) || nodes < min || nodes > max) {
    throw new InvalidParametersError(`nodes must be an integer from ${min} to ${max}, got ${String(nodes)}`)
  }
  return nodes
}

/** Validates a seed. */
export function checkSeed (seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidParametersError(`seed must be a non-negative integer, got ${String(seed)}`)
  }
  return seed
}

/** Validates a positive integer option. */
export function checkPositive (name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidParametersError(`${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function text (s: string): Uint8Array {
  return encoder.encode(s)
}

export function untext (b: Uint8Array): string {
  return decoder.decode(b)
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** `name: message` of an error, for reports. */
export function describeError (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/** A short form of a peer id for tables. */
export function shortId (peerId: string): string {
  return peerId.length > 16 ? `…${peerId.slice(-8)}` : peerId
}
