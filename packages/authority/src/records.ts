// Over 400 lines: the four signed record types of the authority (directory,
// grant, certificate, revocations) share one canonical form, one signing
// domain and one set of field checkers; the types, their canonicaliser, the
// signers and the verifier change together when the format does, so they
// stay in the one file the SPEC's authority section maps to.
import type { Clock } from '@chorus-dht/types'
import {
  AUTHORITY_ENVELOPE_HEADER_LENGTH,
  AUTHORITY_ENVELOPE_VERSION,
  AUTHORITY_KEY_PREFIX,
  AUTHORITY_SIGNATURE_LENGTH,
  AUTHORITY_SIGNING_DOMAIN,
  DEFAULT_MAX_CLOCK_SKEW,
  DEFAULT_MAX_RECORD_SIZE
} from './constants.js'
import { isArmoredAgeFile, isX25519Recipient } from './age.js'
import { InvalidAuthorityRecordError, InvalidParametersError } from './errors.js'
import { type AuthorityPrivateKey, type AuthorityPublicKey, assertAuthorityPrivateKey, authorityIdFromPrivateKey, authorityPublicKey } from './identity.js'
import { isPeerIdString, isRoleName, rawKeys } from './keys.js'

/** The current age recipient of one role, as the role directory lists it. */
export interface DirectoryRoleEntry {
  /** The role's newest age X25519 recipient (`age1…`). */
  recipient: string
  /** The role key's generation: 1 for the first key, +1 per rotation. */
  generation: number
}

/** The role directory: role → current age recipient. Key `…/directory`. */
export interface DirectoryRecord {
  type: 'directory'
  /** The authority id that signed it. */
  authority: string
  /** Positive integer; the highest generation wins and is never rolled back. */
  generation: number
  /** When it was signed, ms since the Unix epoch. */
  issuedAt: number
  /** By role name. */
  roles: Record<string, DirectoryRoleEntry>
}

/**
 * A role's identities for one node, encrypted to the node's own age
 * recipient. Key `…/grant/<peer>/<role>`.
 */
export interface GrantRecord {
  type: 'grant'
  authority: string
  /** The node's peer id. */
  peer: string
  role: string
  /** Positive integer; the highest sequence wins and is never rolled back. */
  sequence: number
  issuedAt: number
  /** The node's own age X25519 recipient the identities are encrypted to. */
  to: string
  /**
   * An ASCII-armored age file (`-----BEGIN AGE ENCRYPTED FILE-----`) of the
   * role's identities, every generation, one `AGE-SECRET-KEY-1…` per line,
   * encrypted to `to`; `null` when the grant was withdrawn.
   */
  identities: string | null
}

/** Binds a peer id to roles until an expiry. Key `…/cert/<peer>`. */
export interface CertificateRecord {
  type: 'cert'
  authority: string
  peer: string
  /** Sorted, without duplicates. */
  roles: string[]
  /** Positive integer; the highest sequence wins and is never rolled back. */
  sequence: number
  issuedAt: number
  /** ms since the Unix epoch, after `issuedAt`. */
  expiresAt: number
}

/** One revoked peer. */
export interface RevokedPeer {
  peer: string
  /** When the peer was revoked, ms since the Unix epoch. */
  at: number
}

/** The revocation list. Key `…/revocations`. */
export interface RevocationsRecord {
  type: 'revocations'
  authority: string
  /** Positive integer; the highest generation wins and is never rolled back. */
  generation: number
  issuedAt: number
  /** Sorted by peer id, one entry per peer. */
  revoked: RevokedPeer[]
}

/** Any authority record. */
export type AuthorityRecord = DirectoryRecord | GrantRecord | CertificateRecord | RevocationsRecord

/** The `type` of an authority record. */
export type AuthorityRecordType = AuthorityRecord['type']

type Body<T extends AuthorityRecord> = Omit<T, 'type' | 'authority' | 'issuedAt'> & {
  /** When it is signed, ms since the Unix epoch. @default Date.now() */
  issuedAt?: number
}

