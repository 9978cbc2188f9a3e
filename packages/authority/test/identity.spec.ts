import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { Encrypter } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { authorityIdFromPrivateKey, authorityPublicKey, exportAuthorityKey, generateAuthority, importAuthorityKey } from '../src/index.js'
import type { AuthorityPrivateKey } from '../src/index.js'
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

describe('authorityPublicKey refuses every id but the canonical Ed25519 form', () => {
  it('names what is wrong with the id', async () => {
    const { id } = await generateAuthority()
    const message = (value: unknown): string => {
      try {
        authorityPublicKey(value as string)
      } catch (err) {
        expect(err).toMatchObject({ name: 'InvalidParametersError' })
        return (err as Error).message
      }
      throw new Error('accepted')
    }
    expect(message(42)).toBe('the authority id must be a non-empty peer-id string')
    expect(message('')).toBe('the authority id must be a non-empty peer-id string')
    expect(message('not a peer id')).toBe('the authority id "not a peer id" is not a peer id')
    expect(() => authorityPublicKey('not a peer id')).toThrow(expect.objectContaining({ cause: expect.any(Error) }))
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    expect(message(secp)).toBe(`the authority id "${secp}" is not an Ed25519 peer id`)
    // The same key as a CID string: a peer id, but not the canonical string of it.
    const cid = peerIdFromString(id).toCID().toString()
    expect(message(cid)).toBe(`the authority id "${cid}" is not in canonical form (${id})`)
    expect(authorityPublicKey(id).equals(peerIdFromString(id).publicKey)).toBe(true)
  })

  it('authorityIdFromPrivateKey refuses what is not an Ed25519 key', () => {
    for (const key of [null, undefined, 'Ed25519', { type: 'RSA' }]) {
      expect(() => authorityIdFromPrivateKey(key as unknown as AuthorityPrivateKey)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: 'the authority key must be an Ed25519 private key' }))
    }
  })
})

describe('exportAuthorityKey options', () => {
  it('accepts work factors from 10 to 20 only, as integers', async () => {
    const { privateKey } = await generateAuthority()
    for (const workFactor of [9, 21, 10.5, Number.NaN, '12']) {
      await expect(exportAuthorityKey(privateKey, 'pw', { workFactor: workFactor as number })).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'workFactor must be an integer from 10 to 20' })
    }
    const file = await exportAuthorityKey(privateKey, 'pw', { workFactor: 11 })
    expect(new TextDecoder().decode(file)).toMatch(/-> scrypt \S+ 11\n/)
  })

  it('writes the binary form unless armor is true', async () => {
    const { privateKey } = await generateAuthority()
    for (const options of [{ ...FAST }, { ...FAST, armor: false }]) {
      const file = await exportAuthorityKey(privateKey, 'pw', options)
      expect(new TextDecoder().decode(file.subarray(0, 22))).toBe('age-encryption.org/v1\n')
    }
    const armored = new TextDecoder().decode(await exportAuthorityKey(privateKey, 'pw', { ...FAST, armor: true }))
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/)
  })

  it('refuses an empty or missing passphrase with InvalidParametersError', async () => {
    const { privateKey } = await generateAuthority()
    await expect(exportAuthorityKey(privateKey, '')).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the passphrase must be a non-empty string' })
    await expect(exportAuthorityKey(privateKey, 42 as unknown as string, FAST)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the passphrase must be a non-empty string' })
  })
})

describe('importAuthorityKey', () => {
  it('opens an armored file preceded by whitespace', async () => {
    const { privateKey, id } = await generateAuthority()
    const armored = new TextDecoder().decode(await exportAuthorityKey(privateKey, 'pw', { ...FAST, armor: true }))
    for (const lead of [' ', '\t', '\n', '\r\n', ' \t\r\n ']) {
      expect((await importAuthorityKey(new TextEncoder().encode(`${lead}${armored}`), 'pw')).id).toBe(id)
    }
  })

  it('refuses arguments of the wrong type', async () => {
    const { privateKey } = await generateAuthority()
    const file = await exportAuthorityKey(privateKey, 'pw', FAST)
    await expect(importAuthorityKey('age-encryption.org/v1' as unknown as Uint8Array, 'pw')).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the authority key file must be a Uint8Array' })
    await expect(importAuthorityKey(file, '')).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'the passphrase must be a non-empty string' })
  })

  it('tells why a file does not open', async () => {
    const { privateKey } = await generateAuthority()
    const fails = async (file: Uint8Array, name: string, message: string | RegExp, cause = true) => {
      const err = await importAuthorityKey(file, 'pw').catch((e: Error) => e)
      expect(err).toMatchObject({ name })
      expect((err as Error).message).toMatch(message)
      // The failure underneath is kept, except where this package found the problem itself.
      if (cause) expect((err as Error).cause).toBeInstanceOf(Error)
      else expect((err as Error).cause).toBeUndefined()
    }
    await fails(await exportAuthorityKey(privateKey, 'right', FAST), 'WrongPassphraseError', 'the passphrase does not open this authority key file')
    await fails(new TextEncoder().encode('garbage'), 'InvalidAuthorityKeyError', 'not a readable age file')
    const armored = new TextDecoder().decode(await exportAuthorityKey(privateKey, 'pw', { ...FAST, armor: true }))
    await fails(new TextEncoder().encode(armored.replace('-----END AGE ENCRYPTED FILE-----', '-----END-----')), 'InvalidAuthorityKeyError', 'the armored authority key file does not decode')
    const notUtf8 = new TextEncoder().encode(armored)
    notUtf8[40] = 0xff
    await fails(notUtf8, 'InvalidAuthorityKeyError', 'the armored authority key file does not decode')
    const encrypter = new Encrypter()
    encrypter.addRecipient((await newAgeKey()).recipient)
    await fails(await encrypter.encrypt(new Uint8Array(8)), 'InvalidAuthorityKeyError', 'the age file is not passphrase-encrypted')
    const other = new Encrypter()
    other.setPassphrase('pw')
    other.setScryptWorkFactor(10)
    await fails(await other.encrypt('not a key'), 'InvalidAuthorityKeyError', 'the age file does not hold a protobuf-marshalled private key')
    const secp = new Encrypter()
    secp.setPassphrase('pw')
    secp.setScryptWorkFactor(10)
    await fails(await secp.encrypt(privateKeyToProtobuf(await generateKeyPair('secp256k1'))), 'InvalidAuthorityKeyError', 'the age file holds a secp256k1 key, not an Ed25519 authority key', false)
  })

  it('keeps the underlying failure as the cause', async () => {
    const { privateKey } = await generateAuthority()
    const err = await importAuthorityKey(await exportAuthorityKey(privateKey, 'right', FAST), 'wrong').catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).cause).toBeInstanceOf(Error)
  })
})
