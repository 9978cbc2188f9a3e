import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Authority,
  type InvalidAuthorityRecordReason,
  authorityPublicKey,
  authoritySigningBytes,
  decodeAuthorityEnvelope,
  decodeAuthorityRecord,
  encryptGrantIdentities,
  generateAuthority,
  signCertificate,
  signDirectory,
  signGrant,
  signRevocations,
  verifyAuthorityRecord
} from '../src/index.js'
import type { AuthorityPrivateKey, DirectoryBody } from '../src/index.js'
import { NOW, craftEnvelope, fixedClock, newAgeKey, newPeerId } from './fixtures.js'

let authority: Authority
let peer: string
let other: string
let third: string
let recipient: string
let armored: string
const clock = fixedClock(NOW)
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

beforeAll(async () => {
  authority = await generateAuthority()
  ;[peer, other, third] = (await Promise.all([newPeerId(), newPeerId(), newPeerId()])).sort()
  const node = await newAgeKey()
  recipient = node.recipient
  armored = await encryptGrantIdentities([(await newAgeKey()).identity], node.recipient)
})

/** Decoding a body (signed by the authority) fails with `reason` and a message containing `fact`. */
async function refused (body: unknown, reason: InvalidAuthorityRecordReason, fact: string): Promise<void> {
  const value = await craftEnvelope(typeof body === 'string' ? body : JSON.stringify(body), authority.privateKey)
  let caught: unknown
  try {
    decodeAuthorityRecord(value)
  } catch (err) {
    caught = err
  }
  expect(caught).toMatchObject({ name: 'InvalidAuthorityRecordError', reason })
  expect((caught as Error).message).toContain(`invalid authority record (${reason}): `)
  expect((caught as Error).message).toContain(fact)
}

const dir = (fields: Record<string, unknown> = {}) => ({ type: 'directory', authority: authority.id, generation: 1, issuedAt: NOW, roles: {}, ...fields })
const grant = (fields: Record<string, unknown> = {}) => ({ type: 'grant', authority: authority.id, peer, role: 'admin', sequence: 1, issuedAt: NOW, to: recipient, identities: null, ...fields })
const cert = (fields: Record<string, unknown> = {}) => ({ type: 'cert', authority: authority.id, peer, roles: ['admin'], sequence: 1, issuedAt: NOW, expiresAt: NOW + 1, ...fields })
const revs = (fields: Record<string, unknown> = {}) => ({ type: 'revocations', authority: authority.id, generation: 1, issuedAt: NOW, revoked: [], ...fields })

