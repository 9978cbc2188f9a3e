// The record envelope, its metadata checks, the validator, the selector and
// the replacement rule, one malformed record at a time: each test builds
// the bytes a hostile or broken peer could send and asserts the exact error
// (class and reason) or the exact decoded field.
import { createWriteAuthority, generateAuthority, signCertificate } from '@chorus-dht/authority'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MAX_CERTIFICATE_BASE64,
  MAX_VERSION_JUMP,
  chorusRecordPolicy,
  compareRecords,
  decodeRecord,
  encodeRecord,
  expectedKey,
  recordReplacer,
  recordSelector,
  recordSigningBytes,
  recordValidator,
  sha256Hex,
  signerFromPrivateKey,
  verifyRecord
} from '../src/index.js'
import { manualClock, newSigner } from './fixtures.js'
import type { ChorusRecord, RecordKind } from '../src/index.js'
import type { Authority } from '@chorus-dht/authority'
import type { RecordSigner, UCXLMetadata } from '@chorus-dht/types'

const ADDRESS = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const NOW = 1_800_000_000_000
const clock = manualClock(NOW)
const encoder = new TextEncoder()
// an RSA peer id: its multihash is a sha-256 of the key, so no public key is embedded
const RSA_PEER_ID = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'

const bytes = (b: Uint8Array | undefined): number[] => Array.from(b ?? [])
const named = (name: string, message?: RegExp | string): unknown => expect.objectContaining({ name, ...(message != null ? { message: typeof message === 'string' ? message : expect.stringMatching(message) } : {}) })

let signer: RecordSigner
let other: RecordSigner
beforeAll(async () => {
  signer = await newSigner()
  other = await newSigner()
})

function metadataOf (s: RecordSigner, overrides: Partial<UCXLMetadata> = {}, ciphertext: Uint8Array = encoder.encode('ciphertext')): UCXLMetadata {
  return {
    address: ADDRESS,
    creatorRole: 'backend_developer',
    encryptedFor: ['admin', 'backend_developer'],
    contentType: 'text/plain',
    timestamp: NOW,
    size: 10,
    hash: sha256Hex(ciphertext),
    dhtPeers: [],
    replicationFactor: 3,
    version: 1,
    signer: s.peerId,
    ...overrides
  }
}

interface Signed { key: string, value: Uint8Array, record: ChorusRecord }

/** A record signed honestly by `s` for `key` (default: the key of its kind, address and version). */
async function signed (s: RecordSigner, opts: { kind?: RecordKind, metadata?: Partial<UCXLMetadata>, ciphertext?: Uint8Array, key?: string, certificate?: Uint8Array } = {}): Promise<Signed> {
  const kind = opts.kind ?? 'version'
  const ciphertext = opts.ciphertext ?? encoder.encode('ciphertext')
  const metadata = metadataOf(s, opts.metadata, ciphertext)
  const key = opts.key ?? expectedKey(kind, metadata)
  const signature = await s.sign(recordSigningBytes(kind, key, metadata, opts.certificate))
  const record: ChorusRecord = { kind, key, metadata, ciphertext, signature, ...(opts.certificate != null ? { certificate: opts.certificate } : {}) }
  return { key, value: encodeRecord(record), record }
}

/** Raw envelope bytes: any format byte, header, lengths. */
function envelope (opts: { format?: number, header: unknown, signature?: Uint8Array, ciphertext?: Uint8Array, headerLength?: number, signatureLength?: number }): Uint8Array {
  const header = opts.header instanceof Uint8Array ? opts.header : encoder.encode(typeof opts.header === 'string' ? opts.header : JSON.stringify(opts.header))
  const signature = opts.signature ?? new Uint8Array(64).fill(7)
  const ciphertext = opts.ciphertext ?? encoder.encode('ciphertext')
  const out = new Uint8Array(7 + header.byteLength + signature.byteLength + ciphertext.byteLength)
  const view = new DataView(out.buffer)
  out[0] = opts.format ?? 1
  view.setUint32(1, opts.headerLength ?? header.byteLength)
  out.set(header, 5)
  view.setUint16(5 + header.byteLength, opts.signatureLength ?? signature.byteLength)
  out.set(signature, 7 + header.byteLength)
  out.set(ciphertext, 7 + header.byteLength + signature.byteLength)
  return out
}

/** A well-formed header object of format 1, for a version record of ADDRESS v1. */
function header (edit: (h: any) => void = () => {}): any {
  const h: any = { v: 1, kind: 'version', key: versionKey(ADDRESS, 1), metadata: { ...metadataOf(signer), dhtPeers: undefined } }
  delete h.metadata.dhtPeers
  edit(h)
  return h
}

const decodeHeader = (edit: (h: any) => void): (() => unknown) => () => decodeRecord(envelope({ header: header(edit) }))

