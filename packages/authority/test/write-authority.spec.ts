import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Authority,
  createWriteAuthority,
  decodeAuthorityEnvelope,
  generateAuthority,
  signCertificate,
  signDirectory,
  signRevocations
} from '../src/index.js'
import type { WriteAuthorityInit } from '../src/index.js'
import { NOW, craftEnvelope, newPeerId } from './fixtures.js'

const HOUR = 3_600_000

let authority: Authority
let foreign: Authority
let self: string
let stranger: string

beforeAll(async () => {
  authority = await generateAuthority()
  foreign = await generateAuthority()
  self = await newPeerId()
  stranger = await newPeerId()
})

/** A clock the test moves, counting how often it is read. */
function movableClock (now = NOW): { now: () => number, set: (t: number) => void, reads: () => number } {
  let t = now
  let reads = 0
  return { now: () => { reads++; return t }, set: (v) => { t = v }, reads: () => reads }
}

function writeAuthority (init: Partial<WriteAuthorityInit> = {}, peer = self) {
  return createWriteAuthority(peer, {
    authority: authority.id,
    canStore: role => role !== 'observer',
    clock: { now: () => NOW },
    ...init
  })
}

interface CertOptions { peer?: string, roles?: string[], sequence?: number, issuedAt?: number, expiresAt?: number, issuer?: Authority }

async function cert (options: CertOptions = {}): Promise<Uint8Array> {
  const { value } = await signCertificate((options.issuer ?? authority).privateKey, {
    peer: options.peer ?? self,
    roles: options.roles ?? ['admin'],
    sequence: options.sequence ?? 1,
    issuedAt: options.issuedAt ?? NOW - HOUR,
    expiresAt: options.expiresAt ?? NOW + HOUR
  })
  return value
}

async function rejectsWith (run: unknown, reason: string, message?: RegExp | string): Promise<Error> {
  let caught: unknown
  try {
    await run
  } catch (err) {
    caught = err
  }
  expect(caught).toMatchObject({ name: 'CertificateError', reason })
  if (message != null) expect((caught as Error).message).toMatch(message)
  return caught as Error
}

describe('createWriteAuthority', () => {
  it('requires canStore and a valid authority id', () => {
    expect(() => createWriteAuthority(self, { authority: authority.id } as WriteAuthorityInit)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: 'init.canStore is required' }))
    expect(() => createWriteAuthority(self, undefined as unknown as WriteAuthorityInit)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => createWriteAuthority(self, { authority: 'nobody', canStore: () => true })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(writeAuthority().authority).toBe(authority.id)
  })
})

