import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Authority,
  type InvalidAuthorityRecordReason,
  authorityRecordPolicy,
  authorityRecordReplacer,
  authorityRecordSelector,
  authorityRecordValidator,
  certificateKey,
  decodeAuthorityEnvelope,
  directoryKey,
  generateAuthority,
  grantKey,
  revocationsKey,
  signCertificate,
  signDirectory,
  signGrant,
  signRevocations
} from '../src/index.js'
import { NOW, craftEnvelope, fixedClock, newAgeKey, newPeerId } from './fixtures.js'

let authority: Authority
let foreign: Authority
let peer: string
let otherPeer: string
let validate: (key: string, value: Uint8Array) => void | Promise<void>

beforeAll(async () => {
  authority = await generateAuthority()
  foreign = await generateAuthority()
  peer = await newPeerId()
  otherPeer = await newPeerId()
  validate = authorityRecordValidator({ authority: authority.id, clock: fixedClock(NOW) })
})

async function rejects (key: string, value: Uint8Array, reason: InvalidAuthorityRecordReason, v = validate): Promise<void> {
  await expect((async () => { await v(key, value) })()).rejects.toMatchObject({ name: 'InvalidAuthorityRecordError', reason })
}

async function directory (generation: number, issuedAt = NOW, signer = authority): Promise<{ key: string, value: Uint8Array }> {
  return await signDirectory(signer.privateKey, { generation, issuedAt, roles: { admin: { recipient: (await newAgeKey()).recipient, generation } } })
}

