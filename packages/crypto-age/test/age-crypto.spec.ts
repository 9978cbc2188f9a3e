import { Decrypter, Encrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { createAgeCrypto, createRoleRegistry } from '../src/index.js'
import type { AgeCrypto } from '../src/index.js'
import type { AgeKeyPair } from '@chorus-dht/types'

const enc = new TextEncoder()
const roles = createRoleRegistry()

async function setup (held: string[]): Promise<{ crypto: AgeCrypto, pairs: Record<string, AgeKeyPair> }> {
  const tmp = createAgeCrypto({ roles, keys: {} })
  const pairs: Record<string, AgeKeyPair> = {}
  for (const r of roles.list()) pairs[r.name] = await tmp.generateAgeKeyPair()
  const crypto = createAgeCrypto({
    roles,
    keys: {
      recipients: Object.fromEntries(Object.entries(pairs).map(([r, p]) => [r, p.publicKey])),
      identities: Object.fromEntries(held.map(r => [r, pairs[r].privateKey]))
    }
  })
  return { crypto, pairs }
}

describe('AgeCrypto', () => {
  it('round-trips content for one role and refuses other roles', async () => {
    const { crypto, pairs } = await setup(['backend_developer', 'frontend_developer'])
    const sealed = await crypto.encryptForRole(enc.encode('secret'), 'backend_developer')
    expect(new TextDecoder().decode(sealed.subarray(0, 21))).toBe('age-encryption.org/v1')
    expect(await crypto.decryptWithRole(sealed, 'backend_developer')).toEqual(enc.encode('secret'))
    expect(await crypto.decryptWithPrivateKey(sealed, pairs.backend_developer.privateKey)).toEqual(enc.encode('secret'))
    await expect(crypto.decryptWithRole(sealed, 'frontend_developer')).rejects.toMatchObject({ name: 'AccessDeniedError' })
    await expect(crypto.decryptWithRole(sealed, 'admin')).rejects.toMatchObject({ name: 'AccessDeniedError' })
  })

  it('encrypts UCXL content to exactly the roles allowed to read it', async () => {
    const { crypto, pairs } = await setup(['backend_developer'])
    const sealed = await crypto.encryptUCXLContent(enc.encode('design'), 'backend_developer')
    const header = new TextDecoder('latin1').decode(sealed.subarray(0, 2000))
    expect(header.match(/^-> X25519 /gm)).toHaveLength(5)
    const allowed = roles.recipientsFor('backend_developer')
    for (const r of roles.list()) {
      const reader = createAgeCrypto({ roles, keys: { identities: { [r.name]: pairs[r.name].privateKey } } })
      if (allowed.includes(r.name)) {
        expect(await reader.decryptWithRole(sealed, r.name)).toEqual(enc.encode('design'))
      } else {
        await expect(reader.decrypt(sealed)).rejects.toMatchObject({ name: 'AccessDeniedError' })
      }
    }
  })

  it('handles empty content and multiple roles', async () => {
    const { crypto } = await setup(['qa_engineer', 'observer'])
    const sealed = await crypto.encryptForMultipleRoles(new Uint8Array(0), ['observer', 'qa_engineer', 'observer'])
    expect(await crypto.decryptWithRole(sealed, 'observer')).toEqual(new Uint8Array(0))
    expect(await crypto.decrypt(sealed)).toEqual(new Uint8Array(0))
  })

  it('reports held roles', async () => {
    const { crypto } = await setup(['qa_engineer', 'admin'])
    expect(crypto.heldRoles()).toEqual(['admin', 'qa_engineer'])
    expect(crypto.canDecryptContent('admin')).toBe(true)
    expect(crypto.canDecryptContent('observer')).toBe(false)
  })

  it('throws IntegrityError for tampered or truncated ciphertexts', async () => {
    const { crypto } = await setup(['admin'])
    const plaintext = new Uint8Array(200_000).map((_, i) => i % 251)
    const sealed = await crypto.encryptForRole(plaintext, 'admin')
    expect(Buffer.from(await crypto.decrypt(sealed)).equals(plaintext)).toBe(true)
    const flipped = sealed.slice()
    flipped[sealed.length - 100] ^= 1
    await expect(crypto.decrypt(flipped)).rejects.toMatchObject({ name: 'IntegrityError' })
    await expect(crypto.decrypt(sealed.subarray(0, sealed.length - 1))).rejects.toMatchObject({ name: 'IntegrityError' })
    // Cut exactly at a chunk boundary: the last remaining chunk is not marked final.
    const macAt = Buffer.from(sealed).indexOf('\n--- ') + 5
    const headerEnd = sealed.indexOf(10, macAt) + 1
    await expect(crypto.decrypt(sealed.subarray(0, headerEnd + 16 + 65536 + 16))).rejects.toMatchObject({ name: 'IntegrityError' })
    await expect(crypto.decrypt(sealed.subarray(0, 30))).rejects.toMatchObject({ name: 'IntegrityError' })
    const mac = sealed.slice()
    mac[macAt + 3] = mac[macAt + 3] === 65 ? 66 : 65
    await expect(crypto.decrypt(mac)).rejects.toMatchObject({ name: 'IntegrityError', message: expect.stringMatching(/MAC/) })
    // A modified stanza reads as a file for someone else: no identity matches it.
    const stanza = sealed.slice()
    stanza[40] = stanza[40] === 65 ? 66 : 65
    await expect(crypto.decrypt(stanza)).rejects.toMatchObject({ name: 'AccessDeniedError' })
    await expect(crypto.decrypt(enc.encode('not an age file'))).rejects.toMatchObject({ name: 'IntegrityError' })
  })

  it('rejects malformed keys and unknown roles with InvalidParametersError', async () => {
    const { crypto, pairs } = await setup(['admin'])
    expect(() => { crypto.validateAgeKey(pairs.admin.publicKey, 'public') }).not.toThrow()
    expect(() => { crypto.validateAgeKey(pairs.admin.privateKey, 'private') }).not.toThrow()
    expect(() => { crypto.validateAgeKey(pairs.admin.privateKey, 'public') }).toThrow(/public key .* does not start with "age1"/)
    const last = pairs.admin.publicKey.at(-1) === 'q' ? 'p' : 'q'
    expect(() => { crypto.validateAgeKey(`${pairs.admin.publicKey.slice(0, -1)}${last}`, 'public') }).toThrow(/checksum/)
    expect(() => { crypto.validateAgeKey(pairs.admin.privateKey.toLowerCase(), 'private') }).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    await expect(crypto.decryptWithPrivateKey(new Uint8Array(0), 'AGE-SECRET-KEY-1XYZ')).rejects.toThrow(/privateKey is not a valid X25519 identity/)
    await expect(crypto.encryptForRole(new Uint8Array(1), 'intruder')).rejects.toThrow('unknown role "intruder"')
    await expect(crypto.encryptUCXLContent(new Uint8Array(1), 'intruder')).rejects.toMatchObject({ name: 'InvalidParametersError' })
    const bad = createAgeCrypto({ roles, keys: { recipients: { admin: 'age1nope' } } })
    await expect(bad.encryptForRole(new Uint8Array(1), 'admin')).rejects.toThrow(/recipient of role admin "age1nope" is not a valid X25519 recipient/)
    await expect(bad.encryptForRole(new Uint8Array(1), 'observer')).rejects.toThrow('no recipient is known for role observer')
  })

  it('skips readers without a recipient unless requireAllRecipients is set', async () => {
    const pair = await createAgeCrypto({ roles, keys: {} }).generateAgeKeyPair()
    const keys = { identities: { backend_developer: pair.privateKey } }
    const lax = createAgeCrypto({ roles, keys })
    const sealed = await lax.encryptUCXLContent(enc.encode('x'), 'backend_developer')
    expect(await lax.decrypt(sealed)).toEqual(enc.encode('x'))
    const strict = createAgeCrypto({ roles, keys }, { requireAllRecipients: true })
    await expect(strict.encryptUCXLContent(enc.encode('x'), 'backend_developer')).rejects.toThrow(/no recipient is known for role admin/)
  })

  it('re-encrypts to the current keys', async () => {
    const { crypto, pairs } = await setup(['admin'])
    const sealed = await crypto.encryptForRole(enc.encode('old'), 'admin')
    const next = await crypto.generateAgeKeyPair()
    const rotated = createAgeCrypto({ roles, keys: { recipients: { admin: next.publicKey }, identities: { admin: [next.privateKey, pairs.admin.privateKey] } } })
    const again = await rotated.reencrypt(sealed, ['admin'])
    expect(await rotated.decryptWithPrivateKey(again, next.privateKey)).toEqual(enc.encode('old'))
    await expect(rotated.decryptWithPrivateKey(again, pairs.admin.privateKey)).rejects.toMatchObject({ name: 'AccessDeniedError' })
  })

  it('handles a 64 MiB payload holding little more than input and output', async () => {
    const { crypto } = await setup(['admin', 'observer'])
    const size = 64 * 1024 * 1024
    const plaintext = new Uint8Array(size)
    // A cheap non-constant pattern; randomness is not what is tested here.
    for (let i = 0; i < size; i += 4096) plaintext[i] = i >>> 12
    const before = process.memoryUsage().arrayBuffers
    const sealed = await crypto.encryptForMultipleRoles(plaintext, ['admin', 'observer'])
    const afterEncrypt = process.memoryUsage().arrayBuffers
    expect(sealed.length).toBeGreaterThan(size + 1024 * 16)
    const opened = await crypto.decryptWithRole(sealed, 'observer')
    const afterDecrypt = process.memoryUsage().arrayBuffers
    expect(Buffer.compare(Buffer.from(opened.buffer, opened.byteOffset, opened.length), Buffer.from(plaintext.buffer))).toBe(0)
    // Each step adds about one payload (its output); allow slack for chunks
    // a loaded machine has not collected yet (a copy per chunk would be far more)
    expect(afterEncrypt - before).toBeLessThan(3 * size)
    expect(afterDecrypt - afterEncrypt).toBeLessThan(3 * size)
  })

  it('interoperates with age-encryption in both directions', async () => {
    const { crypto, pairs } = await setup(['admin'])
    const sealed = await crypto.encryptForMultipleRoles(new Uint8Array(70_000).fill(7), ['observer', 'admin'])
    const d = new Decrypter()
    d.addIdentity(pairs.admin.privateKey)
    expect(Buffer.from(await d.decrypt(sealed)).equals(Buffer.alloc(70_000, 7))).toBe(true)
    const e = new Encrypter()
    e.addRecipient(pairs.observer.publicKey)
    e.addRecipient(pairs.admin.publicKey)
    expect(await crypto.decrypt(await e.encrypt('from typage'))).toEqual(enc.encode('from typage'))
  })

  it('encrypts to post-quantum hybrid recipients (age1pq1…) beside X25519 ones', async () => {
    const pqIdentity = await generateHybridIdentity()
    const pqRecipient = await identityToRecipient(pqIdentity)
    const { pairs } = await setup([])
    const crypto = createAgeCrypto({
      roles,
      keys: { recipients: { admin: pqRecipient, observer: pairs.observer.publicKey }, identities: { admin: pqIdentity } }
    })
    crypto.validateAgeKey(pqRecipient, 'public')
    crypto.validateAgeKey(pqIdentity, 'private')
    const sealed = await crypto.encryptForMultipleRoles(enc.encode('quantum'), ['admin', 'observer'])
    expect(Buffer.from(sealed).toString('latin1', 0, 200)).toMatch(/\n-> mlkem768x25519 /)
    expect(await crypto.decryptWithRole(sealed, 'admin')).toEqual(enc.encode('quantum'))
    expect(await crypto.decryptWithPrivateKey(sealed, pairs.observer.privateKey)).toEqual(enc.encode('quantum'))
    const d = new Decrypter()
    d.addIdentity(pqIdentity)
    expect(await d.decrypt(sealed, 'text')).toBe('quantum')
  })

  it('honours an aborted signal', async () => {
    const { crypto } = await setup(['admin'])
    const ac = new AbortController()
    ac.abort()
    await expect(crypto.encryptForRole(new Uint8Array(10), 'admin', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(crypto.decrypt(new Uint8Array(10), { signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) })).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  it('applies its default deadline to long payloads', async () => {
    const { pairs } = await setup([])
    // 1 ms cannot cover 8 MiB of ChaCha20-Poly1305; the check runs every 4 MiB.
    const hasty = createAgeCrypto({ roles, keys: { recipients: { admin: pairs.admin.publicKey } } }, { timeout: 1 })
    await expect(hasty.encryptForRole(new Uint8Array(8 * 1024 * 1024), 'admin')).rejects.toMatchObject({ name: 'TimeoutError' })
  })
})