describe('verify', () => {
  it('accepts a certificate of the authority for the signer and role, within its validity', async () => {
    const wa = writeAuthority()
    const value = await cert({ roles: ['admin', 'backend_developer'] })
    await expect(wa.verify(value, { signer: self, role: 'admin', timestamp: NOW })).resolves.toBeUndefined()
    await expect(wa.verify(value, { signer: self, role: 'backend_developer', timestamp: NOW })).resolves.toBeUndefined()
  })

  it('wrong-peer: the certificate names another peer than the signer', async () => {
    const wa = writeAuthority()
    const err = await rejectsWith(wa.verify(await cert(), { signer: stranger, role: 'admin', timestamp: NOW }), 'wrong-peer')
    expect(err.message).toContain(self)
    expect(err.message).toContain(stranger)
  })

  it('wrong-role: the certificate does not name the creator role', async () => {
    const wa = writeAuthority()
    const err = await rejectsWith(wa.verify(await cert({ roles: ['admin', 'qa'] }), { signer: self, role: 'backend_developer', timestamp: NOW }), 'wrong-role')
    expect(err.message).toContain('admin, qa')
    expect(err.message).toContain('backend_developer')
  })

  it('read-only: a role that may not store, even when certified', async () => {
    const asked: string[] = []
    const wa = writeAuthority({ canStore: role => { asked.push(role); return role !== 'observer' } })
    await rejectsWith(wa.verify(await cert({ roles: ['observer'] }), { signer: self, role: 'observer', timestamp: NOW }), 'read-only', /observer may not store/)
    expect(asked).toEqual(['observer'])
  })

  it('expired: valid from issuedAt (inclusive) to expiresAt (exclusive)', async () => {
    const wa = writeAuthority()
    const value = await cert({ issuedAt: NOW - 1000, expiresAt: NOW + 1000 })
    const claims = (timestamp: number) => ({ signer: self, role: 'admin', timestamp })
    await expect(wa.verify(value, claims(NOW - 1000))).resolves.toBeUndefined()
    await expect(wa.verify(value, claims(NOW + 999))).resolves.toBeUndefined()
    const before = await rejectsWith(wa.verify(value, claims(NOW - 1001)), 'expired')
    expect(before.message).toContain(new Date(NOW - 1000).toISOString())
    expect(before.message).toContain(new Date(NOW + 1000).toISOString())
    await rejectsWith(wa.verify(value, claims(NOW + 1000)), 'expired')
  })

  it('revoked: a signer revoked at or before the record time; earlier records stay valid', async () => {
    const wa = writeAuthority()
    const value = await cert()
    const revocations = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [{ peer: stranger, at: NOW - 5000 }, { peer: self, at: NOW - 10 }] })
    expect(await wa.setRevocations(revocations.value)).toBe(true)
    const claims = (timestamp: number) => ({ signer: self, role: 'admin', timestamp })
    await expect(wa.verify(value, claims(NOW - 11))).resolves.toBeUndefined()
    const err = await rejectsWith(wa.verify(value, claims(NOW - 10)), 'revoked')
    expect(err.message).toContain(self)
    expect(err.message).toContain(new Date(NOW - 10).toISOString())
    await rejectsWith(wa.verify(value, claims(NOW)), 'revoked')
    // Another peer's revocation does not touch this signer's earlier records.
    const other = writeAuthority({}, stranger)
    await other.setRevocations(revocations.value)
    await expect(other.verify(await cert({ peer: stranger }), { signer: stranger, role: 'admin', timestamp: NOW - 5001 })).resolves.toBeUndefined()
    await rejectsWith(other.verify(await cert({ peer: stranger }), { signer: stranger, role: 'admin', timestamp: NOW - 5000 }), 'revoked')
  })

  it('foreign-authority: a certificate signed by another authority', async () => {
    const wa = writeAuthority()
    const err = await rejectsWith(wa.verify(await cert({ issuer: foreign }), { signer: self, role: 'admin', timestamp: NOW }), 'foreign-authority')
    expect(err.message).toMatch(/^the record's certificate is not valid: /)
    expect((err as Error & { cause?: { name?: string } }).cause).toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'foreign-authority' })
  })

  it('bad-signature: a certificate whose signature does not verify', async () => {
    const wa = writeAuthority()
    const value = await cert()
    value[value.length - 1] ^= 1
    await rejectsWith(wa.verify(value, { signer: self, role: 'admin', timestamp: NOW }), 'bad-signature')
    // Claims the configured authority but is signed by another key.
    const text = new TextDecoder().decode(decodeAuthorityEnvelope(await cert()).body)
    await rejectsWith(wa.verify(await craftEnvelope(text, foreign.privateKey), { signer: self, role: 'admin', timestamp: NOW }), 'bad-signature')
  })

  it('malformed: bytes that are not a record, another record type, or a certificate issued in the future', async () => {
    const wa = writeAuthority()
    const claims = { signer: self, role: 'admin', timestamp: NOW }
    await rejectsWith(wa.verify(new Uint8Array([1, 2, 3]), claims), 'malformed', /^the record's certificate is not valid: invalid authority record \(unparsable\)/)
    const directory = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    await rejectsWith(wa.verify(directory.value, claims), 'malformed', 'the record carries a directory record, not a certificate')
    const revocations = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    await rejectsWith(wa.verify(revocations.value, claims), 'malformed', 'carries a revocations record')
    await rejectsWith(wa.verify(await cert({ issuedAt: NOW + HOUR, expiresAt: NOW + 2 * HOUR }), claims), 'malformed', /\(future\)/)
  })

  it('checks a certificate once: a verified certificate is remembered', async () => {
    const clock = movableClock()
    const wa = writeAuthority({ clock })
    const value = await cert()
    const claims = { signer: self, role: 'admin', timestamp: NOW }
    await wa.verify(value, claims)
    const reads = clock.reads()
    expect(reads).toBeGreaterThan(0)
    // The clock now says the certificate was issued in the future; the remembered verdict stands.
    clock.set(NOW - 2 * HOUR)
    await expect(wa.verify(value, claims)).resolves.toBeUndefined()
    await expect(wa.verify(value.slice(), claims)).resolves.toBeUndefined()
    expect(clock.reads()).toBe(reads)
    // A certificate that failed is not remembered: it is checked again.
    const fresh = await cert({ sequence: 2 })
    await rejectsWith(wa.verify(fresh, claims), 'malformed', /\(future\)/)
    clock.set(NOW)
    await expect(wa.verify(fresh, claims)).resolves.toBeUndefined()
  })

  it('remembers at most 4096 certificates, forgetting the oldest first', async () => {
    const clock = movableClock()
    const wa = writeAuthority({ clock })
    const claims = { signer: self, role: 'admin', timestamp: NOW }
    const values: Uint8Array[] = []
    for (let sequence = 1; sequence <= 4097; sequence++) values.push(await cert({ sequence }))
    for (const value of values.slice(0, 4096)) await wa.verify(value, claims)
    let reads = clock.reads()
    // 4096 remembered: the first is still known.
    await wa.verify(values[0], claims)
    expect(clock.reads()).toBe(reads)
    // The 4097th pushes the first out; the second stays.
    await wa.verify(values[4096], claims)
    expect(clock.reads()).toBe(reads + 1)
    reads = clock.reads()
    await wa.verify(values[1], claims)
    expect(clock.reads()).toBe(reads)
    await wa.verify(values[0], claims)
    expect(clock.reads()).toBe(reads + 1)
  })
})

