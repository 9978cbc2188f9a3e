import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Authority,
  certificateKey,
  decodeAuthorityEnvelope,
  decodeAuthorityRecord,
  directoryKey,
  encryptGrantIdentities,
  generateAuthority,
  grantKey,
  revocationsKey,
  signCertificate,
  signDirectory,
  signGrant,
  signRevocations,
  verifyAuthorityRecord
} from '../src/index.js'
import { NOW, fixedClock, newAgeKey, newPeerId } from './fixtures.js'

let authority: Authority
let peer: string
let other: string
const clock = fixedClock(NOW)

beforeAll(async () => {
  authority = await generateAuthority()
  peer = await newPeerId()
  other = await newPeerId()
})

describe('keys', () => {
  it('are strings under /CHORUS/authority/<authorityId>/', () => {
    const id = authority.id
    expect(directoryKey(id)).toBe(`/CHORUS/authority/${id}/directory`)
    expect(grantKey(id, peer, 'backend_developer')).toBe(`/CHORUS/authority/${id}/grant/${peer}/backend_developer`)
    expect(certificateKey(id, peer)).toBe(`/CHORUS/authority/${id}/cert/${peer}`)
    expect(revocationsKey(id)).toBe(`/CHORUS/authority/${id}/revocations`)
  })

  it('refuse malformed parts', () => {
    expect(() => directoryKey('nope')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => grantKey(authority.id, peer, 'a/b')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => grantKey(authority.id, 'x', 'admin')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => certificateKey(authority.id, `${peer}/..`)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('round trips', () => {
  it('role directory', async () => {
    const admin = await newAgeKey()
    const qa = await newAgeKey()
    const signed = await signDirectory(authority.privateKey, {
      generation: 3,
      issuedAt: NOW,
      roles: { qa_engineer: { recipient: qa.recipient, generation: 2 }, admin: { recipient: admin.recipient, generation: 1 } }
    })
    expect(signed.key).toBe(directoryKey(authority.id))
    const record = await verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock })
    expect(record).toEqual({
      type: 'directory',
      authority: authority.id,
      generation: 3,
      issuedAt: NOW,
      roles: { admin: { recipient: admin.recipient, generation: 1 }, qa_engineer: { recipient: qa.recipient, generation: 2 } }
    })
    expect(decodeAuthorityRecord(signed.value)).toEqual(record)
    // Canonical: fields in the documented order, role names sorted.
    const body = new TextDecoder().decode(decodeAuthorityEnvelope(signed.value).body)
    expect(body).toBe(`{"type":"directory","authority":"${authority.id}","generation":3,"issuedAt":${NOW},"roles":{"admin":{"recipient":"${admin.recipient}","generation":1},"qa_engineer":{"recipient":"${qa.recipient}","generation":2}}}`)
  })

  it('grant, and its withdrawal', async () => {
    const node = await newAgeKey()
    const role = await newAgeKey()
    const identities = await encryptGrantIdentities([role.identity], node.recipient)
    const signed = await signGrant(authority.privateKey, { peer, role: 'backend_developer', sequence: 1, issuedAt: NOW, to: node.recipient, identities })
    expect(signed.key).toBe(grantKey(authority.id, peer, 'backend_developer'))
    expect(await verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock })).toEqual({
      type: 'grant', authority: authority.id, peer, role: 'backend_developer', sequence: 1, issuedAt: NOW, to: node.recipient, identities
    })
    const withdrawn = await signGrant(authority.privateKey, { peer, role: 'backend_developer', sequence: 2, issuedAt: NOW, to: node.recipient, identities: null })
    expect(withdrawn.key).toBe(signed.key)
    expect((await verifyAuthorityRecord(withdrawn.key, withdrawn.value, { authority: authority.id, clock }))).toMatchObject({ type: 'grant', identities: null, sequence: 2 })
  })

  it('role certificate', async () => {
    const signed = await signCertificate(authority.privateKey, {
      peer, roles: ['qa_engineer', 'backend_developer'], sequence: 7, issuedAt: NOW, expiresAt: NOW + 86_400_000
    })
    expect(signed.key).toBe(certificateKey(authority.id, peer))
    expect(await verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock })).toEqual({
      type: 'cert', authority: authority.id, peer, roles: ['backend_developer', 'qa_engineer'], sequence: 7, issuedAt: NOW, expiresAt: NOW + 86_400_000
    })
  })

  it('revocation list', async () => {
    const signed = await signRevocations(authority.privateKey, {
      generation: 2, issuedAt: NOW, revoked: [{ peer: other, at: NOW - 5 }, { peer, at: NOW - 10 }]
    })
    expect(signed.key).toBe(revocationsKey(authority.id))
    const record = await verifyAuthorityRecord(signed.key, signed.value, { authority: authority.id, clock })
    expect(record).toMatchObject({ type: 'revocations', authority: authority.id, generation: 2, issuedAt: NOW })
    expect(record.type === 'revocations' && record.revoked).toEqual([{ peer, at: NOW - 10 }, { peer: other, at: NOW - 5 }].sort((a, b) => a.peer < b.peer ? -1 : 1))
  })

  it('an empty directory and an empty revocation list are valid', async () => {
    const dir = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: {} })
    const rev = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    await expect(verifyAuthorityRecord(dir.key, dir.value, { authority: authority.id, clock })).resolves.toMatchObject({ roles: {} })
    await expect(verifyAuthorityRecord(rev.key, rev.value, { authority: authority.id, clock })).resolves.toMatchObject({ revoked: [] })
  })

  it('issuedAt defaults to now and type/authority in the body are ignored', async () => {
    const before = Date.now()
    const signed = await signDirectory(authority.privateKey, { generation: 1, roles: {}, ...({ type: 'grant', authority: 'x' } as object) })
    expect(signed.record.type).toBe('directory')
    expect(signed.record.authority).toBe(authority.id)
    expect(signed.record.issuedAt).toBeGreaterThanOrEqual(before)
  })
})

