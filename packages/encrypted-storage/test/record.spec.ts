import { headKey, versionKey } from '@chorus-dht/ucxl'
import { describe, expect, it } from 'vitest'
import {
  chorusRecordPolicy,
  decodeRecord,
  encodeRecord,
  recordSelector,
  recordSigningBytes,
  recordValidator,
  sha256Hex,
  verifyRecord
} from '../src/index.js'
import { manualClock, newSigner } from './fixtures.js'
import type { RecordKind } from '../src/index.js'
import type { RecordSigner, UCXLMetadata } from '@chorus-dht/types'

const ADDRESS = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'
const NOW = 1_800_000_000_000

async function makeRecord (signer: RecordSigner, opts: { kind?: RecordKind, version?: number, timestamp?: number, ciphertext?: Uint8Array, key?: string } = {}): Promise<{ key: string, value: Uint8Array, metadata: UCXLMetadata }> {
  const kind = opts.kind ?? 'version'
  const version = opts.version ?? 1
  const ciphertext = opts.ciphertext ?? new TextEncoder().encode(`ciphertext v${version}`)
  const metadata: UCXLMetadata = {
    address: ADDRESS,
    creatorRole: 'backend_developer',
    encryptedFor: ['admin', 'backend_developer'],
    contentType: 'text/plain',
    timestamp: opts.timestamp ?? NOW,
    size: 10,
    hash: sha256Hex(ciphertext),
    dhtPeers: [],
    replicationFactor: 3,
    version,
    signer: signer.peerId
  }
  const key = opts.key ?? (kind === 'head' ? headKey(ADDRESS) : versionKey(ADDRESS, version))
  const signature = await signer.sign(recordSigningBytes(kind, key, metadata))
  return { key, value: encodeRecord({ kind, key, metadata, ciphertext, signature }), metadata }
}

/** Rewrites the header JSON of an encoded record, keeping the signature and ciphertext. */
function rewriteHeader (value: Uint8Array, edit: (header: any) => void): Uint8Array {
  const record = decodeRecord(value)
  const header = JSON.parse(new TextDecoder().decode(record.header))
  edit(header)
  return encodeRecord({ kind: header.kind, key: header.key, metadata: { ...header.metadata, dhtPeers: [] }, ciphertext: record.ciphertext, signature: record.signature })
}

const clock = manualClock(NOW)
const validate = recordValidator({ clock })

describe('record envelope', () => {
  it('round-trips through encode and decode', async () => {
    const signer = await newSigner()
    const { key, value, metadata } = await makeRecord(signer, { kind: 'head', version: 4 })
    const decoded = decodeRecord(value)
    expect(decoded.kind).toBe('head')
    expect(decoded.key).toBe(key)
    expect(decoded.metadata).toEqual(metadata)
    expect(new TextDecoder().decode(decoded.ciphertext)).toBe('ciphertext v4')
    expect(value[0]).toBe(1)
  })

  it('accepts a genuine head and version record', async () => {
    const signer = await newSigner()
    for (const kind of ['head', 'version'] as const) {
      const { key, value } = await makeRecord(signer, { kind, version: 2 })
      await expect(validate(key, value)).resolves.toBeUndefined()
      expect((await verifyRecord(key, value, { clock })).metadata.version).toBe(2)
    }
  })

  it('rejects bytes that are not a record', async () => {
    const key = headKey(ADDRESS)
    await expect(validate(key, new Uint8Array([1, 2, 3]))).rejects.toThrow(expect.objectContaining({ name: 'InvalidRecordError' }))
    await expect(validate(key, new TextEncoder().encode('{"v":1}'))).rejects.toThrow(expect.objectContaining({ name: 'InvalidRecordError' }))
    const signer = await newSigner()
    const { value } = await makeRecord(signer, { kind: 'head' })
    await expect(validate(key, value.subarray(0, 20))).rejects.toThrow(expect.objectContaining({ name: 'InvalidRecordError' }))
  })

  it('rejects a record stored under a key other than the one it was signed for', async () => {
    const signer = await newSigner()
    const v1 = await makeRecord(signer, { kind: 'version', version: 1 })
    await expect(validate(versionKey(ADDRESS, 2), v1.value)).rejects.toThrow(/signed for key/)
    await expect(validate(headKey(ADDRESS), v1.value)).rejects.toThrow(/signed for key/)
    // signed honestly for a key that is not the one of its address and version
    const wrongKey = await makeRecord(signer, { kind: 'version', version: 1, key: versionKey(ADDRESS, 7) })
    await expect(validate(wrongKey.key, wrongKey.value)).rejects.toThrow(/is not the version key/)
  })

  it('rejects a ciphertext that does not match its hash', async () => {
    const signer = await newSigner()
    const { key, value } = await makeRecord(signer)
    const tampered = value.slice()
    tampered[tampered.length - 1] ^= 1
    await expect(validate(key, tampered)).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError', message: expect.stringMatching(/hash/) }))
  })

  it('rejects a bad signature, edited metadata and a forged signer', async () => {
    const signer = await newSigner()
    const other = await newSigner()
    const { key, value } = await makeRecord(signer)
    const record = decodeRecord(value)
    const badSig = record.signature.slice()
    badSig[0] ^= 1
    await expect(validate(key, encodeRecord({ ...record, signature: badSig }))).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError', message: expect.stringMatching(/signature/) }))
    await expect(validate(key, rewriteHeader(value, h => { h.metadata.creatorRole = 'admin' }))).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError' }))
    await expect(validate(key, rewriteHeader(value, h => { h.metadata.signer = other.peerId }))).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError' }))
    await expect(validate(key, rewriteHeader(value, h => { h.metadata.signer = 'not-a-peer-id' }))).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError' }))
  })

  it('rejects a timestamp more than 5 minutes ahead of the clock', async () => {
    const signer = await newSigner()
    const ok = await makeRecord(signer, { timestamp: NOW + 5 * 60_000 })
    await expect(validate(ok.key, ok.value)).resolves.toBeUndefined()
    const future = await makeRecord(signer, { timestamp: NOW + 5 * 60_000 + 1 })
    await expect(validate(future.key, future.value)).rejects.toThrow(/in the future/)
  })

  it('rejects values over the size limit, configurable', async () => {
    const signer = await newSigner()
    const big = await makeRecord(signer, { ciphertext: new Uint8Array(300 * 1024) })
    await expect(validate(big.key, big.value)).rejects.toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
    await expect(recordValidator({ clock, maxRecordSize: 512 * 1024 })(big.key, big.value)).resolves.toBeUndefined()
    const small = await makeRecord(signer)
    await expect(recordValidator({ clock, maxRecordSize: 100 })(small.key, small.value)).rejects.toThrow(expect.objectContaining({ name: 'RecordTooLargeError' }))
  })

  it('rejects an address that is not canonical', async () => {
    const signer = await newSigner()
    const { key, value } = await makeRecord(signer)
    await expect(validate(key, rewriteHeader(value, h => { h.metadata.address = 'ucxl://agent001/backend_developer/project123/task456/decision' }))).rejects.toThrow(expect.objectContaining({ name: 'InvalidRecordError' }))
  })
})

