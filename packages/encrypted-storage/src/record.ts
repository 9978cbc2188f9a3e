// Over 400 lines: the one wire format of a chorus record (SPEC "Record
// format"): its encoder, decoder, structure checks, signature verification
// and the kad-dht validator built on them. Reader and writer of a format
// change together, so they stay side by side.
import { createHash, createPrivateKey, createPublicKey, sign as signEd25519, verify as verifyEd25519 } from 'node:crypto'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { headKey, parse, versionKey } from '@chorus-dht/ucxl'
import {
  CertificateError,
  IntegrityError,
  InvalidRecordError,
  RecordTooLargeError
} from './errors.js'
import {
  DEFAULT_MAX_CLOCK_SKEW,
  DEFAULT_MAX_RECORD_SIZE,
  MAX_CERTIFICATE_BASE64,
  MAX_VERSION_JUMP,
  RECORD_FORMAT_VERSION,
  RECORD_FORMAT_VERSION_CERTIFIED,
  RECORD_NAMESPACE,
  RECORD_SIGNING_DOMAIN,
  UCXL_KEY_PREFIX
} from './constants.js'
import { VerifiedRecords } from './verified-records.js'
import type { Clock, RecordPolicy, RecordReplacer, RecordSelector, RecordSigner, RecordValidator, UCXLMetadata, WriteAuthority } from '@chorus-dht/types'

/**
 * Which of the two records of an address a record is: the immutable record
 * of one version (key of the address with temporal `*~N`), or the head
 * (key of the address with temporal `*^`), which repeats the newest
 * version's metadata and ciphertext under its own key and signature.
 */
export type RecordKind = 'head' | 'version'

/** A decoded chorus record. */
export interface ChorusRecord {
  kind: RecordKind
  /** The DHT key the record was signed for. */
  key: string
  /** The signed metadata. `dhtPeers` is always empty on the wire. */
  metadata: UCXLMetadata
  /** The age v1 ciphertext. */
  ciphertext: Uint8Array
  /** Signature of the signer's libp2p key over the signing bytes. */
  signature: Uint8Array
  /**
   * The signer's role certificate (the authority-signed certificate record,
   * as bytes), in records of format 2 written under a network authority.
   */
  certificate?: Uint8Array
}