describe('decoding checks every field', () => {
  it('the body must be a JSON object of a known type', async () => {
    await refused('null', 'unparsable', 'the body is not a JSON object')
    await refused('[]', 'unparsable', 'the body is not a JSON object')
    await refused('"directory"', 'unparsable', 'the body is not a JSON object')
    await refused({ ...dir(), type: 'policy' }, 'unparsable', 'unknown record type "policy"')
    await refused({ ...dir(), type: undefined }, 'unparsable', 'unknown record type undefined')
  })

  it('authority: an Ed25519 peer-id string', async () => {
    await refused(dir({ authority: 42 }), 'bad-field', 'authority must be a peer-id string')
    await refused(dir({ authority: undefined }), 'bad-field', 'authority must be a peer-id string')
    await refused(dir({ authority: peer.slice(0, -1) }), 'bad-field', 'authority must be an Ed25519 peer-id string')
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    await refused(dir({ authority: secp }), 'bad-field', 'authority must be an Ed25519 peer-id string')
  })

  it('generation and sequence: positive safe integers', async () => {
    await refused(dir({ generation: 0 }), 'bad-field', 'generation must be a positive integer')
    await refused(dir({ generation: -3 }), 'bad-field', 'generation must be a positive integer')
    await refused(dir({ generation: 1.5 }), 'bad-field', 'generation must be a positive integer')
    await refused(dir({ generation: '1' }), 'bad-field', 'generation must be a positive integer')
    await refused(dir({ generation: 2 ** 53 }), 'bad-field', 'generation must be a positive integer')
    await refused(revs({ generation: 0 }), 'bad-field', 'generation must be a positive integer')
    await refused(grant({ sequence: 0 }), 'bad-field', 'sequence must be a positive integer')
    await refused(cert({ sequence: null }), 'bad-field', 'sequence must be a positive integer')
  })

  it('timestamps: non-negative safe integers', async () => {
    await refused(dir({ issuedAt: -1 }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(dir({ issuedAt: 0.5 }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(dir({ issuedAt: '0' }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(grant({ issuedAt: 2 ** 53 }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(cert({ expiresAt: -1 }), 'bad-field', 'expiresAt must be a non-negative integer (ms)')
    await refused(cert({ issuedAt: -1 }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(revs({ issuedAt: null }), 'bad-field', 'issuedAt must be a non-negative integer (ms)')
    await refused(revs({ revoked: [{ peer, at: 1.5 }] }), 'bad-field', 'revoked[0].at must be a non-negative integer (ms)')
  })

  it('directory roles: an object of role name → { recipient, generation }', async () => {
    await refused(dir({ roles: [] }), 'bad-field', 'roles must be an object')
    await refused(dir({ roles: null }), 'bad-field', 'roles must be an object')
    await refused(dir({ roles: 'admin' }), 'bad-field', 'roles must be an object')
    await refused(dir({ roles: { 'a b': { recipient, generation: 1 } } }), 'bad-field', 'a role name must be a role name')
    await refused(dir({ roles: { admin: null } }), 'bad-field', 'roles.admin must be an object')
    await refused(dir({ roles: { admin: [recipient, 1] } }), 'bad-field', 'roles.admin must be an object')
    await refused(dir({ roles: { admin: { recipient: 'age1pq1xyz', generation: 1 } } }), 'bad-field', 'roles.admin.recipient must be an age X25519 recipient')
    await refused(dir({ roles: { admin: { recipient, generation: 0 } } }), 'bad-field', 'roles.admin.generation must be a positive integer')
  })

  it('grant: peer, role, recipient and identities', async () => {
    await refused(grant({ peer: 'bob' }), 'bad-field', 'peer must be a canonical peer-id string')
    await refused(grant({ role: 'a/b' }), 'bad-field', 'role must be a role name')
    await refused(grant({ role: 'x'.repeat(65) }), 'bad-field', 'role must be a role name')
    await refused(grant({ to: recipient.toUpperCase() }), 'bad-field', 'to must be an age X25519 recipient')
    await refused(grant({ identities: 'AGE-SECRET-KEY-1…' }), 'bad-field', 'identities must be an armored age file or null')
    await refused(grant({ identities: undefined }), 'bad-field', 'identities must be an armored age file or null')
    // The armor must start the string: age itself would skip leading whitespace, the format does not.
    await refused(grant({ identities: `\n${armored}` }), 'bad-field', 'identities must be an armored age file or null')
    await refused(grant({ identities: armored.replace('-----END AGE ENCRYPTED FILE-----', '-----END AGE FILE-----') }), 'bad-field', 'identities must be an armored age file or null')
  })

  it('cert: roles, peer and an expiry after the issue', async () => {
    await refused(cert({ roles: 'admin' }), 'bad-field', 'roles must be an array')
    await refused(cert({ roles: { 0: 'admin' } }), 'bad-field', 'roles must be an array')
    await refused(cert({ roles: ['admin', 'no way'] }), 'bad-field', 'roles[1] must be a role name')
    await refused(cert({ roles: ['admin', 'qa', 'admin'] }), 'bad-field', 'roles must not repeat a role')
    await refused(cert({ expiresAt: NOW }), 'bad-field', 'expiresAt must be after issuedAt')
    await refused(cert({ expiresAt: NOW - 1 }), 'bad-field', 'expiresAt must be after issuedAt')
    await refused(cert({ peer: 42 }), 'bad-field', 'peer must be a canonical peer-id string')
  })

  it('revocations: an array of { peer, at }, one per peer', async () => {
    await refused(revs({ revoked: {} }), 'bad-field', 'revoked must be an array')
    await refused(revs({ revoked: [{ peer, at: 1 }, null] }), 'bad-field', 'revoked[1] must be an object')
    await refused(revs({ revoked: [[peer, 1]] }), 'bad-field', 'revoked[0] must be an object')
    await refused(revs({ revoked: [{ peer: 'bob', at: 1 }] }), 'bad-field', 'revoked[0].peer must be a canonical peer-id string')
    await refused(revs({ revoked: [{ peer: other, at: 1 }, { peer, at: 1 }, { peer: other, at: 2 }] }), 'bad-field', 'revoked must list each peer once')
  })

  it('the canonical form only: field order, sorted lists, nothing extra', async () => {
    // Valid fields, but not written the one canonical way.
    await refused({ authority: authority.id, type: 'directory', generation: 1, issuedAt: NOW, roles: {} }, 'unparsable', 'the body is not in canonical form')
    await refused(cert({ roles: ['qa', 'admin'] }), 'unparsable', 'the body is not in canonical form')
    await refused(revs({ revoked: [{ peer: other, at: 1 }, { peer, at: 1 }] }), 'unparsable', 'the body is not in canonical form')
    await refused(dir({ roles: { qa: { recipient, generation: 1 }, admin: { recipient, generation: 1 } } }), 'unparsable', 'the body is not in canonical form')
    await refused(dir({ roles: { admin: { generation: 1, recipient } } }), 'unparsable', 'the body is not in canonical form')
    await refused(`${JSON.stringify(dir()).slice(0, -1)},"note":"x"}`, 'unparsable', 'the body is not in canonical form')
    await refused(JSON.stringify(dir()).replace(`"generation":1`, '"generation":1.0'), 'unparsable', 'the body is not in canonical form')
    await refused(JSON.stringify(dir()).replace(`"generation":1`, '"generation":1e0'), 'unparsable', 'the body is not in canonical form')
    // The same fields written canonically decode.
    expect(decodeAuthorityRecord(await craftEnvelope(JSON.stringify(cert({ roles: ['admin', 'qa'] })), authority.privateKey))).toMatchObject({ roles: ['admin', 'qa'] })
  })

  it('accepts the edges of every range', async () => {
    const ok = async (body: unknown) => decodeAuthorityRecord(await craftEnvelope(JSON.stringify(body), authority.privateKey))
    expect(await ok(dir({ issuedAt: 0, generation: 2 ** 53 - 1 }))).toMatchObject({ issuedAt: 0, generation: 2 ** 53 - 1 })
    expect(await ok(cert({ issuedAt: 0, expiresAt: 1 }))).toMatchObject({ issuedAt: 0, expiresAt: 1 })
    expect(await ok(revs({ revoked: [{ peer, at: 0 }] }))).toMatchObject({ revoked: [{ peer, at: 0 }] })
    const longest = 'R'.repeat(64)
    expect(await ok(grant({ role: longest }))).toMatchObject({ role: longest })
    expect(await ok(cert({ roles: ['-', '0', 'A', '_', 'z'] }))).toMatchObject({ roles: ['-', '0', 'A', '_', 'z'] })
  })
})

describe('the envelope', () => {
  it('refuses values that are not bytes, too short, of another version or of a wrong length', async () => {
    const message = (run: () => unknown): string => {
      try {
        run()
      } catch (err) {
        expect(err).toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'unparsable' })
        return (err as Error).message
      }
      throw new Error('did not throw')
    }
    const good = (await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })).value
    expect(message(() => decodeAuthorityEnvelope('abc' as unknown as Uint8Array))).toContain('the value is not bytes')
    expect(message(() => decodeAuthorityEnvelope(new Uint8Array(68)))).toContain('shorter than an envelope')
    // 69 bytes is an envelope with an empty body: not JSON.
    const empty = await craftEnvelope('', authority.privateKey)
    expect(empty.length).toBe(69)
    expect(message(() => decodeAuthorityEnvelope(empty))).toContain('the body is not UTF-8 JSON')
    expect(() => decodeAuthorityEnvelope(empty)).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }))
    const v2 = good.slice()
    v2[0] = 2
    expect(message(() => decodeAuthorityEnvelope(v2))).toContain('unknown envelope version 2')
    const v0 = good.slice()
    v0[0] = 0
    expect(message(() => decodeAuthorityEnvelope(v0))).toContain('unknown envelope version 0')
    const longer = new Uint8Array(good.length + 1)
    longer.set(good)
    expect(message(() => decodeAuthorityEnvelope(longer))).toContain('the body length does not match the envelope length')
    const lying = good.slice()
    new DataView(lying.buffer).setUint32(1, good.length - 69 - 1, false)
    expect(message(() => decodeAuthorityEnvelope(lying))).toContain('the body length does not match the envelope length')
    // A byte-order mark is not part of the format.
    const body = text(decodeAuthorityEnvelope(good).body)
    expect(message(() => decodeAuthorityEnvelope(craftBom(body)))).toContain('the body is not UTF-8 JSON')
  })

  it('splits into the body and the 64-byte signature, also from a view into a larger buffer', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const bodyText = text(decodeAuthorityEnvelope(signed.value).body)
    expect(signed.value[0]).toBe(1)
    expect(new DataView(signed.value.buffer).getUint32(1, false)).toBe(bodyText.length)
    expect(signed.value.length).toBe(69 + bodyText.length)
    const backing = new Uint8Array(signed.value.length + 7)
    backing.set(signed.value, 3)
    const view = backing.subarray(3, 3 + signed.value.length)
    const decoded = decodeAuthorityEnvelope(view)
    expect(text(decoded.body)).toBe(bodyText)
    expect(decoded.signature).toEqual(signed.value.subarray(signed.value.length - 64))
    expect(decoded.signature.length).toBe(64)
    expect(decoded.record).toEqual(signed.record)
    await expect(verifyAuthorityRecord(signed.key, view, { authority: authority.id, clock })).resolves.toEqual(signed.record)
  })

  it('the signature covers the domain string and the body', async () => {
    const body = new TextEncoder().encode('{"x":1}')
    const bytes = authoritySigningBytes(body)
    expect(text(bytes)).toBe('chorus-dht/authority/v1\n{"x":1}')
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const { body: signedBody, signature } = decodeAuthorityEnvelope(signed.value)
    const publicKey = authorityPublicKey(authority.id)
    expect(await publicKey.verify(new Uint8Array([...new TextEncoder().encode('chorus-dht/authority/v1\n'), ...signedBody]), signature)).toBe(true)
    expect(await publicKey.verify(signedBody, signature)).toBe(false)
  })
})

function craftBom (body: string): Uint8Array {
  const bytes = new TextEncoder().encode(`\uFEFF${body}`)
  const out = new Uint8Array(5 + bytes.length + 64)
  out[0] = 1
  new DataView(out.buffer).setUint32(1, bytes.length, false)
  out.set(bytes, 5)
  return out
}

describe('canonical bodies of every type', () => {
  it('grant', async () => {
    const signed = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 4, issuedAt: NOW, to: recipient, identities: armored })
    expect(text(decodeAuthorityEnvelope(signed.value).body)).toBe(
      `{"type":"grant","authority":"${authority.id}","peer":"${peer}","role":"admin","sequence":4,"issuedAt":${NOW},"to":"${recipient}","identities":${JSON.stringify(armored)}}`
    )
    const withdrawn = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 5, issuedAt: NOW, to: recipient, identities: null })
    expect(text(decodeAuthorityEnvelope(withdrawn.value).body)).toBe(
      `{"type":"grant","authority":"${authority.id}","peer":"${peer}","role":"admin","sequence":5,"issuedAt":${NOW},"to":"${recipient}","identities":null}`
    )
  })

  it('cert, roles sorted', async () => {
    const signed = await signCertificate(authority.privateKey, { peer, roles: ['qa', 'Admin', 'admin', '_x'], sequence: 2, issuedAt: NOW, expiresAt: NOW + 10 })
    expect(signed.record.roles).toEqual(['Admin', '_x', 'admin', 'qa'])
    expect(text(decodeAuthorityEnvelope(signed.value).body)).toBe(
      `{"type":"cert","authority":"${authority.id}","peer":"${peer}","roles":["Admin","_x","admin","qa"],"sequence":2,"issuedAt":${NOW},"expiresAt":${NOW + 10}}`
    )
  })

  it('revocations, sorted by peer', async () => {
    const signed = await signRevocations(authority.privateKey, { generation: 3, issuedAt: NOW, revoked: [{ peer: third, at: 3 }, { peer, at: 1 }, { peer: other, at: 2 }] })
    expect(signed.record.revoked.map(r => r.peer)).toEqual([peer, other, third])
    expect(text(decodeAuthorityEnvelope(signed.value).body)).toBe(
      `{"type":"revocations","authority":"${authority.id}","generation":3,"issuedAt":${NOW},"revoked":[{"peer":"${peer}","at":1},{"peer":"${other}","at":2},{"peer":"${third}","at":3}]}`
    )
  })

  it('directory, roles sorted by code point, `__proto__` an ordinary role name', async () => {
    const roles = { zeta: { recipient, generation: 2 }, Alpha: { recipient, generation: 1 }, mid: { recipient, generation: 3 } } as DirectoryBody['roles']
    Object.defineProperty(roles, '__proto__', { value: { recipient, generation: 4 }, enumerable: true, configurable: true, writable: true })
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles })
    const entry = (name: string, generation: number) => `"${name}":{"recipient":"${recipient}","generation":${generation}}`
    expect(text(decodeAuthorityEnvelope(signed.value).body)).toBe(
      `{"type":"directory","authority":"${authority.id}","generation":1,"issuedAt":${NOW},"roles":{${entry('Alpha', 1)},${entry('__proto__', 4)},${entry('mid', 3)},${entry('zeta', 2)}}}`
    )
    const record = decodeAuthorityRecord(signed.value)
    expect(record.type === 'directory' && Object.keys(record.roles)).toEqual(['Alpha', '__proto__', 'mid', 'zeta'])
    expect(Object.getOwnPropertyDescriptor(record.type === 'directory' ? record.roles : {}, '__proto__')?.value).toEqual({ recipient, generation: 4 })
  })
})

