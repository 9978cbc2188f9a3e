// Shared by the benches: the memory-transport network that index.mjs and profile-idle.mjs form,
// and the bench record policy. Every node is configured with a few earlier nodes as bootstrap
// peers (the product path).
import { createChorusDHT } from '../dist/index.js'

export const DEGREE = 6
export const validators = { CHORUS: async (_k, v) => { if (v.length === 0) throw new Error('empty') } }
export const selectors = { CHORUS: () => 0 }
export const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a)

/** The earlier nodes node `i` bootstraps from: its predecessor and a spread of others, DEGREE in all. */
export function targetsOf (i) {
  const t = new Set()
  if (i > 0) t.add(i - 1)
  for (let j = 0; t.size < Math.min(DEGREE, i); j++) t.add((j * 7919 + i * 31) % i)
  return [...t]
}

/** Starts `n` chorus-dht nodes on `/memory/<prefix>-<i>`, each bootstrapping from targetsOf(i). */
export async function createChorusNetwork (prefix, n, extra = {}) {
  const addr = (i) => `/memory/${prefix}-${i}`
  return Promise.all(Array.from({ length: n }, (_, i) => createChorusDHT({
    transports: ['memory'],
    listen: [addr(i)],
    bootstrapPeers: targetsOf(i).map(addr),
    allowPrivateAddresses: true,
    autoBootstrap: false,
    joinStagger: 0,
    validators,
    selectors,
    ...extra
  })))
}