describe('signing refuses bad bodies', () => {
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['generation 0', async () => await signDirectory(authority.privateKey, { generation: 0, issuedAt: NOW, roles: {} })],
    ['fractional generation', async () => await signDirectory(authority.privateKey, { generation: 1.5, issuedAt: NOW, roles: {} })],
    ['post-quantum recipient', async () => await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: { admin: { recipient: 'age1pq1xyz', generation: 1 } } })],
    ['bad role name', async () => await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles: { 'a b': { recipient: (await newAgeKey()).recipient, generation: 1 } } })],
    ['bad recipient checksum', async () => {
      const r = (await newAgeKey()).recipient
      const broken = r.slice(0, -1) + (r.endsWith('q') ? 'p' : 'q')
      return await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to: broken, identities: null })
    }],
    ['identities not armored', async () => await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to: (await newAgeKey()).recipient, identities: 'AGE-SECRET-KEY-1…' })],
    ['peer not a peer id', async () => await signGrant(authority.privateKey, { peer: 'bob', role: 'admin', sequence: 1, issuedAt: NOW, to: (await newAgeKey()).recipient, identities: null })],
    ['repeated cert role', async () => await signCertificate(authority.privateKey, { peer, roles: ['admin', 'admin'], sequence: 1, issuedAt: NOW, expiresAt: NOW + 1 })],
    ['expiry before issue', async () => await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 1, issuedAt: NOW, expiresAt: NOW })],
    ['repeated revoked peer', async () => await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [{ peer, at: 1 }, { peer, at: 2 }] })],
    ['negative at', async () => await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [{ peer, at: -1 }] })]
  ]
  for (const [name, run] of cases) {
    it(name, async () => {
      await expect(run()).rejects.toMatchObject({ name: 'InvalidParametersError' })
    })
  }
})