describe('role names that look like numbers', () => {
  it('are in code-point order too, not in the order JavaScript lists integer keys', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: { admin: { recipient, generation: 1 }, 2: { recipient, generation: 2 }, 10: { recipient, generation: 3 } } })
    const entry = (name: string, generation: number) => `"${name}":{"recipient":"${recipient}","generation":${generation}}`
    expect(text(decodeAuthorityEnvelope(signed.value).body)).toBe(
      `{"type":"directory","authority":"${authority.id}","generation":1,"issuedAt":${NOW},"roles":{${entry('10', 3)},${entry('2', 2)},${entry('admin', 1)}}}`
    )
    expect(decodeAuthorityRecord(signed.value)).toMatchObject({ roles: { 10: { generation: 3 }, 2: { generation: 2 }, admin: { generation: 1 } } })
  })
})

describe('signing', () => {
  it('returns the record in canonical form, as it was signed', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: { zeta: { recipient, generation: 1 }, alpha: { recipient, generation: 2 } } })
    expect(signed.record.type === 'directory' && Object.keys(signed.record.roles)).toEqual(['alpha', 'zeta'])
    expect(signed.record).toEqual(decodeAuthorityRecord(signed.value))
  })

  it('refuses a key that is not Ed25519 and a body that is not an object', async () => {
    const secp = await generateKeyPair('secp256k1') as unknown as AuthorityPrivateKey
    await expect(signDirectory(secp, { generation: 1, issuedAt: NOW, roles: {} })).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the authority key must be an Ed25519 private key' })
    await expect(signDirectory(null as unknown as AuthorityPrivateKey, { generation: 1, issuedAt: NOW, roles: {} })).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(signDirectory(authority.privateKey, null as unknown as DirectoryBody)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the body must be an object' })
    await expect(signDirectory(authority.privateKey, [] as unknown as DirectoryBody)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the body must be an object' })
  })

  it('names the record type and the bad field, keeping the record error as the cause', async () => {
    let caught: any
    try {
      await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 0, issuedAt: NOW, to: recipient, identities: null })
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ name: 'InvalidParametersError' })
    expect(caught.message).toMatch(/^cannot sign this grant record: .*sequence must be a positive integer/)
    expect(caught.cause).toMatchObject({ name: 'InvalidAuthorityRecordError', reason: 'bad-field' })
    await expect(signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [{ peer, at: 1 }, { peer, at: 1 }] })).rejects.toThrow(/^cannot sign this revocations record: .*each peer once/)
  })

  it('keeps an issuedAt of 0, and defaults a missing one to the current time', async () => {
    const zero = await signDirectory(authority.privateKey, { generation: 1, issuedAt: 0, roles: {} })
    expect(zero.record.issuedAt).toBe(0)
    expect(decodeAuthorityRecord(zero.value).issuedAt).toBe(0)
    const before = Date.now()
    const now = await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 1, expiresAt: before + 3_600_000 })
    const after = Date.now()
    expect(now.record.issuedAt).toBeGreaterThanOrEqual(before)
    expect(now.record.issuedAt).toBeLessThanOrEqual(after)
  })
})

