import { armor } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { decryptGrantIdentities, encryptGrantIdentities } from '../src/index.js'
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
