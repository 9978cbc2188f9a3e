import { Decrypter, Encrypter, armor, generateHybridIdentity, identityToRecipient } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { decryptGrantIdentities, encryptGrantIdentities, isX25519Identity, isX25519Recipient } from '../src/index.js'
import { newAgeKey } from './fixtures.js'

describe('encryptGrantIdentities / decryptGrantIdentities', () => {
  it('opens with the node identity it was encrypted to, every generation in order', async () => {
    const node = await newAgeKey()
    const generations = [(await newAgeKey()).identity, (await newAgeKey()).identity, (await newAgeKey()).identity]
    const ciphertext = await encryptGrantIdentities(generations, node.recipient)
    expect(ciphertext).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/)
    expect(ciphertext).not.toContain('AGE-SECRET-KEY')
    expect(await decryptGrantIdentities(ciphertext, node.identity)).toEqual(generations)
    // The binary form opens too.
    expect(await decryptGrantIdentities(armor.decode(ciphertext), node.identity)).toEqual(generations)
  })

  it('does not open with another node identity (AccessDeniedError)', async () => {
    const node = await newAgeKey()
    const stranger = await newAgeKey()
    const ciphertext = await encryptGrantIdentities([(await newAgeKey()).identity], node.recipient)
    await expect(decryptGrantIdentities(ciphertext, stranger.identity)).rejects.toMatchObject({ name: 'AccessDeniedError' })
  })

  it('refuses a corrupt ciphertext (IntegrityError)', async () => {
    const node = await newAgeKey()
    const ciphertext = await encryptGrantIdentities([(await newAgeKey()).identity], node.recipient)
    const bytes = armor.decode(ciphertext)
    bytes[bytes.length - 1] ^= 1
    await expect(decryptGrantIdentities(bytes, node.identity)).rejects.toMatchObject({ name: 'IntegrityError' })
    await expect(decryptGrantIdentities('not armor', node.identity)).rejects.toMatchObject({ name: 'IntegrityError' })
  })

  it('refuses arguments that are not X25519 age keys', async () => {
    const node = await newAgeKey()
    await expect(encryptGrantIdentities([], node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(encryptGrantIdentities(['AGE-SECRET-KEY-1NOPE'], node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(encryptGrantIdentities([node.identity], 'age1pq1abc')).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(decryptGrantIdentities('x', node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError' })
  })
})

describe('the grant plaintext', () => {
  async function encryptText (plaintext: string, recipient: string): Promise<string> {
    const encrypter = new Encrypter()
    encrypter.addRecipient(recipient)
    return armor.encode(await encrypter.encrypt(plaintext))
  }

  it('is one identity per line, each line ending in a newline', async () => {
    const node = await newAgeKey()
    const ids = [(await newAgeKey()).identity, (await newAgeKey()).identity]
    const decrypter = new Decrypter()
    decrypter.addIdentity(node.identity)
    expect(await decrypter.decrypt(armor.decode(await encryptGrantIdentities(ids, node.recipient)), 'text')).toBe(`${ids[0]}\n${ids[1]}\n`)
  })

  it('skips empty lines, comments and surrounding whitespace, as age-keygen files have', async () => {
    const node = await newAgeKey()
    const [a, b] = [(await newAgeKey()).identity, (await newAgeKey()).identity]
    const file = await encryptText(`# created: 2026-12-02\n# public key: age1…\n${a}\r\n\n   \n  ${b}  \n#${a}\n`, node.recipient)
    expect(await decryptGrantIdentities(file, node.identity)).toEqual([a, b])
  })

  it('refuses a plaintext that holds anything but identities, or none (IntegrityError)', async () => {
    const node = await newAgeKey()
    const a = (await newAgeKey()).identity
    await expect(decryptGrantIdentities(await encryptText(`${a}\nhello\n`, node.recipient), node.identity)).rejects.toMatchObject({ name: 'IntegrityError', message: 'the grant plaintext holds a line that is not an age identity' })
    await expect(decryptGrantIdentities(await encryptText(`${a.toLowerCase()}\n`, node.recipient), node.identity)).rejects.toMatchObject({ name: 'IntegrityError', message: 'the grant plaintext holds a line that is not an age identity' })
    await expect(decryptGrantIdentities(await encryptText('# nothing here\n\n', node.recipient), node.identity)).rejects.toMatchObject({ name: 'IntegrityError', message: 'the grant plaintext holds no identity' })
    await expect(decryptGrantIdentities(await encryptText('', node.recipient), node.identity)).rejects.toMatchObject({ name: 'IntegrityError', message: 'the grant plaintext holds no identity' })
  })
})

describe('grant identity errors', () => {
  it('say which argument is wrong', async () => {
    const node = await newAgeKey()
    const good = (await newAgeKey()).identity
    await expect(encryptGrantIdentities('AGE-SECRET-KEY-1' as unknown as string[], node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'identities must be a non-empty array of AGE-SECRET-KEY-1… strings' })
    await expect(encryptGrantIdentities([good, good.slice(0, -1)], node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'identities[1] is not an age X25519 identity' })
    await expect(encryptGrantIdentities([good], node.identity)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'toRecipient must be an age X25519 recipient (age1…)' })
    const ciphertext = await encryptGrantIdentities([good], node.recipient)
    await expect(decryptGrantIdentities(ciphertext, node.recipient)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'nodeIdentity must be an age X25519 identity (AGE-SECRET-KEY-1…)' })
    await expect(decryptGrantIdentities(42 as unknown as string, node.identity)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'ciphertext must be a string or a Uint8Array' })
  })

  it('tell a stranger from a corrupt file, keeping the cause', async () => {
    const node = await newAgeKey()
    const ciphertext = await encryptGrantIdentities([(await newAgeKey()).identity], node.recipient)
    const denied = await decryptGrantIdentities(ciphertext, (await newAgeKey()).identity).catch((e: Error) => e)
    expect(denied).toMatchObject({ name: 'AccessDeniedError', message: 'the grant is not encrypted to this node identity' })
    expect((denied as Error).cause).toBeInstanceOf(Error)
    const bytes = armor.decode(ciphertext)
    bytes[bytes.length - 1] ^= 1
    const corrupt = await decryptGrantIdentities(bytes, node.identity).catch((e: Error) => e)
    expect(corrupt).toMatchObject({ name: 'IntegrityError', message: 'the grant ciphertext does not decrypt' })
    expect((corrupt as Error).cause).toBeInstanceOf(Error)
    await expect(decryptGrantIdentities(ciphertext.replace('-----END AGE ENCRYPTED FILE-----', '-----END-----'), node.identity)).rejects.toMatchObject({ name: 'IntegrityError', message: 'the grant ciphertext is not an armored age file', cause: expect.any(Error) })
  })
})

describe('isX25519Recipient and isX25519Identity', () => {
  it('accept X25519 keys with a valid checksum only', async () => {
    const { identity, recipient } = await newAgeKey()
    expect(isX25519Recipient(recipient)).toBe(true)
    expect(await isX25519Identity(identity)).toBe(true)
    const flip = (s: string, lower: boolean) => s.slice(0, -1) + (s.at(-1) === (lower ? 'q' : 'Q') ? (lower ? 'p' : 'P') : (lower ? 'q' : 'Q'))
    expect(isX25519Recipient(flip(recipient, true))).toBe(false)
    expect(await isX25519Identity(flip(identity, false))).toBe(false)
    for (const value of [42, null, undefined, '', recipient.toUpperCase(), `${recipient}q`, ` ${recipient}`, identity]) {
      expect(isX25519Recipient(value)).toBe(false)
    }
    for (const value of [42, null, '', identity.toLowerCase(), `${identity}Q`, ` ${identity}`, recipient]) {
      expect(await isX25519Identity(value)).toBe(false)
    }
  })

  it('refuse post-quantum keys, which the age library itself would take', async () => {
    const identity = await generateHybridIdentity()
    const recipient = await identityToRecipient(identity)
    const encrypter = new Encrypter()
    encrypter.addRecipient(recipient)
    expect(isX25519Recipient(recipient)).toBe(false)
    expect(await isX25519Identity(identity)).toBe(false)
  })
})