/** What {@link signDirectory} signs. */
export type DirectoryBody = Body<DirectoryRecord>
/** What {@link signGrant} signs. */
export type GrantBody = Body<GrantRecord>
/** What {@link signCertificate} signs; `roles` may be in any order. */
export type CertificateBody = Body<CertificateRecord>
/** What {@link signRevocations} signs; `revoked` may be in any order. */
export type RevocationsBody = Body<RevocationsRecord>

/** A signed record, ready for `dht.putValue(key, value)`. */
export interface SignedAuthorityRecord<T extends AuthorityRecord = AuthorityRecord> {
  /** The DHT key, `/CHORUS/authority/<authority>/…`. */
  key: string
  /** The envelope bytes. */
  value: Uint8Array
  /** The record as signed (canonical: sorted lists, every field set). */
  record: T
}

const encoder = new TextEncoder()
const DOMAIN = encoder.encode(AUTHORITY_SIGNING_DOMAIN)

function badField (message: string): InvalidAuthorityRecordError {
  return new InvalidAuthorityRecordError('bad-field', message)
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function positiveInteger (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw badField(`${field} must be a positive integer`)
  return value
}

function timestamp (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw badField(`${field} must be a non-negative integer (ms)`)
  return value
}

function peerField (value: unknown, field: string): string {
  if (!isPeerIdString(value)) throw badField(`${field} must be a canonical peer-id string`)
  return value
}

function roleField (value: unknown, field: string): string {
  if (!isRoleName(value)) throw badField(`${field} must be a role name (A-Z a-z 0-9 _ -)`)
  return value
}

function recipientField (value: unknown, field: string): string {
  if (!isX25519Recipient(value)) throw badField(`${field} must be an age X25519 recipient (age1…)`)
  return value
}

function authorityField (value: unknown): string {
  if (typeof value !== 'string') throw badField('authority must be a peer-id string')
  try {
    authorityPublicKey(value)
  } catch {
    throw badField('authority must be an Ed25519 peer-id string')
  }
  return value
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Checks every field and returns the record in canonical form: fields in
 * order, sorted lists and maps, nothing else. Throws
 * `InvalidAuthorityRecordError` ('bad-field' or 'unparsable').
 */
function canonicalRecord (raw: unknown): AuthorityRecord {
  if (!isObject(raw)) throw new InvalidAuthorityRecordError('unparsable', 'the body is not a JSON object')
  const type = raw.type
  if (type !== 'directory' && type !== 'grant' && type !== 'cert' && type !== 'revocations') {
    throw new InvalidAuthorityRecordError('unparsable', `unknown record type ${JSON.stringify(type)}`)
  }
  const authority = authorityField(raw.authority)
  switch (type) {
    case 'directory': {
      if (!isObject(raw.roles)) throw badField('roles must be an object')
      // A null-prototype map, so a role named `__proto__` is just a role.
      const roles: Record<string, DirectoryRoleEntry> = Object.create(null)
      for (const name of Object.keys(raw.roles).sort(compareStrings)) {
        roleField(name, 'a role name')
        const entry = raw.roles[name]
        if (!isObject(entry)) throw badField(`roles.${name} must be an object`)
        roles[name] = {
          recipient: recipientField(entry.recipient, `roles.${name}.recipient`),
          generation: positiveInteger(entry.generation, `roles.${name}.generation`)
        }
      }
      return {
        type,
        authority,
        generation: positiveInteger(raw.generation, 'generation'),
        issuedAt: timestamp(raw.issuedAt, 'issuedAt'),
        roles
      }
    }
    case 'grant': {
      const identities = raw.identities
      if (identities !== null && !isArmoredAgeFile(identities)) {
        throw badField('identities must be an armored age file or null')
      }
      return {
        type,
        authority,
        peer: peerField(raw.peer, 'peer'),
        role: roleField(raw.role, 'role'),
        sequence: positiveInteger(raw.sequence, 'sequence'),
        issuedAt: timestamp(raw.issuedAt, 'issuedAt'),
        to: recipientField(raw.to, 'to'),
        identities
      }
    }
    case 'cert': {
      if (!Array.isArray(raw.roles)) throw badField('roles must be an array')
      const roles = raw.roles.map((r, i) => roleField(r, `roles[${i}]`)).sort(compareStrings)
      if (roles.some((r, i) => i > 0 && roles[i - 1] === r)) throw badField('roles must not repeat a role')
      const issuedAt = timestamp(raw.issuedAt, 'issuedAt')
      const expiresAt = timestamp(raw.expiresAt, 'expiresAt')
      if (expiresAt <= issuedAt) throw badField('expiresAt must be after issuedAt')
      return {
        type,
        authority,
        peer: peerField(raw.peer, 'peer'),
        roles,
        sequence: positiveInteger(raw.sequence, 'sequence'),
        issuedAt,
        expiresAt
      }
    }
    case 'revocations': {
      if (!Array.isArray(raw.revoked)) throw badField('revoked must be an array')
      const revoked = raw.revoked.map((entry, i): RevokedPeer => {
        if (!isObject(entry)) throw badField(`revoked[${i}] must be an object`)
        return { peer: peerField(entry.peer, `revoked[${i}].peer`), at: timestamp(entry.at, `revoked[${i}].at`) }
      }).sort((a, b) => compareStrings(a.peer, b.peer))
      if (revoked.some((r, i) => i > 0 && revoked[i - 1].peer === r.peer)) throw badField('revoked must list each peer once')
      return {
        type,
        authority,
        generation: positiveInteger(raw.generation, 'generation'),
        issuedAt: timestamp(raw.issuedAt, 'issuedAt'),
        revoked
      }
    }
  }
}

const j = JSON.stringify

/**
 * The canonical body text: keys in the documented order (written out here,
 * so no engine's property order matters), no whitespace.
 */
function serialize (record: AuthorityRecord): string {
  const head = `{"type":${j(record.type)},"authority":${j(record.authority)}`
  switch (record.type) {
    case 'directory': {
      const roles = Object.keys(record.roles).sort(compareStrings)
        .map(name => `${j(name)}:{"recipient":${j(record.roles[name].recipient)},"generation":${record.roles[name].generation}}`)
      return `${head},"generation":${record.generation},"issuedAt":${record.issuedAt},"roles":{${roles.join(',')}}}`
    }
    case 'grant':
      return `${head},"peer":${j(record.peer)},"role":${j(record.role)},"sequence":${record.sequence},"issuedAt":${record.issuedAt},"to":${j(record.to)},"identities":${j(record.identities)}}`
    case 'cert':
      return `${head},"peer":${j(record.peer)},"roles":[${record.roles.map(r => j(r)).join(',')}],"sequence":${record.sequence},"issuedAt":${record.issuedAt},"expiresAt":${record.expiresAt}}`
    case 'revocations':
      return `${head},"generation":${record.generation},"issuedAt":${record.issuedAt},"revoked":[${record.revoked.map(r => `{"peer":${j(r.peer)},"at":${r.at}}`).join(',')}]}`
  }
}

/** The DHT key a record belongs under. */
export function authorityRecordKey (record: AuthorityRecord): string {
  switch (record.type) {
    case 'directory': return rawKeys.directory(record.authority)
    case 'grant': return rawKeys.grant(record.authority, record.peer, record.role)
    case 'cert': return rawKeys.cert(record.authority, record.peer)
    case 'revocations': return rawKeys.revocations(record.authority)
  }
}

/** The bytes the authority signs: the domain string, then the body bytes. */
export function authoritySigningBytes (body: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + body.length)
  out.set(DOMAIN)
  out.set(body, DOMAIN.length)
  return out
}

function encodeEnvelope (body: Uint8Array, signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(AUTHORITY_ENVELOPE_HEADER_LENGTH + body.length + AUTHORITY_SIGNATURE_LENGTH)
  out[0] = AUTHORITY_ENVELOPE_VERSION
  new DataView(out.buffer).setUint32(1, body.length, false)
  out.set(body, AUTHORITY_ENVELOPE_HEADER_LENGTH)
  out.set(signature, AUTHORITY_ENVELOPE_HEADER_LENGTH + body.length)
  return out
}

/** A decoded envelope: the record, its body bytes and the signature. Not verified. */
export interface DecodedAuthorityEnvelope {
  record: AuthorityRecord
  body: Uint8Array
  signature: Uint8Array
}

/**
 * Splits an envelope and checks its body (fields, canonical form) without
 * checking the signature. Throws `InvalidAuthorityRecordError` with reason
 * 'unparsable' or 'bad-field'.
 */
export function decodeAuthorityEnvelope (value: Uint8Array): DecodedAuthorityEnvelope {
  if (!(value instanceof Uint8Array)) throw new InvalidAuthorityRecordError('unparsable', 'the value is not bytes')
  if (value.length < AUTHORITY_ENVELOPE_HEADER_LENGTH + AUTHORITY_SIGNATURE_LENGTH) {
    throw new InvalidAuthorityRecordError('unparsable', 'the value is shorter than an envelope')
  }
  if (value[0] !== AUTHORITY_ENVELOPE_VERSION) {
    throw new InvalidAuthorityRecordError('unparsable', `unknown envelope version ${value[0]}`)
  }
  const bodyLength = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(1, false)
  if (value.length !== AUTHORITY_ENVELOPE_HEADER_LENGTH + bodyLength + AUTHORITY_SIGNATURE_LENGTH) {
    throw new InvalidAuthorityRecordError('unparsable', 'the body length does not match the envelope length')
  }
  const body = value.subarray(AUTHORITY_ENVELOPE_HEADER_LENGTH, AUTHORITY_ENVELOPE_HEADER_LENGTH + bodyLength)
  const signature = value.subarray(AUTHORITY_ENVELOPE_HEADER_LENGTH + bodyLength)
  let text: string
  let parsed: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body)
    parsed = JSON.parse(text)
  } catch (err) {
    throw new InvalidAuthorityRecordError('unparsable', 'the body is not UTF-8 JSON', { cause: err })
  }
  const record = canonicalRecord(parsed)
  // One record has exactly one encoding, so equal records are equal bytes
  // and no field can hide outside what was checked.
  if (serialize(record) !== text) {
    throw new InvalidAuthorityRecordError('unparsable', 'the body is not in canonical form')
  }
  return { record, body, signature }
}

