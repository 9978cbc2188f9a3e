import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgeCrypto, createKeyStore, createRoleRegistry } from '../src/index.js'
import type { AgeCrypto, KeyStore } from '../src/index.js'
import { hasAgeCli, runAge, runAgeWithPassphrase } from './age-cli.js'

// The reference CLI is a hard requirement of this suite (CI installs it).
if (!hasAgeCli()) throw new Error('the `age` CLI is not installed: apt-get install age')

const roles = createRoleRegistry()
// Sizes around the 64 KiB STREAM chunk boundary.
const SIZES = [0, 1, 65536, 65536 * 2 + 17]

function same (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
}

describe('interoperability with the age CLI', () => {
  let dir: string
  let keys: KeyStore
  let crypto: AgeCrypto

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crypto-age-cli-'))
    keys = createKeyStore({}, { directory: join(dir, 'keys') })
    await keys.init()
    for (const r of roles.recipientsFor('backend_developer')) await keys.generateRoleKey(r)
    crypto = createAgeCrypto({ roles, keys })
  })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('age -d -i opens JS-encrypted multi-recipient files with every recipient key', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const file = join(dir, `js-${size}.age`)
      await writeFile(file, await crypto.encryptUCXLContent(plaintext, 'backend_developer'))
      for (const role of ['backend_developer', 'admin', 'qa_engineer']) {
        const idFile = join(dir, `${role}.key`)
        await writeFile(idFile, `${keys.getIdentities(role)[0]}\n`, { mode: 0o600 })
        const res = await runAge('age', ['-d', '-i', idFile, file])
        expect(res.stderr).toBe('')
        expect(res.code).toBe(0)
        expect(same(res.stdout, plaintext)).toBe(true)
      }
    }
  })

  it('the key store identity files are age identity files the CLI uses as they are', async () => {
    const file = join(dir, 'store.age')
    await writeFile(file, await crypto.encryptForRole(Buffer.from('from the store'), 'devops_engineer'))
    const idPath = join(dir, 'keys', 'identities', 'devops_engineer', '000001.key')
    const res = await runAge('age', ['-d', '-i', idPath, file])
    expect(res.code).toBe(0)
    expect(res.stdout.toString()).toBe('from the store')
  })

  it('JS decrypts files the CLI encrypts to several recipients', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const res = await runAge('age', ['-r', keys.getRecipient('admin')!, '-r', keys.getRecipient('qa_engineer')!], plaintext)
      expect(res.code).toBe(0)
      expect(same(await crypto.decryptWithRole(res.stdout, 'qa_engineer'), plaintext)).toBe(true)
      expect(same(await crypto.decrypt(res.stdout), plaintext)).toBe(true)
      await expect(crypto.decryptWithRole(res.stdout, 'devops_engineer')).rejects.toMatchObject({ name: 'AccessDeniedError' })
    }
  })

  it('JS decrypts ASCII-armored files (age -a)', async () => {
    const plaintext = randomBytes(70_000)
    const res = await runAge('age', ['-a', '-r', keys.getRecipient('admin')!], plaintext)
    expect(res.stdout.toString('latin1', 0, 34)).toBe('-----BEGIN AGE ENCRYPTED FILE-----')
    expect(same(await crypto.decryptWithRole(res.stdout, 'admin'), plaintext)).toBe(true)
  })

  it('JS decrypts with identities made by age-keygen', async () => {
    const gen = await runAge('age-keygen', [])
    const identity = gen.stdout.toString().split('\n').find(l => l.startsWith('AGE-SECRET-KEY-1'))!
    const recipient = gen.stdout.toString().match(/# public key: (age1\S+)/)![1]
    crypto.validateAgeKey(identity, 'private')
    crypto.validateAgeKey(recipient, 'public')
    const res = await runAge('age', ['-r', recipient], Buffer.from('keygen'))
    expect(Buffer.from(await crypto.decryptWithPrivateKey(res.stdout, identity)).toString()).toBe('keygen')
  })

  it('age -d opens passphrase-protected identity files (through a pty made by `script`)', async () => {
    const store = createKeyStore({}, { directory: join(dir, 'locked'), passphrase: 'open sesame 42', scryptWorkFactor: 12 })
    await store.init()
    const info = await store.generateRoleKey('admin')
    const res = await runAgeWithPassphrase(['-d', '-o', join(dir, 'admin.txt'), info.path], 'open sesame 42')
    expect(res.code, res.stdout.toString()).toBe(0)
    const text = await readFile(join(dir, 'admin.txt'), 'utf8')
    expect(text).toContain(`# public key: ${info.recipient}`)
    expect(text).toContain(store.getIdentities('admin')[0])

    // ...and the CLI takes the encrypted identity file directly with -i.
    const sealed = join(dir, 'for-locked.age')
    await writeFile(sealed, await createAgeCrypto({ roles, keys: store }).encryptForRole(Buffer.from('locked'), 'admin'))
    const viaId = await runAgeWithPassphrase(['-d', '-i', info.path, '-o', join(dir, 'locked.txt'), sealed], 'open sesame 42')
    expect(viaId.code, viaId.stdout.toString()).toBe(0)
    expect(await readFile(join(dir, 'locked.txt'), 'utf8')).toBe('locked')
  })

  it('the key store loads an identity file the CLI encrypted with a passphrase', async () => {
    const gen = await runAge('age-keygen', [])
    const identity = gen.stdout.toString().split('\n').find(l => l.startsWith('AGE-SECRET-KEY-1'))!
    const plain = join(dir, 'cli-identity.txt')
    await writeFile(plain, gen.stdout, { mode: 0o600 })
    const target = join(dir, 'cli-store', 'identities', 'observer')
    await createKeyStore({}, { directory: join(dir, 'cli-store') }).init()
    await mkdir(target, { recursive: true, mode: 0o700 })
    // The CLI's default scrypt work factor (18): the store reads what age -p writes.
    const res = await runAgeWithPassphrase(['-p', '-o', join(dir, 'cli-identity.age'), plain], 'cli pass 7')
    expect(res.code, res.stdout.toString()).toBe(0)
    await rename(join(dir, 'cli-identity.age'), join(target, '000001.age'))
    await chmod(join(target, '000001.age'), 0o600)
    const store = createKeyStore({}, { directory: join(dir, 'cli-store'), passphrase: 'cli pass 7' })
    await store.init()
    expect(store.getIdentities('observer')).toEqual([identity])
  })
})
