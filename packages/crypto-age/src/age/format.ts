/**
 * The age v1 file format (C2SP age.md) on node:crypto: header parsing and
 * encoding, the header MAC, and the ChaCha20-Poly1305 STREAM payload in
 * 64 KiB chunks. Recipient and identity types plug in through the same
 * `wrapFileKey` / `unwrapFileKey` shape as `age-encryption`'s interfaces.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { dearmor, isArmored } from './armor.js'
import { decodeBase64, encodeBase64 } from './base64.js'
import { AgeFormatError } from './format-error.js'

/** One recipient stanza of an age header. */
export interface Stanza {
  args: string[]
  body: Uint8Array
}

/** Wraps a file key into one or more stanzas (age-encryption's `Recipient`). */
export interface Recipient {
  wrapFileKey(fileKey: Uint8Array): Stanza[] | Promise<Stanza[]>
}

/**
 * Unwraps a file key (age-encryption's `Identity`): `null` when no stanza is
 * for this identity, throws when a stanza for it is malformed.
 */
export interface Identity {
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null | Promise<Uint8Array | null>
}

export { AgeFormatError } from './format-error.js'
export type { AgeFailure } from './format-error.js'

export const CHUNK_SIZE = 64 * 1024
const TAG_SIZE = 16
const NONCE_SIZE = 16
const ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
const VERSION_LINE = 'age-encryption.org/v1'
const ZERO_NONCE = Buffer.alloc(12)
const EMPTY = Buffer.alloc(0)
const HEADER_LABEL = Buffer.from('header')
const PAYLOAD_LABEL = Buffer.from('payload')
/** Chunks processed between yields to the event loop. */
const CHUNKS_PER_SLICE = 64

const ONE = Buffer.from([1])

/**
 * HKDF-SHA-256 (RFC 5869) to 32 bytes: one extract and one expand block.
 * Two HMACs cost half of `hkdfSync` in Node 20. An empty salt is the same
 * HMAC key as HashLen zero bytes, as the RFC specifies.
 */
export function hkdf32 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest()
  return createHmac('sha256', prk).update(info).update(ONE).digest()
}

/** ChaCha20-Poly1305 with a zero nonce, as stanza bodies use. */
export function sealFileKey (key: Uint8Array, fileKey: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_SIZE })
  const ct = c.update(fileKey)
  c.final()
  return Buffer.concat([ct, c.getAuthTag()])
}

/** Opens a stanza body; `null` when the tag does not verify. */
export function openFileKey (key: Uint8Array, body: Uint8Array): Uint8Array | null {
  if (body.length !== 32) return null
  const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_SIZE })
  d.setAuthTag(body.subarray(16))
  const pt = d.update(body.subarray(0, 16))
  try {
    d.final()
  } catch {
    return null
  }
  return pt
}

interface ParsedHeader {
  stanzas: Stanza[]
  /** The header up to and including `---`, what the MAC covers. */
  macInput: Uint8Array
  mac: Uint8Array
  /** Offset of the payload nonce. */
  payloadStart: number
}

function headerError (message: string): AgeFormatError {
  return new AgeFormatError('header', `malformed age header: ${message}`)
}

/** Parses and strictly validates an age v1 header at the start of `file`. */
export function parseHeader (file: Uint8Array): ParsedHeader {
  let pos = 0
  const nextLine = (): { line: string, start: number } => {
    const end = file.indexOf(10, pos)
    if (end < 0) throw headerError(pos === 0 ? 'not an age file' : 'truncated')
    for (let i = pos; i < end; i++) {
      const c = file[i]
      if (c < 0x20 || c > 0x7e) throw headerError(`invalid byte 0x${c.toString(16)} at offset ${i}`)
    }
    const start = pos
    const line = Buffer.from(file.buffer, file.byteOffset + pos, end - pos).toString('latin1')
    pos = end + 1
    return { line, start }
  }
  const version = nextLine().line
  if (version !== VERSION_LINE) {
    throw headerError(version.startsWith('age-encryption.org/') ? `unsupported version ${JSON.stringify(version)}` : 'not an age file')
  }
  const stanzas: Stanza[] = []
  for (;;) {
    const { line, start } = nextLine()
    if (line.startsWith('--- ')) {
      const mac = decodeBase64(line.slice(4))
      if (mac?.length !== 32) throw headerError('invalid MAC line')
      return { stanzas, macInput: file.subarray(0, start + 3), mac, payloadStart: pos }
    }
    if (!line.startsWith('-> ')) throw headerError(`unexpected line ${JSON.stringify(line.slice(0, 32))}`)
    const args = line.slice(3).split(' ')
    if (args.some(a => a.length === 0)) throw headerError('empty stanza argument')
    const parts: Uint8Array[] = []
    for (;;) {
      const body = nextLine().line
      if (body.length > 64) throw headerError('stanza body line longer than 64 columns')
      const bytes = decodeBase64(body)
      if (bytes === undefined) throw headerError('stanza body is not canonical base64')
      parts.push(bytes)
      if (body.length < 64) break
    }
    stanzas.push({ args, body: Buffer.concat(parts) })
  }
}

