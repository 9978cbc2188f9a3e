const ALPHABET = /^[A-Za-z0-9+/]*$/

/**
 * Strict, canonical, unpadded base64 as age headers require: no padding,
 * no whitespace, no non-zero trailing bits. Returns `undefined` when `s` is
 * not canonical.
 */
export function decodeBase64 (s: string): Uint8Array | undefined {
  if (!ALPHABET.test(s) || s.length % 4 === 1) return undefined
  const b = Buffer.from(s, 'base64')
  if (encodeBase64(b) !== s) return undefined
  return b
}

/** Unpadded standard base64. */
export function encodeBase64 (b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
  let end = s.length
  while (end > 0 && s.charCodeAt(end - 1) === 61) end--
  return s.slice(0, end)
}