/** A decoded record with the exact header bytes the signature covers. */
export interface DecodedRecord extends ChorusRecord {
  /** The header as it was on the wire (what the signature covers, after the domain prefix). */
  header: Uint8Array
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const DOMAIN = encoder.encode(RECORD_SIGNING_DOMAIN)
// 1 byte format + 4 bytes header length + 2 bytes signature length
const FIXED_OVERHEAD = 7

/** sha-256 of `data`, lowercase hex. */
export function sha256Hex (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * The header JSON of a record. Field order is fixed so the same record
 * always encodes to the same bytes.
 */
function encodeHeader (kind: RecordKind, key: string, m: UCXLMetadata, certificate?: Uint8Array): Uint8Array {
  const header: Record<string, unknown> = {
    v: certificate == null ? RECORD_FORMAT_VERSION : RECORD_FORMAT_VERSION_CERTIFIED,
    kind,
    key,
    metadata: {
      address: m.address,
      version: m.version,
      creatorRole: m.creatorRole,
      encryptedFor: m.encryptedFor,
      contentType: m.contentType,
      timestamp: m.timestamp,
      size: m.size,
      hash: m.hash,
      replicationFactor: m.replicationFactor,
      signer: m.signer
    }
  }
  if (certificate != null) header.cert = Buffer.from(certificate).toString('base64')
  return encoder.encode(JSON.stringify(header))
}

function concat (parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.byteLength
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.byteLength
  }
  return out
}

/**
 * The bytes a record's signature covers: the domain prefix
 * `chorus-dht/ucxl-record/v1\n` followed by the header JSON, which holds
 * the key, the metadata and (in the metadata) the ciphertext's sha-256.
 */
export function recordSigningBytes (kind: RecordKind, key: string, metadata: UCXLMetadata, certificate?: Uint8Array): Uint8Array {
  return concat([DOMAIN, encodeHeader(kind, key, metadata, certificate)])
}

/**
 * Encodes a record in the binary envelope (all integers big-endian):
 *
 * ```
 * offset  size  field
 * 0       1     format version, 1
 * 1       4     H, header length
 * 5       H     header, UTF-8 JSON: {"v":1,"kind":"head"|"version","key":…,"metadata":{…}}
 * 5+H     2     S, signature length
 * 7+H     S     signature over "chorus-dht/ucxl-record/v1\n" + header
 * 7+H+S   rest  age v1 ciphertext
 * ```
 */
export function encodeRecord (record: ChorusRecord): Uint8Array {
  const header = encodeHeader(record.kind, record.key, record.metadata, record.certificate)
  const out = new Uint8Array(FIXED_OVERHEAD + header.byteLength + record.signature.byteLength + record.ciphertext.byteLength)
  const view = new DataView(out.buffer)
  out[0] = record.certificate == null ? RECORD_FORMAT_VERSION : RECORD_FORMAT_VERSION_CERTIFIED
  view.setUint32(1, header.byteLength)
  out.set(header, 5)
  view.setUint16(5 + header.byteLength, record.signature.byteLength)
  out.set(record.signature, 7 + header.byteLength)
  out.set(record.ciphertext, 7 + header.byteLength + record.signature.byteLength)
  return out
}

/** Envelope bytes around a ciphertext for this metadata, signature included (Ed25519: 64 bytes). */
export function envelopeOverhead (kind: RecordKind, key: string, metadata: UCXLMetadata, signatureLength = 64, certificate?: Uint8Array): number {
  return FIXED_OVERHEAD + encodeHeader(kind, key, metadata, certificate).byteLength + signatureLength
}

function isSafeNonNegativeInteger (n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

function checkMetadata (m: any): UCXLMetadata {
  if (m == null || typeof m !== 'object' || Array.isArray(m)) {
    throw new InvalidRecordError('record metadata is not an object')
  }
  const strings = ['address', 'creatorRole', 'contentType', 'hash', 'signer'] as const
  for (const field of strings) {
    if (typeof m[field] !== 'string' || m[field].length === 0) {
      throw new InvalidRecordError(`record metadata.${field} must be a non-empty string`)
    }
  }
  if (!isSafeNonNegativeInteger(m.version) || m.version < 1) {
    throw new InvalidRecordError('record metadata.version must be an integer of at least 1')
  }
  for (const field of ['timestamp', 'size', 'replicationFactor'] as const) {
    if (!isSafeNonNegativeInteger(m[field])) {
      throw new InvalidRecordError(`record metadata.${field} must be a non-negative integer`)
    }
  }
  if (!Array.isArray(m.encryptedFor) || m.encryptedFor.some((r: unknown) => typeof r !== 'string')) {
    throw new InvalidRecordError('record metadata.encryptedFor must be an array of role names')
  }
  if (!/^[0-9a-f]{64}$/.test(m.hash)) {
    throw new InvalidRecordError('record metadata.hash must be 64 lowercase hex digits')
  }
  return {
    address: m.address,
    creatorRole: m.creatorRole,
    encryptedFor: [...m.encryptedFor],
    contentType: m.contentType,
    timestamp: m.timestamp,
    size: m.size,
    hash: m.hash,
    dhtPeers: [],
    replicationFactor: m.replicationFactor,
    version: m.version,
    signer: m.signer
  }
}

/**
 * Decodes the binary envelope. Checks the structure only (lengths, JSON,
 * field types); {@link verifyRecord} checks the key, hash and signature.
 *
 * @throws InvalidRecordError when the bytes are not a record
 */
export function decodeRecord (value: Uint8Array): DecodedRecord {
  if (!(value instanceof Uint8Array) || value.byteLength < FIXED_OVERHEAD) {
    throw new InvalidRecordError('record is too short to be a chorus record')
  }
  const format = value[0]
  if (format !== RECORD_FORMAT_VERSION && format !== RECORD_FORMAT_VERSION_CERTIFIED) {
    throw new InvalidRecordError(`unknown record format version ${format}`)
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const headerLength = view.getUint32(1)
  if (5 + headerLength + 2 > value.byteLength) {
    throw new InvalidRecordError('record header length exceeds the record')
  }
  const header = value.subarray(5, 5 + headerLength)
  const signatureLength = view.getUint16(5 + headerLength)
  const sigStart = 7 + headerLength
  if (sigStart + signatureLength > value.byteLength) {
    throw new InvalidRecordError('record signature length exceeds the record')
  }
  let parsed: any
  try {
    parsed = JSON.parse(decoder.decode(header))
  } catch (err) {
    throw new InvalidRecordError('record header is not UTF-8 JSON', { cause: err })
  }
  if (parsed == null || typeof parsed !== 'object') {
    throw new InvalidRecordError('record header is not an object')
  }
  if (parsed.v !== format) {
    throw new InvalidRecordError(`record header v must be ${format}, the envelope's format`)
  }
  let certificate: Uint8Array | undefined
  if (format === RECORD_FORMAT_VERSION_CERTIFIED) {
    if (typeof parsed.cert !== 'string' || parsed.cert.length === 0 || parsed.cert.length > MAX_CERTIFICATE_BASE64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(parsed.cert)) {
      throw new InvalidRecordError('a format 2 record must carry its certificate as base64 in cert')
    }
    certificate = new Uint8Array(Buffer.from(parsed.cert, 'base64'))
  } else if (parsed.cert !== undefined) {
    throw new InvalidRecordError('a format 1 record carries no certificate')
  }
  if (parsed.kind !== 'head' && parsed.kind !== 'version') {
    throw new InvalidRecordError('record kind must be "head" or "version"')
  }
  if (typeof parsed.key !== 'string') {
    throw new InvalidRecordError('record key must be a string')
  }
  return {
    kind: parsed.kind,
    key: parsed.key,
    metadata: checkMetadata(parsed.metadata),
    header,
    signature: value.slice(sigStart, sigStart + signatureLength),
    ciphertext: value.slice(sigStart + signatureLength),
    ...(certificate != null ? { certificate } : {})
  }
}

/** The DHT key a record of this kind for this metadata must be stored under. */
export function expectedKey (kind: RecordKind, metadata: Pick<UCXLMetadata, 'address' | 'version'>): string {
  return kind === 'head' ? headKey(metadata.address) : versionKey(metadata.address, metadata.version)
}

/** Options of {@link verifyRecord} and {@link recordValidator}. */
export interface RecordValidatorInit {
  /**
   * Largest accepted value in bytes.
   * @default 262144 (256 KiB)
   */
  maxRecordSize?: number
  /**
   * How far a record's timestamp may be ahead of this node's clock, ms.
   * @default 300000 (5 min)
   */
  maxClockSkew?: number
  /**
   * The clock the timestamp is compared with.
   * @default Date.now
   */
  clock?: Clock
  /**
   * Under a network authority: every record must be of format 2 and carry
   * a role certificate that this checks (signed by the authority, for the
   * signer and the creator role, unexpired, not revoked). Records of
   * format 1 are refused (`CertificateError`, reason `missing`).
   * @default undefined (no authority: both formats accepted, a carried certificate is not checked)
   */
  writeAuthority?: WriteAuthority
  /** Told the reason of every record the validator refuses (for metrics). */
  onReject?(reason: string): void
}

/**
 * Checks a record for a DHT key and returns it decoded. Rejects, in this
 * order: a value over the size limit (`RecordTooLargeError`), unparsable
 * bytes, a header key other than `key`, a key that is not the one of the
 * metadata's address and version, an address that is not canonical with
 * temporal `*^`, a timestamp more than the allowed skew in the future
 * (`InvalidRecordError`), a ciphertext whose sha-256 differs from the
 * metadata hash, a signer without an embedded public key, or a bad
 * signature (`IntegrityError`).
 */
export async function verifyRecord (key: string, value: Uint8Array, init: RecordValidatorInit = {}): Promise<DecodedRecord> {
  const maxRecordSize = init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE
  const maxClockSkew = init.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW
  const now = (init.clock ?? Date).now()
  if (value.byteLength > maxRecordSize) {
    throw new RecordTooLargeError(`record of ${value.byteLength} bytes exceeds the limit of ${maxRecordSize} bytes`, { size: value.byteLength, limit: maxRecordSize })
  }
  if (!key.startsWith(UCXL_KEY_PREFIX)) {
    throw new InvalidRecordError(`key ${key} is not a UCXL key (${UCXL_KEY_PREFIX}…)`)
  }
  // the checks that depend on the bytes alone ran already for these bytes: only the clock and the authority are asked again
  const known = verifiedRecords.get(key, value)
  const record = known ?? checkStructure(key, value)
  if (record.metadata.timestamp > now + maxClockSkew) {
    throw new InvalidRecordError(`record timestamp ${record.metadata.timestamp} is more than ${maxClockSkew} ms in the future`)
  }
  // Stryker disable next-line ConditionalExpression: `true` re-runs the checks on remembered bytes, which pass again (only slower)
  if (known == null) {
    await checkIntegrity(record)
    // Stryker disable next-line all: without remembering, the same checks run again next time (only slower)
    verifiedRecords.add(key, value, record)
  }
  if (init.writeAuthority != null) {
    if (record.certificate == null) {
      throw new CertificateError(`record by ${record.metadata.signer} carries no role certificate, and this network has an authority`, { reason: 'missing' })
    }
    await init.writeAuthority.verify(record.certificate, { signer: record.metadata.signer!, role: record.metadata.creatorRole, timestamp: record.metadata.timestamp })
  }
  // a private copy: the remembered record is shared by every later check of these bytes
  return { ...record, metadata: { ...record.metadata, encryptedFor: [...record.metadata.encryptedFor], dhtPeers: [] } }
}

/**
 * Records whose bytes passed {@link checkStructure} and
 * {@link checkIntegrity} (by key and exact bytes; these checks do not
 * depend on the validator's options). At most 4096 keys and 32 MiB.
 */
const verifiedRecords = new VerifiedRecords<DecodedRecord>(4096, 4, 32 * 1024 * 1024)

/** Decodes a record and checks that it is a well-formed record of `key`'s address and version. */
function checkStructure (key: string, value: Uint8Array): DecodedRecord {
  const record = decodeRecord(value)
  if (record.key !== key) {
    throw new InvalidRecordError(`record was signed for key ${record.key}, not ${key}`)
  }
  let canonical: string
  try {
    const parsed = parse(record.metadata.address)
    canonical = parsed.raw
    if (parsed.temporal_segment.type !== 'latest') {
      throw new Error('temporal segment must be *^')
    }
  } catch (err: any) {
    throw new InvalidRecordError(`record address is not a canonical UCXL address: ${err.message}`, { cause: err })
  }
  // defence in depth: ucxl's parse() accepts only canonical strings (parse(s).raw === s), so no test can reach this
  // Stryker disable all: unreachable while parse() is strict
  if (canonical !== record.metadata.address) {
    throw new InvalidRecordError('record address is not in canonical form')
  }
  // Stryker restore all
  if (expectedKey(record.kind, record.metadata) !== key) {
    throw new InvalidRecordError(`key ${key} is not the ${record.kind} key of ${record.metadata.address} version ${record.metadata.version}`)
  }
  return record
}

/** The ciphertext's hash and the signer's signature. */
async function checkIntegrity (record: DecodedRecord): Promise<void> {
  if (sha256Hex(record.ciphertext) !== record.metadata.hash) {
    throw new IntegrityError('record ciphertext does not match its sha-256 hash')
  }
  await verifySignature(record)
}

async function verifySignature (record: DecodedRecord): Promise<void> {
  const signer = record.metadata.signer!
  let publicKey: Verifier | undefined
  try {
    publicKey = verifierOf(signer)
  } catch (err) {
    throw new IntegrityError('record signer is not a peer id', { cause: err })
  }
  if (publicKey === undefined) {
    throw new IntegrityError('record signer peer id does not embed a public key')
  }
  // Stryker disable next-line BooleanLiteral: always assigned by verify() or left by its throw, which throws here too
  let ok = false
  try {
    ok = await publicKey(concat([DOMAIN, record.header]), record.signature)
  } catch (err) {
    throw new IntegrityError('record signature could not be verified', { cause: err })
  }
  if (!ok) {
    throw new IntegrityError('record signature does not match its signer')
  }
}

type Verifier = (data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>

/**
 * The signature check of a signer's peer id, kept per signer. Ed25519 keys
 * verify through a node:crypto key object made once: @libp2p/crypto imports
 * the key again at every verify, which made it half again as slow (74 against
 * 111 µs, measured). Other key types verify through their libp2p public key.
 */
function verifierOf (signer: string): Verifier | undefined {
  const known = verifiers.get(signer)
  // Stryker disable next-line ConditionalExpression: without the memo the check is made again (only slower)
  if (known !== undefined) return known
  const publicKey = peerIdFromString(signer).publicKey
  if (publicKey == null) return undefined
  let verifier: Verifier
  // Stryker disable next-line ConditionalExpression,StringLiteral: the libp2p key verifies Ed25519 too (only slower)
  if (publicKey.type === 'Ed25519') {
    const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey.raw) }, format: 'jwk' })
    verifier = (data, signature) => verifyEd25519(null, data, keyObject, signature)
  } else {
    verifier = async (data, signature) => publicKey.verify(data, signature)
  }
  // a bounded memo, the oldest signer first out (the one-line idiom of the
  // other memos here: @libp2p/utils 7 has no LRU, and key objects are cheap to remake)
  // Stryker disable next-line all: the bound of a memo; no answer depends on it
  if (verifiers.size >= MAX_VERIFIERS) verifiers.delete(verifiers.keys().next().value!)
  verifiers.set(signer, verifier)
  return verifier
}
const MAX_VERIFIERS = 1024
const verifiers = new Map<string, Verifier>()

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/**
 * The validator for `/CHORUS/ucxl/…` keys. Install it for the `CHORUS`
 * namespace (see {@link chorusRecordPolicy}). Keys of the namespace outside
 * `/CHORUS/ucxl/` are rejected: nothing else is stored under `/CHORUS/`.
 */