describe('decodeRecord: the envelope', () => {
  it('lays out format, header length, header, signature length, signature and ciphertext as documented', async () => {
    const { value, record } = await signed(signer)
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
    const headerLength = view.getUint32(1)
    expect(value[0]).toBe(1)
    expect(JSON.parse(new TextDecoder().decode(value.subarray(5, 5 + headerLength)))).toMatchObject({ v: 1, kind: 'version', key: record.key })
    expect(view.getUint16(5 + headerLength)).toBe(record.signature.byteLength)
    expect(bytes(value.subarray(7 + headerLength, 7 + headerLength + 64))).toEqual(bytes(record.signature))
    expect(new TextDecoder().decode(value.subarray(7 + headerLength + 64))).toBe('ciphertext')
  })

  it('decodes every field exactly, on a subarray of a larger buffer too', async () => {
    const { value, record } = await signed(signer, { kind: 'head', metadata: { version: 3 }, key: headKey(ADDRESS) })
    const padded = new Uint8Array(value.byteLength + 20)
    padded.set(value, 10)
    const decoded = decodeRecord(padded.subarray(10, 10 + value.byteLength))
    expect(decoded.kind).toBe('head')
    expect(decoded.key).toBe(headKey(ADDRESS))
    expect(decoded.metadata).toEqual(record.metadata)
    expect(bytes(decoded.signature)).toEqual(bytes(record.signature))
    expect(bytes(decoded.ciphertext)).toEqual(bytes(record.ciphertext))
    expect(bytes(decoded.header)).toEqual(bytes(recordSigningBytes('head', record.key, record.metadata).subarray(encoder.encode('chorus-dht/ucxl-record/v1\n').byteLength)))
    expect('certificate' in decoded).toBe(false)
  })

  it('refuses what is not a Uint8Array, and fewer than 7 bytes', () => {
    expect(() => decodeRecord('not bytes' as any)).toThrow(named('InvalidRecordError', 'record is too short to be a chorus record'))
    expect(() => decodeRecord([1, 0, 0, 0, 0, 0, 0, 0] as any)).toThrow(named('InvalidRecordError', 'record is too short to be a chorus record'))
    expect(() => decodeRecord(new Uint8Array([1, 0, 0, 0, 0, 0]))).toThrow(named('InvalidRecordError', 'record is too short to be a chorus record'))
    // 7 bytes is the fixed overhead: long enough to be read, and an empty header is not JSON
    expect(() => decodeRecord(new Uint8Array([1, 0, 0, 0, 0, 0, 0]))).toThrow(named('InvalidRecordError', 'record header is not UTF-8 JSON'))
  })

  it('refuses an unknown format byte, naming it', () => {
    for (const format of [0, 3, 255]) {
      expect(() => decodeRecord(envelope({ format, header: header() }))).toThrow(named('InvalidRecordError', `unknown record format version ${format}`))
    }
  })

  it('refuses a header length past the end, and accepts one that ends exactly where the signature length starts', () => {
    const h = encoder.encode(JSON.stringify(header()))
    const exact = envelope({ header: h, signature: new Uint8Array(0), ciphertext: new Uint8Array(0) })
    expect(exact.byteLength).toBe(5 + h.byteLength + 2)
    expect(decodeRecord(exact).ciphertext.byteLength).toBe(0)
    expect(decodeRecord(exact).signature.byteLength).toBe(0)
    const over = envelope({ header: h, signature: new Uint8Array(0), ciphertext: new Uint8Array(0), headerLength: h.byteLength + 1 })
    expect(() => decodeRecord(over)).toThrow(named('InvalidRecordError', 'record header length exceeds the record'))
    expect(() => decodeRecord(envelope({ header: h, headerLength: 0xffffffff }))).toThrow(named('InvalidRecordError', 'record header length exceeds the record'))
  })

  it('refuses a signature length past the end, and accepts one that ends exactly at the end (empty ciphertext)', () => {
    const h = header()
    const exact = envelope({ header: h, signature: new Uint8Array(5).fill(1), ciphertext: new Uint8Array(0) })
    expect(decodeRecord(exact).signature).toEqual(new Uint8Array(5).fill(1))
    expect(decodeRecord(exact).ciphertext).toEqual(new Uint8Array(0))
    expect(() => decodeRecord(envelope({ header: h, signature: new Uint8Array(5), ciphertext: new Uint8Array(0), signatureLength: 6 }))).toThrow(named('InvalidRecordError', 'record signature length exceeds the record'))
    // a shorter signature length moves the rest into the ciphertext
    const short = decodeRecord(envelope({ header: h, signature: new Uint8Array([1, 2, 3]), ciphertext: new Uint8Array([4]), signatureLength: 2 }))
    expect(short.signature).toEqual(new Uint8Array([1, 2]))
    expect(short.ciphertext).toEqual(new Uint8Array([3, 4]))
  })

  it('refuses a header that is not UTF-8 or not JSON, keeping the parse error as cause', () => {
    const notUtf8 = (() => { try { decodeRecord(envelope({ header: new Uint8Array([0xff, 0xfe, 0x7b]) })) } catch (e) { return e as any } })()
    expect(notUtf8).toMatchObject({ name: 'InvalidRecordError', message: 'record header is not UTF-8 JSON' })
    expect(notUtf8.cause).toBeInstanceOf(Error)
    expect(() => decodeRecord(envelope({ header: '{"v":1,' }))).toThrow(named('InvalidRecordError', 'record header is not UTF-8 JSON'))
  })

  it('refuses invalid UTF-8 inside an otherwise valid JSON header', () => {
    const json = encoder.encode(JSON.stringify(header(h => { h.metadata.contentType = 'text/X' })))
    const at = new TextDecoder().decode(json).indexOf('text/X') + 5
    const bytes = json.slice()
    bytes[at] = 0xff
    expect(() => decodeRecord(envelope({ header: bytes }))).toThrow(named('InvalidRecordError', 'record header is not UTF-8 JSON'))
  })

  it('refuses a header that is JSON but not an object', () => {
    for (const h of ['null', '5', '"text"', 'true']) {
      expect(() => decodeRecord(envelope({ header: h }))).toThrow(named('InvalidRecordError', 'record header is not an object'))
    }
  })

  it("refuses a header whose v is not the envelope's format", () => {
    expect(decodeHeader(h => { h.v = 2 })).toThrow(named('InvalidRecordError', "record header v must be 1, the envelope's format"))
    expect(decodeHeader(h => { h.v = '1' })).toThrow(named('InvalidRecordError', "record header v must be 1, the envelope's format"))
    expect(decodeHeader(h => { delete h.v })).toThrow(named('InvalidRecordError', "record header v must be 1, the envelope's format"))
    expect(() => decodeRecord(envelope({ format: 2, header: header(h => { h.cert = 'AAAA' }) }))).toThrow(named('InvalidRecordError', "record header v must be 2, the envelope's format"))
  })

  it('refuses a header kind other than head or version, and a key that is not a string', () => {
    for (const kind of ['other', 'HEAD', undefined, 1]) {
      expect(decodeHeader(h => { h.kind = kind })).toThrow(named('InvalidRecordError', 'record kind must be "head" or "version"'))
    }
    for (const key of [5, null, undefined, ['/CHORUS/ucxl/x']]) {
      expect(decodeHeader(h => { h.key = key })).toThrow(named('InvalidRecordError', 'record key must be a string'))
    }
    expect((decodeHeader(h => { h.kind = 'head' })() as ChorusRecord).kind).toBe('head')
    expect((decodeHeader(h => { h.key = '' })() as ChorusRecord).key).toBe('')
  })
})

