import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorityIdFromPrivateKey, encryptGrantIdentities, exportAuthorityKey, generateAuthority } from '../src/index.js'
import { hasAgeCli, runAge, runAgeWithPassphrase } from './age-cli.js'
import { newAgeKey } from './fixtures.js'

if (!hasAgeCli()) throw new Error('the `age` CLI is not installed: apt-get install age')

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'authority-age-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('the age CLI', () => {
  it('decrypts a grant ciphertext with the node identity file', async () => {
    const node = await newAgeKey()
    const roleIdentities = [(await newAgeKey()).identity, (await newAgeKey()).identity]
    const ciphertext = await encryptGrantIdentities(roleIdentities, node.recipient)
    const identityFile = join(dir, 'node.key')
    await writeFile(identityFile, `# node identity\n${node.identity}\n`, { mode: 0o600 })
    const result = await runAge('age', ['-d', '-i', identityFile], new TextEncoder().encode(ciphertext))
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.toString('utf8')).toBe(roleIdentities.map(i => `${i}\n`).join(''))
  })

  it('refuses the grant ciphertext with another identity file', async () => {
    const node = await newAgeKey()
    const ciphertext = await encryptGrantIdentities([(await newAgeKey()).identity], node.recipient)
    const identityFile = join(dir, 'stranger.key')
    await writeFile(identityFile, `${(await newAgeKey()).identity}\n`, { mode: 0o600 })
    const result = await runAge('age', ['-d', '-i', identityFile], new TextEncoder().encode(ciphertext))
    expect(result.code).not.toBe(0)
  })

  it('opens the exported authority key file with `age -d` and the passphrase', async () => {
    const { privateKey, id } = await generateAuthority()
    const file = join(dir, 'authority.age')
    await writeFile(file, await exportAuthorityKey(privateKey, 'tr0ub4dor&3', { workFactor: 12 }))
    const out = join(dir, 'authority.pb')
    const result = await runAgeWithPassphrase(['-d', '-o', out, file], 'tr0ub4dor&3')
    expect(result.code).toBe(0)
    const marshalled = new Uint8Array(await readFile(out))
    expect(marshalled).toEqual(privateKeyToProtobuf(privateKey))
    expect(authorityIdFromPrivateKey(privateKeyFromProtobuf(marshalled))).toBe(id)
  })
})
