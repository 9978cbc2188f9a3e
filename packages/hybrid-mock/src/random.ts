import type { RandomSource } from '@chorus-dht/types'

/**
 * mulberry32: a tiny 32-bit seeded PRNG. Good enough for reproducible
 * simulation (latency, failure injection); not for cryptography.
 */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A {@link RandomSource} that yields the same sequence for the same seed, so
 * a simulated run (latency, failures) can be reproduced exactly.
 *
 * @example
 * ```ts
 * const a = seededRandom(42)
 * const b = seededRandom(42)
 * a.next() === b.next() // true
 * ```
 */
export function seededRandom (seed: number): RandomSource {
  const next = mulberry32(seed)
  return { next }
}

/** A {@link RandomSource} backed by `Math.random()` (not reproducible). */
export const mathRandom: RandomSource = { next: () => Math.random() }