/**
 * The record in an envelope, with its fields checked but its signature
 * NOT verified: use {@link verifyAuthorityRecord} (or the validator) for
 * values that come from the network.
 */
export function decodeAuthorityRecord (value: Uint8Array): AuthorityRecord {
  return decodeAuthorityEnvelope(value).record
}

/** Options of {@link verifyAuthorityRecord} and of the DHT validator. */
export interface AuthorityRecordValidatorInit {
  /** The configured authority id (the peer-id string of its Ed25519 key). Required. */
  authority: string
  /** The clock `issuedAt` is compared with. @default Date.now */
  clock?: Clock
  /** Largest accepted value, bytes. @default 65_536 (64 KiB) */
  maxRecordSize?: number
  /** How far `issuedAt` may be ahead of the clock, ms. @default 300_000 (5 min) */
  maxClockSkew?: number
}

/** @internal An init resolved once. */
export interface ResolvedValidatorInit {
  authority: string
  publicKey: AuthorityPublicKey
  clock: Clock
  maxRecordSize: number
  maxClockSkew: number
}

const systemClock: Clock = { now: () => Date.now() }

/** @internal */
export function resolveValidatorInit (init: AuthorityRecordValidatorInit): ResolvedValidatorInit {
  if (init == null || typeof init !== 'object') throw new InvalidParametersError('init.authority is required')
  const publicKey = authorityPublicKey(init.authority)
  const maxRecordSize = init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE
  if (!Number.isSafeInteger(maxRecordSize) || maxRecordSize < 1) throw new InvalidParametersError('init.maxRecordSize must be a positive integer')
  const maxClockSkew = init.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW
  if (!Number.isSafeInteger(maxClockSkew) || maxClockSkew < 0) throw new InvalidParametersError('init.maxClockSkew must be a non-negative integer')
  return { authority: init.authority, publicKey, clock: init.clock ?? systemClock, maxRecordSize, maxClockSkew }
}