/** Encodes stanzas as a header without the MAC, ending in `---`. */
function encodeHeaderNoMac (stanzas: Stanza[]): Buffer {
  let s = `${VERSION_LINE}\n`
  for (const st of stanzas) {
    s += `-> ${st.args.join(' ')}\n`
    const b64 = encodeBase64(st.body)
    for (let i = 0; i < b64.length; i += 64) s += `${b64.slice(i, i + 64)}\n`
    // The last body line must be shorter than 64 columns, even if empty.
    if (b64.length % 64 === 0) s += '\n'
  }
  s += '---'
  return Buffer.from(s, 'latin1')
}

function headerMac (fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac('sha256', hkdf32(fileKey, EMPTY, HEADER_LABEL)).update(macInput).digest()
}

function setLastFlag (nonce: Buffer): void {
  nonce[11] = 1
}

function incrementNonce (nonce: Buffer): void {
  for (let i = 10; i >= 0; i--) {
    nonce[i]++
    if (nonce[i] !== 0) return
  }
  throw new Error('STREAM counter overflow')
}

/** Hooks for long operations: a checkpoint that throws on abort, a yield. */
export interface Progress {
  check(): void
  yield(): Promise<void>
}

/**
 * An uninitialised buffer with its own ArrayBuffer (never the shared pool,
 * so `.buffer` exposes nothing else), returned as a plain Uint8Array. Every
 * byte is written before it is returned; skipping the zero fill saves a
 * pass over large payloads.
 */
function allocOutput (size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(b.buffer, b.byteOffset, size)
}

/** The size of the age file for a plaintext of `size` bytes after `headerSize`. */
function payloadSize (size: number): number {
  const chunks = Math.max(1, Math.ceil(size / CHUNK_SIZE))
  return NONCE_SIZE + size + chunks * TAG_SIZE
}

/**
 * Encrypts `plaintext` to `recipients` as one age v1 file. Holds the input
 * and the output, nothing more than a chunk beside them.
 */
export async function encryptFile (plaintext: Uint8Array, recipients: Recipient[], progress: Progress): Promise<Uint8Array> {
  if (recipients.length === 0) throw new Error('no recipients')
  const fileKey = randomBytes(16)
  const stanzas: Stanza[] = []
  for (const r of recipients) stanzas.push(...await r.wrapFileKey(fileKey))
  progress.check()
  const noMac = encodeHeaderNoMac(stanzas)
  const macLine = Buffer.from(` ${encodeBase64(headerMac(fileKey, noMac))}\n`, 'latin1')
  const headerSize = noMac.length + macLine.length
  const out = allocOutput(headerSize + payloadSize(plaintext.length))
  out.set(noMac, 0)
  out.set(macLine, noMac.length)
  const nonce = randomBytes(NONCE_SIZE)
  out.set(nonce, headerSize)
  const key = hkdf32(fileKey, nonce, PAYLOAD_LABEL)
  const streamNonce = Buffer.alloc(12)
  let o = headerSize + NONCE_SIZE
  let i = 0
  let n = 0
  for (;;) {
    const end = Math.min(i + CHUNK_SIZE, plaintext.length)
    const last = end === plaintext.length
    if (last) setLastFlag(streamNonce)
    const c = createCipheriv('chacha20-poly1305', key, streamNonce, { authTagLength: TAG_SIZE })
    const ct = c.update(plaintext.subarray(i, end))
    c.final()
    out.set(ct, o)
    o += ct.length
    out.set(c.getAuthTag(), o)
    o += TAG_SIZE
    if (last) break
    incrementNonce(streamNonce)
    i = end
    if (++n % CHUNKS_PER_SLICE === 0) {
      progress.check()
      await progress.yield()
    }
  }
  return out
}