describe('authorityRecordValidator', () => {
  it('accepts every record type the authority signed', async () => {
    const to = (await newAgeKey()).recipient
    for (const { key, value } of [
      await directory(1),
      await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to, identities: null }),
      await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 1, issuedAt: NOW, expiresAt: NOW + 1000 }),
      await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    ]) {
      await expect(validate(key, value)).resolves.toBeUndefined()
    }
  })

  it('bad-signature: a flipped signature bit, a flipped body bit, a signature by another key', async () => {
    const { key, value } = await directory(1)
    const flipped = value.slice()
    flipped[flipped.length - 1] ^= 1
    await rejects(key, flipped, 'bad-signature')

    // Change the generation digit inside the body: still canonical, signature no longer matches.
    const text = new TextDecoder().decode(decodeAuthorityEnvelope(value).body)
    const forgedBody = text.replace('"generation":1,', '"generation":9,')
    expect(forgedBody).not.toBe(text)
    await rejects(key, await craftEnvelope(forgedBody, authority.privateKey, { signature: decodeAuthorityEnvelope(value).signature.slice() }), 'bad-signature')

    // Claims the configured authority, signed by someone else.
    await rejects(key, await craftEnvelope(text, foreign.privateKey), 'bad-signature')
  })

  it('foreign-authority: a record signed by another authority, under either authority\'s key', async () => {
    const { key, value } = await directory(1, NOW, foreign)
    expect(key).toBe(directoryKey(foreign.id))
    await rejects(key, value, 'foreign-authority')
    await rejects(directoryKey(authority.id), value, 'foreign-authority')
  })

  it('wrong-key: type, authority, peer or role not matching the key', async () => {
    const dir = await directory(1)
    await rejects(revocationsKey(authority.id), dir.value, 'wrong-key')
    await rejects(directoryKey(foreign.id), dir.value, 'wrong-key')
    await rejects('/CHORUS/ucxl/abc', dir.value, 'wrong-key')
    await rejects(`${dir.key}/`, dir.value, 'wrong-key')
    const grant = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to: (await newAgeKey()).recipient, identities: null })
    await rejects(grantKey(authority.id, otherPeer, 'admin'), grant.value, 'wrong-key')
    await rejects(grantKey(authority.id, peer, 'observer'), grant.value, 'wrong-key')
    const cert = await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 1, issuedAt: NOW, expiresAt: NOW + 1 })
    await rejects(certificateKey(authority.id, otherPeer), cert.value, 'wrong-key')
  })

  it('future: issuedAt more than 5 min ahead of the clock', async () => {
    const edge = await directory(1, NOW + 5 * 60_000)
    await expect(validate(edge.key, edge.value)).resolves.toBeUndefined()
    const ahead = await directory(1, NOW + 5 * 60_000 + 1)
    await rejects(ahead.key, ahead.value, 'future')
    const lenient = authorityRecordValidator({ authority: authority.id, clock: fixedClock(NOW), maxClockSkew: 60 * 60_000 })
    await expect(lenient(ahead.key, ahead.value)).resolves.toBeUndefined()
  })

  it('too-large: over 64 KiB by default, or the configured limit', async () => {
    const roles: Record<string, { recipient: string, generation: number }> = {}
    const recipient = (await newAgeKey()).recipient
    for (let i = 0; i < 900; i++) roles[`role_${i}`] = { recipient, generation: 1 }
    const big = await signDirectory(authority.privateKey, { generation: 1, issuedAt: NOW, roles })
    expect(big.value.length).toBeGreaterThan(64 * 1024)
    await rejects(big.key, big.value, 'too-large')
    const roomy = authorityRecordValidator({ authority: authority.id, clock: fixedClock(NOW), maxRecordSize: 256 * 1024 })
    await expect(roomy(big.key, big.value)).resolves.toBeUndefined()
    const small = await directory(1)
    const tight = authorityRecordValidator({ authority: authority.id, clock: fixedClock(NOW), maxRecordSize: small.value.length - 1 })
    await rejects(small.key, small.value, 'too-large', tight)
  })

  it('unparsable: garbage, truncation, a wrong version byte, non-canonical JSON, extra fields, unknown types', async () => {
    const { key, value } = await directory(1)
    const text = new TextDecoder().decode(decodeAuthorityEnvelope(value).body)
    await rejects(key, new Uint8Array(0), 'unparsable')
    await rejects(key, new TextEncoder().encode('{"type":"directory"}'), 'unparsable')
    await rejects(key, crypto.getRandomValues(new Uint8Array(300)), 'unparsable')
    await rejects(key, value.subarray(0, value.length - 1), 'unparsable')
    await rejects(key, await craftEnvelope(text, authority.privateKey, { version: 2 }), 'unparsable')
    await rejects(key, await craftEnvelope('not json', authority.privateKey), 'unparsable')
    await rejects(key, await craftEnvelope(JSON.stringify(JSON.parse(text), null, 1), authority.privateKey), 'unparsable')
    await rejects(key, await craftEnvelope(text.replace(/}$/, ',"extra":1}'), authority.privateKey), 'unparsable')
    await rejects(key, await craftEnvelope(text.replace('"type":"directory"', '"type":"policy"'), authority.privateKey), 'unparsable')
    await rejects(key, await craftEnvelope('[1,2]', authority.privateKey), 'unparsable')
    const invalidUtf8 = await craftEnvelope('xx', authority.privateKey)
    invalidUtf8[5] = 0xff
    await rejects(key, invalidUtf8, 'unparsable')
  })

  it('bad-field: out-of-range or ill-typed fields, even when signed', async () => {
    const { key, value } = await directory(1)
    const text = new TextDecoder().decode(decodeAuthorityEnvelope(value).body)
    await rejects(key, await craftEnvelope(text.replace('"generation":1,"issuedAt"', '"generation":0,"issuedAt"'), authority.privateKey), 'bad-field')
    await rejects(key, await craftEnvelope(text.replace('"generation":1,"issuedAt"', '"generation":"1","issuedAt"'), authority.privateKey), 'bad-field')
    await rejects(key, await craftEnvelope(text.replace(/"recipient":"age1[^"]*"/, '"recipient":"age1nope"'), authority.privateKey), 'bad-field')
    await rejects(key, await craftEnvelope(text.replace(`"authority":"${authority.id}"`, '"authority":"someone"'), authority.privateKey), 'bad-field')
  })

  it('refuses an authority that is not an Ed25519 peer id when it is made', async () => {
    expect(() => authorityRecordValidator({ authority: 'nobody' })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => authorityRecordValidator({ authority: authority.id, maxRecordSize: 0 })).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('authorityRecordSelector and authorityRecordReplacer', () => {
  it('the higher generation wins, whatever the order', async () => {
    const one = await directory(1, NOW + 1000)
    const two = await directory(2, NOW)
    const three = await directory(3, NOW - 1000)
    expect(authorityRecordSelector(one.key, [one.value, two.value, three.value])).toBe(2)
    expect(authorityRecordSelector(one.key, [three.value, one.value, two.value])).toBe(0)
  })

  it('the higher sequence wins for grants and certificates', async () => {
    const to = (await newAgeKey()).recipient
    const g1 = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to, identities: null })
    const g2 = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 2, issuedAt: NOW - 1, to, identities: null })
    expect(authorityRecordSelector(g1.key, [g1.value, g2.value])).toBe(1)
    const c5 = await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 5, issuedAt: NOW, expiresAt: NOW + 10 })
    const c4 = await signCertificate(authority.privateKey, { peer, roles: ['observer'], sequence: 4, issuedAt: NOW + 5, expiresAt: NOW + 10 })
    expect(authorityRecordSelector(c5.key, [c4.value, c5.value])).toBe(1)
  })

  it('ties break on the later issuedAt, then on the bytes, the same way in any order', async () => {
    const early = await directory(4, NOW)
    const late = await directory(4, NOW + 1)
    expect(authorityRecordSelector(early.key, [early.value, late.value])).toBe(1)
    const a = await directory(4, NOW)
    const b = await directory(4, NOW)
    const winner = authorityRecordSelector(a.key, [a.value, b.value])
    expect(authorityRecordSelector(a.key, [b.value, a.value])).toBe(1 - winner)
    // The replacer agrees with the selector.
    const [best, worst] = winner === 0 ? [a, b] : [b, a]
    expect(authorityRecordReplacer(a.key, worst.value, best.value)).toBe(true)
    expect(authorityRecordReplacer(a.key, best.value, worst.value)).toBe(false)
  })

  it('undecodable values lose', async () => {
    const one = await directory(1)
    expect(authorityRecordSelector(one.key, [new Uint8Array([1, 2, 3]), one.value])).toBe(1)
    expect(authorityRecordSelector(one.key, [new Uint8Array([1]), new Uint8Array([2])])).toBe(0)
    expect(authorityRecordReplacer(one.key, new Uint8Array([1]), one.value)).toBe(true)
    expect(authorityRecordReplacer(one.key, one.value, new Uint8Array([1]))).toBe(false)
  })

  it('never rolls back: an older generation or sequence does not replace a newer one', async () => {
    const older = await directory(1, NOW + 60_000)
    const newer = await directory(2, NOW)
    expect(authorityRecordReplacer(newer.key, newer.value, older.value)).toBe(false)
    expect(authorityRecordReplacer(newer.key, older.value, newer.value)).toBe(true)

    const r1 = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW, revoked: [] })
    const r2 = await signRevocations(authority.privateKey, { generation: 2, issuedAt: NOW, revoked: [{ peer, at: NOW }] })
    expect(authorityRecordReplacer(r1.key, r2.value, r1.value)).toBe(false)

    // A withdrawn grant is not undone by replaying the grant.
    const to = (await newAgeKey()).recipient
    const granted = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW, to, identities: null })
    const withdrawn = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 2, issuedAt: NOW, to, identities: null })
    expect(authorityRecordReplacer(granted.key, withdrawn.value, granted.value)).toBe(false)
  })

  it('authorityRecordPolicy puts all three in the CHORUS namespace', async () => {
    const policy = authorityRecordPolicy({ authority: authority.id, clock: fixedClock(NOW) })
    expect(Object.keys(policy.validators)).toEqual(['CHORUS'])
    expect(policy.selectors.CHORUS).toBe(authorityRecordSelector)
    expect(policy.replacers.CHORUS).toBe(authorityRecordReplacer)
    const one = await directory(1)
    await expect(policy.validators.CHORUS(one.key, one.value)).resolves.toBeUndefined()
    const foreignDir = await directory(1, NOW, foreign)
    await expect(policy.validators.CHORUS(foreignDir.key, foreignDir.value)).rejects.toMatchObject({ reason: 'foreign-authority' })
  })
})

