/**
 * Kademlia XOR distance, written once. Points are equal-length byte arrays
 * (sha-256 digests); a distance compares like the big-endian number it spells.
 */

/** The XOR of two equal-length points: their distance. */
export function xor (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i]
  return out
}

/** The XOR distance of two equal-length points as lowercase hex (64 digits for sha-256). */
export function xorHex (a: Uint8Array, b: Uint8Array): string {
  let out = ''
  for (let i = 0; i < a.length; i++) out += ((a[i] ^ b[i]) & 0xff).toString(16).padStart(2, '0')
  return out
}

/** Compares the XOR distances of `a` and `b` to `target`: negative when `a` is closer, 0 when equal. */
export function compareXorDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}