describe('verifyAuthorityRecord', () => {
  async function reason (key: unknown, value: unknown, init: Record<string, unknown> = {}): Promise<Error & { reason?: string }> {
    try {
      await verifyAuthorityRecord(key as string, value as Uint8Array, { authority: authority.id, clock, ...init })
    } catch (err) {
      return err as Error & { reason?: string }
    }
    throw new Error('accepted')
  }

  it('checks size first, then the key prefix, then the envelope', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const garbage = new Uint8Array(100).fill(7)
    expect(await reason(signed.key, 'bytes')).toMatchObject({ reason: 'unparsable', message: expect.stringContaining('the value is not bytes') })
    // Whatever its length: a value that is not bytes is never measured.
    expect(await reason(signed.key, 'b'.repeat(200), { maxRecordSize: 100 })).toMatchObject({ reason: 'unparsable', message: expect.stringContaining('the value is not bytes') })
    expect(await reason('/CHORUS/ucxl/x', new Uint8Array(200), { maxRecordSize: 100 })).toMatchObject({ reason: 'too-large', message: expect.stringContaining('200 bytes is over the 100-byte limit') })
    expect(await reason('/CHORUS/ucxl/x', garbage)).toMatchObject({ reason: 'wrong-key', message: expect.stringContaining('the key is not under /CHORUS/authority/') })
    expect(await reason(undefined, signed.value)).toMatchObject({ reason: 'wrong-key' })
    expect(await reason(`/CHORUS/authority/${authority.id}/directory`, garbage)).toMatchObject({ reason: 'unparsable' })
    const mismatch = await reason(`/CHORUS/authority/${authority.id}/revocations`, signed.value)
    expect(mismatch).toMatchObject({ reason: 'wrong-key' })
    expect(mismatch.message).toContain(`a directory record of these fields belongs under ${signed.key}`)
  })

  it('accepts a value of exactly the size limit', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    await expect(verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock, maxRecordSize: signed.value.length })).resolves.toEqual(signed.record)
    expect(await reason(signed.key, signed.value, { maxRecordSize: signed.value.length - 1 })).toMatchObject({ reason: 'too-large' })
  })

  it('future: names issuedAt, the skew and the clock; a skew of 0 allows the clock\'s own time', async () => {
    const edge = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const ahead = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW + 1, roles: {} })
    await expect(verifyAuthorityRecord(edge.key, edge.value, { authority: authority.id, clock, maxClockSkew: 0 })).resolves.toEqual(edge.record)
    const err = await reason(ahead.key, ahead.value, { maxClockSkew: 0 })
    expect(err).toMatchObject({ reason: 'future' })
    expect(err.message).toContain(`issuedAt ${NOW + 1} is more than 0 ms ahead of ${NOW}`)
  })

  it('uses the system clock by default', async () => {
    const now = await signDirectory(authority.privateKey, { generation: 1, roles: {} })
    await expect(verifyAuthorityRecord(now.key, now.value, { authority: authority.id })).resolves.toEqual(now.record)
    const later = await signDirectory(authority.privateKey, { generation: 1, issuedAt: Date.now() + 3_600_000, roles: {} })
    await expect(verifyAuthorityRecord(later.key, later.value, { authority: authority.id })).rejects.toMatchObject({ reason: 'future' })
  })

  it('foreign-authority and bad-signature name what failed', async () => {
    const foreign = await generateAuthority()
    const signed = await signDirectory(foreign.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const err = await reason(signed.key, signed.value)
    expect(err).toMatchObject({ reason: 'foreign-authority' })
    expect(err.message).toContain(`issued by ${foreign.id}, not by the configured authority ${authority.id}`)
    const own = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const broken = own.value.slice()
    broken[broken.length - 10] ^= 0x40
    expect(await reason(own.key, broken)).toMatchObject({ reason: 'bad-signature', message: expect.stringContaining('the signature does not verify with the authority key') })
  })

  it('checks its options', async () => {
    const signed = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const bad = async (init: unknown, message: string) => {
      await expect(verifyAuthorityRecord(signed.key, signed.value, init as { authority: string })).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining(message) })
    }
    await bad(undefined, 'init.authority is required')
    await bad(null, 'init.authority is required')
    await bad('x', 'init.authority is required')
    await bad({ authority: authority.id, maxRecordSize: 1.5 }, 'init.maxRecordSize must be a positive integer')
    await bad({ authority: authority.id, maxRecordSize: -1 }, 'init.maxRecordSize must be a positive integer')
    await bad({ authority: authority.id, maxRecordSize: 0 }, 'init.maxRecordSize must be a positive integer')
    await bad({ authority: authority.id, maxClockSkew: -1 }, 'init.maxClockSkew must be a non-negative integer')
    await bad({ authority: authority.id, maxClockSkew: 0.5 }, 'init.maxClockSkew must be a non-negative integer')
    await bad({ authority: authority.id, maxClockSkew: Number.POSITIVE_INFINITY }, 'init.maxClockSkew must be a non-negative integer')
    await expect(verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock, maxRecordSize: 1024, maxClockSkew: 0 })).resolves.toEqual(signed.record)
    // The smallest limit is 1 byte, which every record is over.
    expect(await reason(signed.key, signed.value, { maxRecordSize: 1 })).toMatchObject({ reason: 'too-large', message: expect.stringContaining('over the 1-byte limit') })
  })
})