describe('addCertificate and certificateFor', () => {
  it('holds this node\'s certificate for each role it names', async () => {
    const wa = writeAuthority()
    expect(wa.certificateFor('admin')).toBeUndefined()
    const value = await cert({ roles: ['admin', 'qa'] })
    const record = await wa.addCertificate(value)
    expect(record).toMatchObject({ type: 'cert', peer: self, roles: ['admin', 'qa'], sequence: 1 })
    expect(wa.certificateFor('admin')).toBe(value)
    expect(wa.certificateFor('qa')).toBe(value)
    expect(wa.certificateFor('backend_developer')).toBeUndefined()
  })

  it('refuses a certificate for another peer, or one that does not verify', async () => {
    const wa = writeAuthority()
    const err = await wa.addCertificate(await cert({ peer: stranger })).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'InvalidParametersError' })
    expect((err as Error).message).toContain(stranger)
    expect((err as Error).message).toContain(self)
    expect(wa.certificateFor('admin')).toBeUndefined()
    await expect(wa.addCertificate(await cert({ issuer: foreign }))).rejects.toMatchObject({ name: 'CertificateError', reason: 'foreign-authority' })
    expect(wa.certificateFor('admin')).toBeUndefined()
  })

  it('keeps the highest sequence per role, whatever the order they arrive in', async () => {
    const wa = writeAuthority()
    const one = await cert({ roles: ['admin', 'qa'], sequence: 1 })
    const two = await cert({ roles: ['admin'], sequence: 2 })
    const three = await cert({ roles: ['qa'], sequence: 3 })
    await wa.addCertificate(two)
    await wa.addCertificate(one)
    expect(wa.certificateFor('admin')).toBe(two)
    expect(wa.certificateFor('qa')).toBe(one)
    await wa.addCertificate(three)
    expect(wa.certificateFor('qa')).toBe(three)
    expect(wa.certificateFor('admin')).toBe(two)
  })

  it('gives out no expired certificate: only while now < expiresAt', async () => {
    const clock = movableClock()
    const wa = writeAuthority({ clock })
    const value = await cert({ issuedAt: NOW - HOUR, expiresAt: NOW + 1000 })
    await wa.addCertificate(value)
    clock.set(NOW + 999)
    expect(wa.certificateFor('admin')).toBe(value)
    clock.set(NOW + 1000)
    expect(wa.certificateFor('admin')).toBeUndefined()
  })
})

describe('setRevocations and revocations', () => {
  it('installs a newer generation only: never rolled back', async () => {
    const wa = writeAuthority()
    expect(wa.revocations()).toBeUndefined()
    const r2 = await signRevocations(authority.privateKey, { generation: 2, issuedAt: NOW, revoked: [{ peer: self, at: NOW }] })
    const r1 = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    const r2again = await signRevocations(authority.privateKey, { generation: 2, issuedAt: NOW - 1, revoked: [] })
    const r3 = await signRevocations(authority.privateKey, { generation: 3, issuedAt: NOW, revoked: [] })
    expect(await wa.setRevocations(r2.value)).toBe(true)
    expect(wa.revocations()).toMatchObject({ type: 'revocations', generation: 2, revoked: [{ peer: self, at: NOW }] })
    expect(await wa.setRevocations(r1.value)).toBe(false)
    expect(await wa.setRevocations(r2again.value)).toBe(false)
    expect(wa.revocations()).toMatchObject({ generation: 2, revoked: [{ peer: self, at: NOW }] })
    expect(await wa.setRevocations(r3.value)).toBe(true)
    expect(wa.revocations()).toMatchObject({ generation: 3, revoked: [] })
  })

  it('refuses a list that does not verify, and anything but a revocation list', async () => {
    const wa = writeAuthority()
    const foreignList = await signRevocations(foreign.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    await expect(wa.setRevocations(foreignList.value)).rejects.toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'foreign-authority' })
    await expect(wa.setRevocations(await cert())).rejects.toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'wrong-key' })
    expect(wa.revocations()).toBeUndefined()
  })
})