export function recordValidator (init: RecordValidatorInit = {}): RecordValidator {
  return async (key, value) => {
    try {
      await verifyRecord(key, value, init)
    } catch (err: any) {
      init.onReject?.(typeof err?.reason === 'string' ? `certificate-${err.reason as string}` : err?.name ?? 'Error')
      throw err
    }
  }
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Orders two decoded records for one key: negative when `a` is better.
 * Head: higher version, then later timestamp. Immutable version: earlier
 * timestamp (the first writer of a version number wins). Ties break on the
 * lower signer id, then the lower ciphertext hash, so the order is total.
 */
export function compareRecords (a: ChorusRecord, b: ChorusRecord): number {
  if (a.kind === 'head' && b.kind === 'head') {
    if (a.metadata.version !== b.metadata.version) return b.metadata.version - a.metadata.version
    if (a.metadata.timestamp !== b.metadata.timestamp) return b.metadata.timestamp - a.metadata.timestamp
  } else if (a.metadata.timestamp !== b.metadata.timestamp) {
    return a.metadata.timestamp - b.metadata.timestamp
  }
  return compareStrings(a.metadata.signer ?? '', b.metadata.signer ?? '') ||
    compareStrings(a.metadata.hash, b.metadata.hash)
}

/**
 * The selector for `/CHORUS/ucxl/…` keys: see {@link compareRecords}.
 * Values that do not decode lose to any that do; among undecodable values
 * the first wins. Deterministic: every node given the same values picks
 * the same one, whatever their order.
 */
export const recordSelector: RecordSelector = (_key, values) => {
  let best = -1
  let bestRecord: ChorusRecord | undefined
  values.forEach((value, i) => {
    let record: ChorusRecord
    try {
      record = decodeRecord(value)
    } catch {
      return
    }
    if (bestRecord == null || compareRecords(record, bestRecord) < 0) {
      best = i
      bestRecord = record
    }
  })
  return best === -1 ? 0 : best
}

/**
 * The replacement rule for `/CHORUS/ucxl/…` keys, enforced where a node
 * accepts a record (its own put, and PUTs from the wire): a valid incoming
 * record replaces the one held only when {@link compareRecords} ranks it
 * better. So a node holding head version N refuses any head below N (a
 * replayed older head is refused, never rolled back to), and a node holding
 * a version record keeps the selector's winner: every holder converges on
 * the same record for each key. A held value that does not decode is
 * replaced.
 */
export const recordReplacer: RecordReplacer = (_key, held, incoming) => {
  let heldRecord: ChorusRecord
  try {
    heldRecord = decodeRecord(held)
  } catch {
    return true
  }
  let incomingRecord: ChorusRecord
  try {
    incomingRecord = decodeRecord(incoming)
  } catch {
    return false
  }
  // a head that jumps far past the one held is refused: a writer cannot end
  // an address for everyone with a huge version number
  if (incomingRecord.kind === 'head' && heldRecord.kind === 'head' && incomingRecord.metadata.version > heldRecord.metadata.version + MAX_VERSION_JUMP) {
    return false
  }
  return compareRecords(incomingRecord, heldRecord) < 0
}

/**
 * The record policy every chorus node installs: the validator, the
 * selector and the replacement rule for the `CHORUS` namespace.
 *
 * @example
 * ```ts
 * const policy = chorusRecordPolicy({ maxRecordSize: 512 * 1024 })
 * // pass `policy` to dht-core (or any DHT that takes a RecordPolicy)
 * ```
 */
export function chorusRecordPolicy (init: RecordValidatorInit = {}): Required<Pick<RecordPolicy, 'validators' | 'selectors' | 'replacers'>> {
  return {
    validators: { [RECORD_NAMESPACE]: recordValidator(init) },
    selectors: { [RECORD_NAMESPACE]: recordSelector },
    replacers: { [RECORD_NAMESPACE]: recordReplacer }
  }
}

/** A libp2p private key as `signerFromPrivateKey` accepts it. */
export type SigningKey = Parameters<typeof peerIdFromPrivateKey>[0]

/**
 * A {@link RecordSigner} from a libp2p private key (Ed25519 recommended:
 * its peer id embeds the public key, so anyone can verify the signature).
 */
export function signerFromPrivateKey (privateKey: SigningKey): RecordSigner {
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  // Stryker disable next-line ConditionalExpression,StringLiteral,BlockStatement: the libp2p key signs Ed25519 too, the same bytes (only slower)
  if (privateKey.type === 'Ed25519') {
    // a node:crypto key object made once: @libp2p/crypto imports the key
    // again at every sign, which made it twice as slow (23 against 50 µs, measured)
    const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: base64url(privateKey.raw.subarray(0, 32)), x: base64url(privateKey.publicKey.raw) }, format: 'jwk' })
    return { peerId, sign: async (data) => signEd25519(null, data, keyObject) }
  }
  return {
    peerId,
    sign: async (data) => privateKey.sign(data)
  }
}