describe('the selector and replacer order, in detail', () => {
  it('no values, or one value twice: index 0, and a record never replaces itself', async () => {
    const one = await directory(1)
    expect(authorityRecordSelector(one.key, [])).toBe(0)
    expect(authorityRecordSelector(one.key, [one.value, one.value])).toBe(0)
    expect(authorityRecordSelector(one.key, [one.value, one.value.slice()])).toBe(0)
    expect(authorityRecordReplacer(one.key, one.value, one.value.slice())).toBe(false)
  })

  it('between equal generations and times, the lexicographically lower value bytes win', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await directory(4, NOW)
      const b = await directory(4, NOW)
      const lower = Buffer.compare(a.value, b.value) < 0 ? 0 : 1
      expect(authorityRecordSelector(a.key, [a.value, b.value])).toBe(lower)
      expect(authorityRecordReplacer(a.key, lower === 0 ? b.value : a.value, lower === 0 ? a.value : b.value)).toBe(true)
    }
  })

  it('the generation of a revocation list outranks its issuedAt', async () => {
    const r1 = await signRevocations(authority.privateKey, { generation: 1, issuedAt: NOW + 1000, revoked: [] })
    const r2 = await signRevocations(authority.privateKey, { generation: 2, issuedAt: NOW, revoked: [] })
    expect(authorityRecordSelector(r1.key, [r1.value, r2.value])).toBe(1)
    expect(authorityRecordSelector(r1.key, [r2.value, r1.value])).toBe(0)
    expect(authorityRecordReplacer(r1.key, r2.value, r1.value)).toBe(false)
    expect(authorityRecordReplacer(r1.key, r1.value, r2.value)).toBe(true)
  })

  it('the sequence of a grant or certificate outranks its issuedAt', async () => {
    const to = (await newAgeKey()).recipient
    const g1 = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 1, issuedAt: NOW + 1000, to, identities: null })
    const g2 = await signGrant(authority.privateKey, { peer, role: 'admin', sequence: 2, issuedAt: NOW, to, identities: null })
    expect(authorityRecordSelector(g1.key, [g2.value, g1.value])).toBe(0)
    expect(authorityRecordReplacer(g1.key, g2.value, g1.value)).toBe(false)
    const c1 = await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 1, issuedAt: NOW + 1000, expiresAt: NOW + 2000 })
    const c2 = await signCertificate(authority.privateKey, { peer, roles: ['admin'], sequence: 2, issuedAt: NOW, expiresAt: NOW + 2000 })
    expect(authorityRecordSelector(c1.key, [c2.value, c1.value])).toBe(0)
    expect(authorityRecordReplacer(c1.key, c1.value, c2.value)).toBe(true)
    expect(authorityRecordReplacer(c1.key, c2.value, c1.value)).toBe(false)
  })

  it('at equal counters the later issuedAt wins, in both directions', async () => {
    const early = await directory(5, NOW)
    const late = await directory(5, NOW + 1)
    expect(authorityRecordSelector(early.key, [late.value, early.value])).toBe(0)
    expect(authorityRecordReplacer(early.key, early.value, late.value)).toBe(true)
    expect(authorityRecordReplacer(early.key, late.value, early.value)).toBe(false)
  })

  it('picks the best of many, skipping undecodable ones anywhere in the list', async () => {
    const values = [await directory(2), await directory(7), await directory(3)].map(s => s.value)
    expect(authorityRecordSelector('/k', [new Uint8Array(0), values[0], new Uint8Array([9]), values[1], values[2], new Uint8Array(80)])).toBe(3)
    expect(authorityRecordReplacer('/k', new Uint8Array(0), new Uint8Array([9]))).toBe(true)
  })

  it('the validator resolves nothing and refuses what verifyAuthorityRecord refuses', async () => {
    const one = await directory(1)
    await expect(validate(one.key, one.value)).resolves.toBeUndefined()
    await rejects(one.key, one.value.subarray(0, 10), 'unparsable')
  })
})