/**
 * Decrypts an age v1 file with the first identity that unwraps the file
 * key; ASCII-armored files are accepted too. All or nothing: no plaintext is returned unless every chunk
 * authenticates. Throws {@link AgeFormatError}.
 */
export async function decryptFile (file: Uint8Array, identities: Identity[], progress: Progress): Promise<Uint8Array> {
  if (isArmored(file)) file = dearmor(file)
  const { stanzas, macInput, mac, payloadStart } = parseHeader(file)
  const fileKey = await unwrap(stanzas, identities)
  progress.check()
  if (!timingSafeEqual(headerMac(fileKey, macInput), mac)) {
    throw new AgeFormatError('hmac', 'age header MAC does not verify: the header was modified')
  }
  return await decryptPayload(file.subarray(payloadStart), fileKey, progress)
}

/** Unwraps the file key of a parsed header; throws 'no match' or 'header'. */
export async function unwrap (stanzas: Stanza[], identities: Identity[]): Promise<Uint8Array> {
  if (stanzas.length === 0) throw headerError('no recipient stanzas')
  if (stanzas.length > 1 && stanzas.some(s => s.args[0] === 'scrypt')) {
    throw headerError('a scrypt stanza must be the only stanza')
  }
  for (const id of identities) {
    let key: Uint8Array | null
    try {
      key = await id.unwrapFileKey(stanzas)
    } catch (err: any) {
      throw new AgeFormatError('header', `malformed recipient stanza: ${err.message}`, { cause: err })
    }
    if (key !== null) {
      if (key.length !== 16) throw headerError('wrapped file key is not 16 bytes')
      return key
    }
  }
  throw new AgeFormatError('no match', 'no identity matches any recipient of this file')
}

async function decryptPayload (payload: Uint8Array, fileKey: Uint8Array, progress: Progress): Promise<Uint8Array> {
  if (payload.length < NONCE_SIZE) throw new AgeFormatError('header', 'age file truncated: missing payload nonce')
  const key = hkdf32(fileKey, payload.subarray(0, NONCE_SIZE), PAYLOAD_LABEL)
  const ct = payload.subarray(NONCE_SIZE)
  if (ct.length < TAG_SIZE) throw new AgeFormatError('payload', 'age payload truncated: no chunk')
  const chunks = Math.ceil(ct.length / ENC_CHUNK_SIZE)
  const lastSize = ct.length - (chunks - 1) * ENC_CHUNK_SIZE
  if (lastSize < TAG_SIZE) throw new AgeFormatError('payload', 'age payload truncated: short last chunk')
  const out = allocOutput(ct.length - chunks * TAG_SIZE)
  const streamNonce = Buffer.alloc(12)
  let o = 0
  for (let n = 0; n < chunks; n++) {
    const start = n * ENC_CHUNK_SIZE
    const last = n === chunks - 1
    const end = last ? ct.length : start + ENC_CHUNK_SIZE
    if (last) {
      setLastFlag(streamNonce)
      if (n > 0 && end - start === TAG_SIZE) throw new AgeFormatError('payload', 'age payload: empty last chunk')
    }
    const d = createDecipheriv('chacha20-poly1305', key, streamNonce, { authTagLength: TAG_SIZE })
    d.setAuthTag(ct.subarray(end - TAG_SIZE, end))
    const pt = d.update(ct.subarray(start, end - TAG_SIZE))
    try {
      d.final()
    } catch {
      throw new AgeFormatError('payload', `age payload chunk ${n} does not authenticate: the file was modified or truncated`)
    }
    out.set(pt, o)
    o += pt.length
    if (!last) {
      incrementNonce(streamNonce)
      if ((n + 1) % CHUNKS_PER_SLICE === 0) {
        progress.check()
        await progress.yield()
      }
    }
  }
  return out
}