describe('decodeRecord: the certificate of format 2', () => {
  const format2 = (cert: unknown): Uint8Array => envelope({ format: 2, header: header(h => { h.v = 2; h.cert = cert }) })
  const refused = named('InvalidRecordError', 'a format 2 record must carry its certificate as base64 in cert')

  it('decodes the base64 certificate to its bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253])
    const decoded = decodeRecord(format2(Buffer.from(bytes).toString('base64')))
    expect(decoded.certificate).toEqual(bytes)
    expect(decoded.certificate).toBeInstanceOf(Uint8Array)
    for (const padded of ['AA==', 'AAA=', 'AAAA', '+/+/']) expect(decodeRecord(format2(padded)).certificate?.byteLength).toBeGreaterThan(0)
  })

  it('refuses a missing, empty, non-string or non-base64 certificate', () => {
    for (const cert of [undefined, '', 5, null, ['AAAA'], 'AA-_', 'AAAA!', '!AAAA', 'AA AA', 'A===', 'AA==AA']) {
      expect(() => decodeRecord(format2(cert)), String(cert)).toThrow(refused)
    }
  })

  it(`accepts a certificate of ${MAX_CERTIFICATE_BASE64} base64 characters and refuses one more`, () => {
    expect(decodeRecord(format2('A'.repeat(MAX_CERTIFICATE_BASE64))).certificate?.byteLength).toBe(MAX_CERTIFICATE_BASE64 / 4 * 3)
    expect(() => decodeRecord(format2('A'.repeat(MAX_CERTIFICATE_BASE64 + 4)))).toThrow(refused)
    expect(() => decodeRecord(format2('A'.repeat(MAX_CERTIFICATE_BASE64 + 1)))).toThrow(refused)
  })

  it('refuses a certificate in a format 1 record, even null', () => {
    for (const cert of ['AAAA', null, '']) {
      expect(decodeHeader(h => { h.cert = cert })).toThrow(named('InvalidRecordError', 'a format 1 record carries no certificate'))
    }
  })
})

describe('decodeRecord: the metadata', () => {
  const metadataError = (field: string, what: string): unknown => named('InvalidRecordError', `record metadata.${field} must be ${what}`)

  it('refuses metadata that is not an object', () => {
    for (const m of [undefined, null, 'text', 5, [], [{ address: ADDRESS }]]) {
      expect(decodeHeader(h => { h.metadata = m }), JSON.stringify(m)).toThrow(named('InvalidRecordError', 'record metadata is not an object'))
    }
  })

  for (const field of ['address', 'creatorRole', 'contentType', 'hash', 'signer']) {
    it(`refuses a missing, empty or non-string ${field}`, () => {
      for (const value of [undefined, '', 5, null, ['x'], { x: 1 }]) {
        expect(decodeHeader(h => { h.metadata[field] = value }), `${field} = ${JSON.stringify(value)}`).toThrow(metadataError(field, 'a non-empty string'))
      }
    })
  }

  it('refuses a version below 1, fractional, unsafe or not a number', () => {
    for (const version of [0, -1, 1.5, 2 ** 53, '2', null, undefined]) {
      expect(decodeHeader(h => { h.metadata.version = version }), String(version)).toThrow(metadataError('version', 'an integer of at least 1'))
    }
    expect((decodeHeader(h => { h.metadata.version = 1 })() as ChorusRecord).metadata.version).toBe(1)
    expect((decodeHeader(h => { h.metadata.version = Number.MAX_SAFE_INTEGER })() as ChorusRecord).metadata.version).toBe(Number.MAX_SAFE_INTEGER)
  })

  for (const field of ['timestamp', 'size', 'replicationFactor']) {
    it(`refuses a negative, fractional, unsafe or non-number ${field}, and accepts 0`, () => {
      for (const value of [-1, 0.5, 2 ** 53, '3', null, undefined]) {
        expect(decodeHeader(h => { h.metadata[field] = value }), `${field} = ${String(value)}`).toThrow(metadataError(field, 'a non-negative integer'))
      }
      expect((decodeHeader(h => { h.metadata[field] = 0 })() as any).metadata[field]).toBe(0)
    })
  }

  it('refuses encryptedFor that is not an array of strings, and accepts an empty one', () => {
    for (const value of [undefined, 'admin', { 0: 'admin' }, ['admin', 5], [null]]) {
      expect(decodeHeader(h => { h.metadata.encryptedFor = value }), JSON.stringify(value)).toThrow(metadataError('encryptedFor', 'an array of role names'))
    }
    expect((decodeHeader(h => { h.metadata.encryptedFor = [] })() as ChorusRecord).metadata.encryptedFor).toEqual([])
  })

  it('refuses a hash that is not 64 lowercase hex digits', () => {
    const good = sha256Hex(encoder.encode('x'))
    for (const hash of [good.toUpperCase(), good.slice(1), `${good}0`, `${good.slice(1)}g`, ` ${good.slice(1)}`, `${good}\n`]) {
      expect(decodeHeader(h => { h.metadata.hash = hash }), hash).toThrow(metadataError('hash', '64 lowercase hex digits'))
    }
    expect((decodeHeader(h => { h.metadata.hash = good })() as ChorusRecord).metadata.hash).toBe(good)
  })

  it('keeps exactly the documented fields: dhtPeers empty, unknown fields dropped, encryptedFor a copy', () => {
    const decoded = decodeHeader(h => { h.metadata.dhtPeers = ['peer-a']; h.metadata.extra = 'x' })() as ChorusRecord
    expect(decoded.metadata).toEqual({
      address: ADDRESS,
      creatorRole: 'backend_developer',
      encryptedFor: ['admin', 'backend_developer'],
      contentType: 'text/plain',
      timestamp: NOW,
      size: 10,
      hash: sha256Hex(encoder.encode('ciphertext')),
      dhtPeers: [],
      replicationFactor: 3,
      version: 1,
      signer: signer.peerId
    })
    expect(Object.keys(decoded.metadata).sort()).toEqual(['address', 'contentType', 'creatorRole', 'dhtPeers', 'encryptedFor', 'hash', 'replicationFactor', 'signer', 'size', 'timestamp', 'version'])
  })
})