/** @internal */
export async function verifyResolved (key: string, value: Uint8Array, init: ResolvedValidatorInit): Promise<AuthorityRecord> {
  if (!(value instanceof Uint8Array)) throw new InvalidAuthorityRecordError('unparsable', 'the value is not bytes')
  if (value.length > init.maxRecordSize) {
    throw new InvalidAuthorityRecordError('too-large', `${value.length} bytes is over the ${init.maxRecordSize}-byte limit`)
  }
  if (typeof key !== 'string' || !key.startsWith(AUTHORITY_KEY_PREFIX)) {
    throw new InvalidAuthorityRecordError('wrong-key', `the key is not under ${AUTHORITY_KEY_PREFIX}`)
  }
  const { record, body, signature } = decodeAuthorityEnvelope(value)
  if (record.authority !== init.authority) {
    throw new InvalidAuthorityRecordError('foreign-authority', `issued by ${record.authority}, not by the configured authority ${init.authority}`)
  }
  const expected = authorityRecordKey(record)
  if (key !== expected) {
    throw new InvalidAuthorityRecordError('wrong-key', `a ${record.type} record of these fields belongs under ${expected}`)
  }
  const now = init.clock.now()
  if (record.issuedAt > now + init.maxClockSkew) {
    throw new InvalidAuthorityRecordError('future', `issuedAt ${record.issuedAt} is more than ${init.maxClockSkew} ms ahead of ${now}`)
  }
  let ok = false
  try {
    ok = await init.publicKey.verify(authoritySigningBytes(body), signature)
  } catch (err) {
    throw new InvalidAuthorityRecordError('bad-signature', 'the signature could not be verified', { cause: err })
  }
  if (!ok) throw new InvalidAuthorityRecordError('bad-signature', 'the signature does not verify with the authority key')
  return record
}