describe('recordSelector', () => {
  it('prefers the higher version for a head, then the later timestamp', async () => {
    const a = await newSigner()
    const v1 = await makeRecord(a, { kind: 'head', version: 1, timestamp: NOW + 10 })
    const v2 = await makeRecord(a, { kind: 'head', version: 2, timestamp: NOW })
    const v2later = await makeRecord(a, { kind: 'head', version: 2, timestamp: NOW + 1 })
    expect(recordSelector(v1.key, [v1.value, v2.value])).toBe(1)
    expect(recordSelector(v1.key, [v2.value, v1.value])).toBe(0)
    expect(recordSelector(v1.key, [v2.value, v2later.value, v1.value])).toBe(1)
  })

  it('picks the same winner of an immutable version whatever the order: earlier timestamp, then lower signer', async () => {
    const [s1, s2] = [await newSigner(), await newSigner()]
    const [low, high] = s1.peerId < s2.peerId ? [s1, s2] : [s2, s1]
    const early = await makeRecord(high, { version: 3, timestamp: NOW })
    const late = await makeRecord(low, { version: 3, timestamp: NOW + 1 })
    expect(recordSelector(early.key, [late.value, early.value])).toBe(1)
    expect(recordSelector(early.key, [early.value, late.value])).toBe(0)
    const tieLow = await makeRecord(low, { version: 3, timestamp: NOW, ciphertext: new Uint8Array([9]) })
    const tieHigh = await makeRecord(high, { version: 3, timestamp: NOW, ciphertext: new Uint8Array([8]) })
    expect(recordSelector(early.key, [tieHigh.value, tieLow.value])).toBe(1)
    expect(recordSelector(early.key, [tieLow.value, tieHigh.value])).toBe(0)
  })

  it('lets an undecodable value lose', async () => {
    const a = await newSigner()
    const r = await makeRecord(a)
    expect(recordSelector(r.key, [new Uint8Array([7, 7]), r.value])).toBe(1)
  })

  it('is installed for the CHORUS namespace by chorusRecordPolicy', async () => {
    const policy = chorusRecordPolicy({ clock })
    expect(Object.keys(policy.validators)).toEqual(['CHORUS'])
    expect(policy.selectors.CHORUS).toBe(recordSelector)
    await expect(policy.validators.CHORUS('/CHORUS/other/x', new Uint8Array(1))).rejects.toThrow(/not a UCXL key/)
  })
})