describe('verifyRecord', () => {
  it('returns the decoded record of a genuine record, with its header bytes', async () => {
    const { key, value, record } = await signed(signer, { metadata: { version: 2 } })
    const verified = await verifyRecord(key, value, { clock })
    expect(verified.kind).toBe('version')
    expect(verified.key).toBe(key)
    expect(verified.metadata).toEqual(record.metadata)
    expect(bytes(verified.ciphertext)).toEqual(bytes(record.ciphertext))
    expect(bytes(verified.signature)).toEqual(bytes(record.signature))
    expect(bytes(verified.header)).toEqual(bytes(decodeRecord(value).header))
  })

  it('returns a private copy: editing one result does not change the next', async () => {
    const { key, value } = await signed(signer)
    const first = await verifyRecord(key, value, { clock })
    first.metadata.encryptedFor.push('intruder')
    first.metadata.version = 99
    const second = await verifyRecord(key, value, { clock })
    expect(second.metadata.encryptedFor).toEqual(['admin', 'backend_developer'])
    expect(second.metadata.version).toBe(1)
  })

  it('checks the size first: exactly maxRecordSize passes, one byte more is a RecordTooLargeError with size and limit', async () => {
    const { key, value } = await signed(signer)
    await expect(verifyRecord(key, value, { clock, maxRecordSize: value.byteLength })).resolves.toMatchObject({ key })
    const err = await verifyRecord(key, value, { clock, maxRecordSize: value.byteLength - 1 }).catch(e => e)
    expect(err).toMatchObject({ name: 'RecordTooLargeError', size: value.byteLength, limit: value.byteLength - 1, message: `record of ${value.byteLength} bytes exceeds the limit of ${value.byteLength - 1} bytes` })
    // before anything else: even bytes that are not a record
    await expect(verifyRecord('/other/key', new Uint8Array(11), { maxRecordSize: 10 })).rejects.toThrow(named('RecordTooLargeError'))
  })

  it('defaults the size limit to 256 KiB', async () => {
    const overhead = (await signed(signer, { ciphertext: new Uint8Array(0) })).value.byteLength
    const fits = await signed(signer, { ciphertext: new Uint8Array(256 * 1024 - overhead) })
    expect(fits.value.byteLength).toBe(256 * 1024)
    await expect(verifyRecord(fits.key, fits.value, { clock })).resolves.toMatchObject({ key: fits.key })
    const over = await signed(signer, { ciphertext: new Uint8Array(256 * 1024 - overhead + 1) })
    await expect(verifyRecord(over.key, over.value, { clock })).rejects.toThrow(named('RecordTooLargeError', `record of ${256 * 1024 + 1} bytes exceeds the limit of ${256 * 1024} bytes`))
  })

  it('refuses a key outside /CHORUS/ucxl/, naming it', async () => {
    const { value } = await signed(signer)
    for (const key of ['/CHORUS/other/x', '/chorus/ucxl/x', '/CHORUS/ucxl', 'CHORUS/ucxl/x']) {
      await expect(verifyRecord(key, value, { clock })).rejects.toThrow(named('InvalidRecordError', `key ${key} is not a UCXL key (/CHORUS/ucxl/…)`))
    }
  })

  it('refuses a record signed for another key, naming both', async () => {
    const { key, value } = await signed(signer)
    const elsewhere = versionKey(ADDRESS, 2)
    await expect(verifyRecord(elsewhere, value, { clock })).rejects.toThrow(named('InvalidRecordError', `record was signed for key ${key}, not ${elsewhere}`))
  })

  it('refuses an address that does not parse, keeping the parse error as cause', async () => {
    const bad = 'ucxl://not an address'
    const key = '/CHORUS/ucxl/anything'
    const { value } = await signed(signer, { metadata: { address: bad }, key })
    const err = await verifyRecord(key, value, { clock }).catch(e => e)
    expect(err).toMatchObject({ name: 'InvalidRecordError', message: expect.stringMatching(/^record address is not a canonical UCXL address: ./) })
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('refuses an address whose temporal segment is not *^', async () => {
    for (const temporal of ['*~1', '~~1', '^^1', '*~']) {
      const address = ADDRESS.replace('*^', temporal)
      const key = versionKey(ADDRESS, 1)
      const { value } = await signed(signer, { metadata: { address }, key })
      await expect(verifyRecord(key, value, { clock }), temporal).rejects.toThrow(named('InvalidRecordError', 'record address is not a canonical UCXL address: temporal segment must be *^'))
    }
  })

  it('refuses an address in a non-canonical form (the slash form, an upper-case scheme)', async () => {
    const key = versionKey(ADDRESS, 1)
    for (const address of ['ucxl://agent001/backend_developer/project123/task456/decision', 'UCXL://agent001:backend_developer@project123:task456/*^/decision']) {
      const { value } = await signed(signer, { metadata: { address }, key })
      await expect(verifyRecord(key, value, { clock }), address).rejects.toThrow(named('InvalidRecordError', /^record address is not a canonical UCXL address: UCXL address validation error/))
    }
  })

  it('refuses a key that is not the head or version key of the metadata, naming kind, address and version', async () => {
    const asHead = await signed(signer, { kind: 'head', key: versionKey(ADDRESS, 1) })
    await expect(verifyRecord(asHead.key, asHead.value, { clock })).rejects.toThrow(named('InvalidRecordError', `key ${versionKey(ADDRESS, 1)} is not the head key of ${ADDRESS} version 1`))
    const wrongVersion = await signed(signer, { kind: 'version', metadata: { version: 3 }, key: versionKey(ADDRESS, 2) })
    await expect(verifyRecord(wrongVersion.key, wrongVersion.value, { clock })).rejects.toThrow(named('InvalidRecordError', `key ${versionKey(ADDRESS, 2)} is not the version key of ${ADDRESS} version 3`))
    const asVersion = await signed(signer, { kind: 'version', key: headKey(ADDRESS) })
    await expect(verifyRecord(asVersion.key, asVersion.value, { clock })).rejects.toThrow(named('InvalidRecordError', `key ${headKey(ADDRESS)} is not the version key of ${ADDRESS} version 1`))
    expect(expectedKey('head', { address: ADDRESS, version: 7 })).toBe(headKey(ADDRESS))
    expect(expectedKey('version', { address: ADDRESS, version: 7 })).toBe(versionKey(ADDRESS, 7))
  })

  it('refuses a timestamp past the clock plus maxClockSkew, at the boundary and with a custom skew', async () => {
    const edge = await signed(signer, { metadata: { timestamp: NOW + 1000 } })
    await expect(verifyRecord(edge.key, edge.value, { clock, maxClockSkew: 1000 })).resolves.toMatchObject({ key: edge.key })
    await expect(verifyRecord(edge.key, edge.value, { clock, maxClockSkew: 999 })).rejects.toThrow(named('InvalidRecordError', `record timestamp ${NOW + 1000} is more than 999 ms in the future`))
    await expect(verifyRecord(edge.key, edge.value, { clock, maxClockSkew: 0 })).rejects.toThrow(named('InvalidRecordError', `record timestamp ${NOW + 1000} is more than 0 ms in the future`))
    // a record refused as early is accepted once the clock has caught up (the refusal is not remembered)
    const later = manualClock(NOW + 1)
    await expect(verifyRecord(edge.key, edge.value, { clock: later, maxClockSkew: 999 })).resolves.toMatchObject({ key: edge.key })
  })

  it('defaults the skew to 5 minutes against Date.now', async () => {
    const now = Date.now()
    const near = await signed(signer, { metadata: { timestamp: now + 4 * 60_000 } })
    await expect(verifyRecord(near.key, near.value)).resolves.toMatchObject({ key: near.key })
    const far = await signed(signer, { metadata: { timestamp: now + 6 * 60_000 } })
    await expect(verifyRecord(far.key, far.value)).rejects.toThrow(named('InvalidRecordError', /is more than 300000 ms in the future$/))
  })

  it('checks the timestamp before the hash, the hash before the signature', async () => {
    const { key, value } = await signed(signer, { metadata: { timestamp: NOW + 10 * 60_000 } })
    const tampered = value.slice()
    tampered[tampered.length - 1] ^= 1
    await expect(verifyRecord(key, tampered, { clock })).rejects.toThrow(named('InvalidRecordError', /in the future/))
    const current = await signed(signer)
    const both = current.value.slice()
    both[both.length - 1] ^= 1
    const record = decodeRecord(both)
    const badSig = record.signature.slice()
    badSig[0] ^= 1
    await expect(verifyRecord(key, encodeRecord({ ...record, signature: badSig }), { clock })).rejects.toThrow(named('IntegrityError', 'record ciphertext does not match its sha-256 hash'))
  })

  it('refuses a ciphertext whose sha-256 is not the hash (IntegrityError)', async () => {
    const { key, value } = await signed(signer)
    const record = decodeRecord(value)
    const swapped = encodeRecord({ ...record, ciphertext: encoder.encode('other ciphertext') })
    await expect(verifyRecord(key, swapped, { clock })).rejects.toThrow(named('IntegrityError', 'record ciphertext does not match its sha-256 hash'))
  })
})

describe('verifyRecord: the signature', () => {
  it('refuses a signer that is not a peer id, keeping the cause', async () => {
    const { key, value } = await signed(signer, { metadata: { signer: 'not-a-peer-id' } })
    const err = await verifyRecord(key, value, { clock }).catch(e => e)
    expect(err).toMatchObject({ name: 'IntegrityError', message: 'record signer is not a peer id' })
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('refuses a signer peer id without an embedded public key', async () => {
    expect(peerIdFromString(RSA_PEER_ID).publicKey).toBeUndefined()
    const { key, value } = await signed(signer, { metadata: { signer: RSA_PEER_ID } })
    await expect(verifyRecord(key, value, { clock })).rejects.toThrow(named('IntegrityError', 'record signer peer id does not embed a public key'))
  })

  it('refuses a signature by another key, a flipped bit, a truncated and an empty signature', async () => {
    const { key, value, record } = await signed(signer)
    const byOther = await other.sign(recordSigningBytes('version', key, record.metadata))
    const flipped = record.signature.slice()
    flipped[10] ^= 0x40
    for (const [label, signature] of [['another key', byOther], ['a flipped bit', flipped], ['truncated', record.signature.subarray(0, 32)], ['empty', new Uint8Array(0)]] as const) {
      const err = await verifyRecord(key, encodeRecord({ ...record, signature }), { clock }).catch(e => e)
      expect(err.name, label).toBe('IntegrityError')
      expect(err.message, label).toMatch(/^record signature (does not match its signer|could not be verified)$/)
    }
    await expect(verifyRecord(key, encodeRecord({ ...record, signature: byOther }), { clock })).rejects.toThrow(named('IntegrityError', 'record signature does not match its signer'))
    // the genuine one still passes
    await expect(verifyRecord(key, value, { clock })).resolves.toMatchObject({ key })
  })

  it('signs with Ed25519 exactly as the libp2p key does, and verifies secp256k1 signers too (through their libp2p key)', async () => {
    const data = encoder.encode('bytes to sign')
    const ed = await generateKeyPair('Ed25519')
    expect(bytes(await signerFromPrivateKey(ed).sign(data))).toEqual(bytes(await ed.sign(data)))
    const secp = signerFromPrivateKey(await generateKeyPair('secp256k1'))
    const { key, value, record } = await signed(secp)
    await expect(verifyRecord(key, value, { clock })).resolves.toMatchObject({ key })
    const flipped = record.signature.slice()
    flipped[20] ^= 1
    await expect(verifyRecord(key, encodeRecord({ ...record, signature: flipped }), { clock })).rejects.toThrow(named('IntegrityError'))
  })

  it('keeps the check of each signer apart: one signer\'s key never verifies another\'s records', async () => {
    const { key, value } = await signed(signer)
    await expect(verifyRecord(key, value, { clock })).resolves.toMatchObject({ key })
    // other's record with signer's signature over it: refused though signer's check is memoised
    const forged = await signed(other)
    const signature = await signer.sign(recordSigningBytes('version', forged.key, forged.record.metadata))
    await expect(verifyRecord(forged.key, encodeRecord({ ...forged.record, signature }), { clock })).rejects.toThrow(named('IntegrityError', 'record signature does not match its signer'))
    await expect(verifyRecord(forged.key, forged.value, { clock })).resolves.toMatchObject({ key: forged.key })
  })

  it('covers the domain prefix: a signature over the bare header is refused', async () => {
    const { key, record } = await signed(signer)
    const bare = recordSigningBytes('version', key, record.metadata).subarray(encoder.encode('chorus-dht/ucxl-record/v1\n').byteLength)
    const signature = await signer.sign(bare)
    await expect(verifyRecord(key, encodeRecord({ ...record, signature }), { clock })).rejects.toThrow(named('IntegrityError', 'record signature does not match its signer'))
  })

  it('does not let a verified record vouch for other bytes: same header and signature, another ciphertext, or another signature', async () => {
    const { key, value, record } = await signed(signer)
    await expect(verifyRecord(key, value, { clock })).resolves.toMatchObject({ key })
    const otherSignature = record.signature.slice()
    otherSignature[63] ^= 1
    await expect(verifyRecord(key, encodeRecord({ ...record, signature: otherSignature }), { clock })).rejects.toThrow(named('IntegrityError'))
    await expect(verifyRecord(key, encodeRecord({ ...record, ciphertext: encoder.encode('ciphertexu') }), { clock })).rejects.toThrow(named('IntegrityError'))
  })
})

describe('verifyRecord under a write authority', () => {
  let authority: Authority
  beforeAll(async () => { authority = await generateAuthority() })

  // the authority checks certificates against the real clock
  const T = Date.now()
  const realClock = manualClock(T)
  async function certFor (peer: string, roles: string[], until = T + 3_600_000): Promise<Uint8Array> {
    return (await signCertificate(authority.privateKey, { peer, roles, sequence: 1, issuedAt: T - 3_600_000, expiresAt: until })).value
  }

  it('refuses a record without a certificate (reason missing), and accepts one whose certificate names its signer, role and time', async () => {
    const wa = createWriteAuthority(signer.peerId, { authority: authority.id, canStore: () => true })
    const plain = await signed(signer, { metadata: { timestamp: T } })
    await expect(verifyRecord(plain.key, plain.value, { clock: realClock, writeAuthority: wa })).rejects.toThrow(expect.objectContaining({
      name: 'CertificateError',
      reason: 'missing',
      message: `record by ${signer.peerId} carries no role certificate, and this network has an authority`
    }))
    const certificate = await certFor(signer.peerId, ['backend_developer'])
    const certified = await signed(signer, { certificate, metadata: { timestamp: T } })
    const verified = await verifyRecord(certified.key, certified.value, { clock: realClock, writeAuthority: wa })
    expect(bytes(verified.certificate)).toEqual(bytes(certificate))
    expect(certified.value[0]).toBe(2)
    // without an authority the same record passes and a carried certificate is not checked
    const foreign = await signed(signer, { certificate: new Uint8Array([1, 2, 3]), metadata: { timestamp: T } })
    await expect(verifyRecord(foreign.key, foreign.value, { clock })).resolves.toSatisfy((r: ChorusRecord) => bytes(r.certificate).join() === '1,2,3')
  })

  it("asks the authority about the record's own signer, creator role and timestamp", async () => {
    const wa = createWriteAuthority(signer.peerId, { authority: authority.id, canStore: () => true })
    const certificate = await certFor(signer.peerId, ['backend_developer'], T + 1000)
    const otherRole = await signed(signer, { certificate, metadata: { creatorRole: 'admin', timestamp: T } })
    await expect(verifyRecord(otherRole.key, otherRole.value, { clock: realClock, writeAuthority: wa })).rejects.toThrow(expect.objectContaining({ name: 'CertificateError', reason: 'wrong-role' }))
    const otherPeer = await signed(other, { certificate, metadata: { timestamp: T } })
    await expect(verifyRecord(otherPeer.key, otherPeer.value, { clock: realClock, writeAuthority: wa })).rejects.toThrow(expect.objectContaining({ name: 'CertificateError', reason: 'wrong-peer' }))
    const afterExpiry = await signed(signer, { certificate, metadata: { timestamp: T + 2000 } })
    await expect(verifyRecord(afterExpiry.key, afterExpiry.value, { clock: realClock, writeAuthority: wa })).rejects.toThrow(expect.objectContaining({ name: 'CertificateError', reason: 'expired' }))
  })

  it('asks the authority again for a record it already verified (a revocation can come later)', async () => {
    let asked = 0
    const wa = createWriteAuthority(signer.peerId, { authority: authority.id, canStore: () => true })
    const counting = { authority: wa.authority, certificateFor: (r: string) => wa.certificateFor(r), verify: async (...args: Parameters<typeof wa.verify>) => { asked++; await wa.verify(...args) } }
    const certified = await signed(signer, { certificate: await certFor(signer.peerId, ['backend_developer']), metadata: { timestamp: T } })
    await verifyRecord(certified.key, certified.value, { clock: realClock, writeAuthority: counting })
    await verifyRecord(certified.key, certified.value, { clock: realClock, writeAuthority: counting })
    expect(asked).toBe(2)
  })
})

describe('recordValidator', () => {
  it('resolves undefined for a genuine record and reports each refusal by name or certificate reason', async () => {
    const reasons: string[] = []
    const validate = recordValidator({ clock, onReject: r => { reasons.push(r) } })
    const { key, value } = await signed(signer)
    await expect(validate(key, value)).resolves.toBeUndefined()
    await expect(validate(key, new Uint8Array(3))).rejects.toThrow(named('InvalidRecordError'))
    const tampered = value.slice()
    tampered[tampered.length - 1] ^= 1
    await expect(validate(key, tampered)).rejects.toThrow(named('IntegrityError'))
    await expect(recordValidator({ clock, maxRecordSize: 5, onReject: r => { reasons.push(r) } })(key, value)).rejects.toThrow(named('RecordTooLargeError'))
    const authority = await generateAuthority()
    const wa = createWriteAuthority(signer.peerId, { authority: authority.id, canStore: () => true })
    await expect(recordValidator({ clock, writeAuthority: wa, onReject: r => { reasons.push(r) } })(key, value)).rejects.toThrow(named('CertificateError'))
    expect(reasons).toEqual(['InvalidRecordError', 'IntegrityError', 'RecordTooLargeError', 'certificate-missing'])
  })

  it('rethrows without onReject', async () => {
    await expect(recordValidator({ clock })('/CHORUS/ucxl/x', new Uint8Array(3))).rejects.toThrow(named('InvalidRecordError', 'record is too short to be a chorus record'))
  })

  it('is the validator, selector and replacer chorusRecordPolicy installs for CHORUS, with its options', async () => {
    const policy = chorusRecordPolicy({ clock, maxRecordSize: 10 })
    expect(Object.keys(policy.validators)).toEqual(['CHORUS'])
    expect(Object.keys(policy.selectors)).toEqual(['CHORUS'])
    expect(Object.keys(policy.replacers)).toEqual(['CHORUS'])
    expect(policy.selectors.CHORUS).toBe(recordSelector)
    expect(policy.replacers.CHORUS).toBe(recordReplacer)
    const { key, value } = await signed(signer)
    await expect(policy.validators.CHORUS(key, value)).rejects.toThrow(named('RecordTooLargeError'))
    await expect(chorusRecordPolicy({ clock }).validators.CHORUS(key, value)).resolves.toBeUndefined()
    // without a clock, the real one
    const current = await signed(signer, { metadata: { timestamp: Date.now() } })
    await expect(chorusRecordPolicy().validators.CHORUS(current.key, current.value)).resolves.toBeUndefined()
    const ahead = await signed(signer, { metadata: { timestamp: Date.now() + 3_600_000 } })
    await expect(chorusRecordPolicy().validators.CHORUS(ahead.key, ahead.value)).rejects.toThrow(named('InvalidRecordError', /in the future$/))
  })
})

describe('compareRecords and recordSelector', () => {
  const rec = (kind: RecordKind, m: Partial<UCXLMetadata>): ChorusRecord => ({ kind, key: 'k', metadata: metadataOf(signer, m), ciphertext: new Uint8Array(0), signature: new Uint8Array(0) })

  it('ranks heads by higher version, then later timestamp, then lower signer, then lower hash', () => {
    const h = (m: Partial<UCXLMetadata>): ChorusRecord => rec('head', m)
    expect(compareRecords(h({ version: 3 }), h({ version: 2, timestamp: NOW + 5 }))).toBe(-1)
    expect(compareRecords(h({ version: 2 }), h({ version: 4 }))).toBe(2)
    expect(compareRecords(h({ timestamp: NOW + 7 }), h({ timestamp: NOW }))).toBe(-7)
    expect(compareRecords(h({ signer: 'a' }), h({ signer: 'b' }))).toBe(-1)
    expect(compareRecords(h({ signer: 'b' }), h({ signer: 'a' }))).toBe(1)
    expect(compareRecords(h({ hash: '1'.repeat(64) }), h({ hash: '2'.repeat(64) }))).toBe(-1)
    expect(compareRecords(h({ hash: '2'.repeat(64) }), h({ hash: '1'.repeat(64) }))).toBe(1)
    expect(compareRecords(h({}), h({}))).toBe(0)
  })

  it('ranks version records by earlier timestamp, ignoring the version number, then signer, then hash', () => {
    const v = (m: Partial<UCXLMetadata>): ChorusRecord => rec('version', m)
    expect(compareRecords(v({ timestamp: NOW }), v({ timestamp: NOW + 3 }))).toBe(-3)
    expect(compareRecords(v({ timestamp: NOW + 3 }), v({ timestamp: NOW }))).toBe(3)
    expect(compareRecords(v({ version: 9 }), v({ version: 1, signer: 'z' }))).toBeLessThan(0)
    expect(compareRecords(v({ signer: 'a' }), v({ signer: 'b' }))).toBe(-1)
    expect(compareRecords(v({ hash: 'b'.repeat(64) }), v({ hash: 'a'.repeat(64) }))).toBe(1)
    // a head and a version record of one key compare as version records
    expect(compareRecords(rec('head', { timestamp: NOW }), v({ timestamp: NOW + 1, version: 5 }))).toBe(-1)
    expect(compareRecords(rec('head', { signer: undefined }), v({ signer: 'x' }))).toBe(-1)
    expect(compareRecords(v({ timestamp: NOW, version: 1 }), rec('head', { timestamp: NOW + 1, version: 5 }))).toBe(-1)
  })

  it('picks the best whatever the order, keeps the first of equals, and the first value when none decodes', async () => {
    const a = await signed(signer, { metadata: { timestamp: NOW } })
    const b = await signed(signer, { metadata: { timestamp: NOW + 1 } })
    const c = await signed(signer, { metadata: { timestamp: NOW + 2 } })
    const junk = new Uint8Array([9, 9, 9])
    expect(recordSelector(a.key, [c.value, b.value, a.value])).toBe(2)
    expect(recordSelector(a.key, [b.value, a.value, c.value])).toBe(1)
    expect(recordSelector(a.key, [a.value, c.value, b.value])).toBe(0)
    expect(recordSelector(a.key, [junk, c.value, junk, a.value, junk])).toBe(3)
    expect(recordSelector(a.key, [b.value, b.value])).toBe(0)
    expect(recordSelector(a.key, [junk, new Uint8Array(2)])).toBe(0)
    expect(recordSelector(a.key, [c.value])).toBe(0)
  })
})

describe('recordReplacer', () => {
  it('replaces a held value that does not decode, and never replaces with one that does not', async () => {
    const { key, value } = await signed(signer)
    expect(recordReplacer(key, new Uint8Array([1, 2]), value)).toBe(true)
    expect(recordReplacer(key, value, new Uint8Array([1, 2]))).toBe(false)
    expect(recordReplacer(key, new Uint8Array([1, 2]), new Uint8Array([3]))).toBe(true)
  })

  it('replaces a version record only with a better ranked one', async () => {
    const early = await signed(signer, { metadata: { timestamp: NOW } })
    const late = await signed(other, { metadata: { timestamp: NOW + 1 } })
    expect(recordReplacer(early.key, late.value, early.value)).toBe(true)
    expect(recordReplacer(early.key, early.value, late.value)).toBe(false)
    expect(recordReplacer(early.key, early.value, early.value)).toBe(false)
  })

  it(`replaces a head with a higher one up to ${MAX_VERSION_JUMP} versions ahead, never with a lower one`, async () => {
    const head = async (version: number, timestamp = NOW): Promise<Uint8Array> => (await signed(signer, { kind: 'head', metadata: { version, timestamp } })).value
    const key = headKey(ADDRESS)
    const held = await head(5)
    expect(recordReplacer(key, held, await head(6))).toBe(true)
    expect(recordReplacer(key, held, await head(5 + MAX_VERSION_JUMP))).toBe(true)
    expect(recordReplacer(key, held, await head(5 + MAX_VERSION_JUMP + 1))).toBe(false)
    expect(recordReplacer(key, held, await head(4, NOW + 10))).toBe(false)
    expect(recordReplacer(key, held, await head(5, NOW + 1))).toBe(true)
    expect(recordReplacer(key, held, await head(5, NOW - 1))).toBe(false)
    // the jump rule is for heads: a version record held under the key does not bound it
    const version = await signed(signer, { metadata: { version: 1, timestamp: NOW + 5 } })
    expect(recordReplacer(key, version.value, await head(5 + MAX_VERSION_JUMP + 1, NOW))).toBe(true)
    const farVersion = await signed(signer, { metadata: { version: 5 + MAX_VERSION_JUMP + 1, timestamp: NOW - 1 } })
    expect(recordReplacer(key, held, farVersion.value)).toBe(true)
  })
})