/**
 * Everything the DHT validator checks, in this order: size ('too-large'),
 * key prefix ('wrong-key'), envelope and fields ('unparsable',
 * 'bad-field'), authority ('foreign-authority'), key ('wrong-key'),
 * `issuedAt` ('future'), signature ('bad-signature'). Resolves the record.
 */
export async function verifyAuthorityRecord (key: string, value: Uint8Array, init: AuthorityRecordValidatorInit): Promise<AuthorityRecord> {
  return await verifyResolved(key, value, resolveValidatorInit(init))
}

async function sign<T extends AuthorityRecord> (privateKey: AuthorityPrivateKey, fields: Record<string, unknown>): Promise<SignedAuthorityRecord<T>> {
  assertAuthorityPrivateKey(privateKey)
  if (!isObject(fields)) throw new InvalidParametersError('the body must be an object')
  const authority = authorityIdFromPrivateKey(privateKey)
  let record: AuthorityRecord
  try {
    record = canonicalRecord({ ...fields, authority, issuedAt: fields.issuedAt ?? Date.now() })
  } catch (err) {
    throw new InvalidParametersError(`cannot sign this ${String(fields.type)} record: ${(err as Error).message}`, { cause: err })
  }
  const body = encoder.encode(serialize(record))
  const signature = await privateKey.sign(authoritySigningBytes(body))
  return { key: authorityRecordKey(record), value: encodeEnvelope(body, signature), record: record as T }
}

function pick (body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new InvalidParametersError('the body must be an object')
  const { type: _type, authority: _authority, ...rest } = body
  return rest
}

/** Signs a role directory. Throws `InvalidParametersError` for a bad body or a non-Ed25519 key. */
export async function signDirectory (privateKey: AuthorityPrivateKey, body: DirectoryBody): Promise<SignedAuthorityRecord<DirectoryRecord>> {
  return await sign(privateKey, { ...pick(body), type: 'directory' })
}

/** Signs a grant (`identities: null` withdraws it). */
export async function signGrant (privateKey: AuthorityPrivateKey, body: GrantBody): Promise<SignedAuthorityRecord<GrantRecord>> {
  return await sign(privateKey, { ...pick(body), type: 'grant' })
}

/** Signs a role certificate. */
export async function signCertificate (privateKey: AuthorityPrivateKey, body: CertificateBody): Promise<SignedAuthorityRecord<CertificateRecord>> {
  return await sign(privateKey, { ...pick(body), type: 'cert' })
}

/** Signs a revocation list. */
export async function signRevocations (privateKey: AuthorityPrivateKey, body: RevocationsBody): Promise<SignedAuthorityRecord<RevocationsRecord>> {
  return await sign(privateKey, { ...pick(body), type: 'revocations' })
}
