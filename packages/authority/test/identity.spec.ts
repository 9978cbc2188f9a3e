import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { Encrypter } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { authorityIdFromPrivateKey, authorityPublicKey, exportAuthorityKey, generateAuthority, importAuthorityKey } from '../src/index.js'
import { newAgeKey } from './fixtures.js'

const FAST = { workFactor: 10 }

describe('generateAuthority', () => {
  it('makes an Ed25519 key whose id embeds the public key', async () => {
    const { privateKey, id } = await generateAuthority()
    expect(privateKey.type).toBe('Ed25519')
    expect(peerIdFromString(id).type).toBe('Ed25519')
    expect(authorityIdFromPrivateKey(privateKey)).toBe(id)
    const data = new TextEncoder().encode('hello')
    const signature = await privateKey.sign(data)
    expect(await authorityPublicKey(id).verify(data, signature)).toBe(true)
  })

  it('makes a different authority every time', async () => {
    const a = await generateAuthority()
    const b = await generateAuthority()
    expect(a.id).not.toBe(b.id)
  })

  it('refuses ids that are not Ed25519 peer ids', async () => {
    expect(() => authorityPublicKey('not a peer id')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => authorityPublicKey('')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    const secp = await generateKeyPair('secp256k1')
    expect(() => authorityIdFromPrivateKey(secp)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})

describe('exportAuthorityKey / importAuthorityKey', () => {
  it('round-trips the key through a passphrase-encrypted age file', async () => {
    const { privateKey, id } = await generateAuthority()
    const file = await exportAuthorityKey(privateKey, 'correct horse', FAST)
    expect(new TextDecoder().decode(file.subarray(0, 22))).toBe('age-encryption.org/v1\n')
    expect(new TextDecoder().decode(file)).toContain('-> scrypt ')
    const imported = await importAuthorityKey(file, 'correct horse')
    expect(imported.id).toBe(id)
    expect(privateKeyToProtobuf(imported.privateKey)).toEqual(privateKeyToProtobuf(privateKey))
  })

  it('uses the age default work factor (18) unless told otherwise', async () => {
    const { privateKey, id } = await generateAuthority()
    const file = await exportAuthorityKey(privateKey, 'pw')
    expect(new TextDecoder().decode(file)).toMatch(/-> scrypt \S+ 18\n/)
    expect((await importAuthorityKey(file, 'pw')).id).toBe(id)
  })

  it('writes and reads the armored form', async () => {
    const { privateKey, id } = await generateAuthority()
    const file = await exportAuthorityKey(privateKey, 'pw', { ...FAST, armor: true })
    expect(new TextDecoder().decode(file)).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/)
    expect((await importAuthorityKey(file, 'pw')).id).toBe(id)
  })

  it('refuses a wrong passphrase with WrongPassphraseError', async () => {
    const { privateKey } = await generateAuthority()
    const file = await exportAuthorityKey(privateKey, 'right', FAST)
    await expect(importAuthorityKey(file, 'wrong')).rejects.toMatchObject({ name: 'WrongPassphraseError' })
  })

  it('refuses files that are not authority key files', async () => {
    await expect(importAuthorityKey(new TextEncoder().encode('garbage'), 'pw')).rejects.toMatchObject({ name: 'InvalidAuthorityKeyError' })
    // An age file for a recipient, not a passphrase.
    const encrypter = new Encrypter()
    encrypter.addRecipient((await newAgeKey()).recipient)
    const forRecipient = await encrypter.encrypt(new Uint8Array(8))
    await expect(importAuthorityKey(forRecipient, 'pw')).rejects.toMatchObject({ name: 'InvalidAuthorityKeyError' })
    // A passphrase file holding something else.
    const other = new Encrypter()
    other.setPassphrase('pw')
    other.setScryptWorkFactor(10)
    await expect(importAuthorityKey(await other.encrypt('not a key'), 'pw')).rejects.toMatchObject({ name: 'InvalidAuthorityKeyError' })
    // A passphrase file holding a non-Ed25519 key.
    const secp = new Encrypter()
    secp.setPassphrase('pw')
    secp.setScryptWorkFactor(10)
    const secpFile = await secp.encrypt(privateKeyToProtobuf(await generateKeyPair('secp256k1')))
    await expect(importAuthorityKey(secpFile, 'pw')).rejects.toMatchObject({ name: 'InvalidAuthorityKeyError' })
  })

  it('has no unencrypted variant: a passphrase is required', async () => {
    const { privateKey } = await generateAuthority()
    await expect(exportAuthorityKey(privateKey, '')).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(exportAuthorityKey(privateKey, undefined as unknown as string)).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(exportAuthorityKey(privateKey, 'pw', { workFactor: 4 })).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(exportAuthorityKey(await generateKeyPair('secp256k1'), 'pw')).rejects.toMatchObject({ name: 'InvalidParametersError' })
  })
})
