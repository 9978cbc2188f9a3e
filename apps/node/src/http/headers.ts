/** Visible ASCII but `%`: the bytes {@link encodeHeaderValue} keeps as they are. */
const HEADER_SAFE = /^[\x21-\x24\x26-\x7e]*$/

/**
 * Makes a header value of any string: every UTF-8 byte outside visible
 * ASCII (controls, CR, LF, NUL, space, non-ASCII) and `%` itself becomes
 * `%XX`, so `decodeURIComponent(value)` gives the string back. A value of
 * visible ASCII without `%` is unchanged.
 */
export function encodeHeaderValue (value: string): string {
  if (HEADER_SAFE.test(value)) return value
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"))*$`)

/**
 * The `Content-Type` to serve for a stored content type: the value when it
 * is a well-formed media type (RFC 9110 `type/subtype; param=value`, ASCII
 * only), else `application/octet-stream` (the stored value then goes out
 * percent-encoded in `X-UCXL-Content-Type` only).
 */
export function contentTypeHeader (contentType: string): string {
  return contentType.length <= 256 && MEDIA_TYPE.test(contentType) ? contentType : 'application/octet-stream'
}

/**
 * Whether an `If-None-Match` header matches `etag` (weak comparison, RFC
 * 9110 §13.1.2: `W/"3"` matches `"3"`; `*` matches anything).
 */
export function ifNoneMatch (header: string | undefined, etag: string): boolean {
  if (header == null || header === '') return false
  if (header.trim() === '*') return true
  const bare = (t: string): string => t.trim().replace(/^W\//, '')
  return header.split(',').some(t => bare(t) === bare(etag))
}
