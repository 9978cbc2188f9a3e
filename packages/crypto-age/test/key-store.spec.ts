import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Decrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAgeCrypto, createKeyStore, createRoleRegistry } from '../src/index.js'
import type { ComponentLogger, Logger } from '@chorus-dht/types'

function recordingLogger (withWarn = true): { logger: ComponentLogger, errors: string[], warnings: string[], debug: string[] } {
  const errors: string[] = []
  const warnings: string[] = []
  const debug: string[] = []
  const log = Object.assign((fmt: string, ...args: unknown[]) => { debug.push([fmt, ...args].join(' ')) }, {
    error: (fmt: string, ...args: unknown[]) => { errors.push([fmt, ...args].join(' ')) },
    ...(withWarn ? { warn: (fmt: string, ...args: unknown[]) => { warnings.push([fmt, ...args].join(' ')) } } : {}),
    trace: () => {},
    enabled: true
  }) as Logger
  return { logger: { forComponent: () => log }, errors, warnings, debug }
}

describe('KeyStore', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'crypto-age-keys-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('without a passphrase writes 0600 plain identity files and logs a warning', async () => {
    const { logger, errors, warnings } = recordingLogger()
    const keys = createKeyStore({ logger }, { directory: dir })
    await keys.init()
    const info = await keys.generateRoleKey('backend_developer')
    expect(info.generation).toBe(1)
    expect(info.recipient).toMatch(/^age1/)
    expect((await stat(info.path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'identities'))).mode & 0o777).toBe(0o700)
    expect(await readFile(info.path, 'utf8')).toMatch(/^# created: .*\n# role: backend_developer\n# generation: 1\n# public key: age1\S+\nAGE-SECRET-KEY-1\S+\n$/)
    expect(warnings.join('\n')).toMatch(/no passphrase configured/)
    expect(errors).toEqual([])
    expect(keys.getRecipient('backend_developer')).toBe(info.recipient)
    expect(await readFile(join(dir, 'recipients', 'backend_developer.txt'), 'utf8')).toContain(info.recipient)
    expect((await readdir(join(dir, 'identities', 'backend_developer'))).filter(f => f.includes('.tmp-'))).toEqual([])
  })

  it('logs the no-passphrase warning once, at the default level when the logger has no warn (never at error)', async () => {
    const { logger, errors, debug } = recordingLogger(false)
    const keys = createKeyStore({ logger }, { directory: dir })
    await keys.init()
    await keys.generateRoleKey('admin')
    await keys.generateRoleKey('backend_developer')
    expect(debug.filter(l => /no passphrase configured/.test(l))).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('refuses to load an identity file that group or others can read', async () => {
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const info = await keys.generateRoleKey('admin')
    await chmod(info.path, 0o644)
    const again = createKeyStore({}, { directory: dir })
    await expect(again.init()).rejects.toMatchObject({ name: 'AccessDeniedError', message: expect.stringMatching(/mode 0644/) })
    await chmod(info.path, 0o600)
    await again.init()
    expect(again.listRoles()).toEqual(['admin'])
  })

  it('encrypts identity files with the passphrase in age scrypt format', async () => {
    const keys = createKeyStore({}, { directory: dir, passphrase: 'hunter2 hunter2', scryptWorkFactor: 10 })
    await keys.init()
    const info = await keys.generateRoleKey('admin')
    expect(info.path.endsWith('.age')).toBe(true)
    const file = await readFile(info.path)
    expect(file.subarray(0, 40).toString('latin1')).toMatch(/^age-encryption.org\/v1\n-> scrypt /)
    // The reference JS implementation opens it with the passphrase.
    const d = new Decrypter()
    d.addPassphrase('hunter2 hunter2')
    const text = await d.decrypt(file, 'text')
    expect(text).toContain(keys.getIdentities('admin')[0])
    expect(text).toContain(`# public key: ${info.recipient}`)

    const wrong = createKeyStore({}, { directory: dir, passphrase: 'wrong' })
    await expect(wrong.init()).rejects.toMatchObject({ name: 'AccessDeniedError', message: expect.stringMatching(/wrong passphrase/) })
    const none = createKeyStore({}, { directory: dir })
    await expect(none.init()).rejects.toMatchObject({ name: 'AccessDeniedError', message: expect.stringMatching(/no passphrase is configured/) })
    const right = createKeyStore({}, { directory: dir, passphrase: 'hunter2 hunter2' })
    await right.init()
    expect(right.getIdentities('admin')).toEqual(keys.getIdentities('admin'))
  })

  it('rotates: new content to the newest key, old content still readable', async () => {
    const roles = createRoleRegistry()
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const first = await keys.generateRoleKey('qa_engineer')
    await expect(keys.generateRoleKey('qa_engineer')).rejects.toThrow(/use rotateRoleKey/)
    const crypto = createAgeCrypto({ roles, keys })
    const old = await crypto.encryptForRole(new TextEncoder().encode('old'), 'qa_engineer')
    const second = await keys.rotateRoleKey('qa_engineer')
    expect(second.generation).toBe(2)
    expect(second.recipient).not.toBe(first.recipient)
    expect(keys.getRecipient('qa_engineer')).toBe(second.recipient)
    expect(keys.getIdentities('qa_engineer')).toHaveLength(2)

    const fresh = await crypto.encryptForRole(new TextEncoder().encode('new'), 'qa_engineer')
    const header = Buffer.from(fresh).toString('latin1', 0, 500)
    expect(header.match(/^-> X25519 /gm)).toHaveLength(1)
    expect(await crypto.decryptWithPrivateKey(fresh, keys.getIdentities('qa_engineer')[0])).toEqual(new TextEncoder().encode('new'))
    await expect(crypto.decryptWithPrivateKey(fresh, keys.getIdentities('qa_engineer')[1])).rejects.toMatchObject({ name: 'AccessDeniedError' })
    expect(await crypto.decryptWithRole(old, 'qa_engineer')).toEqual(new TextEncoder().encode('old'))

    // A reloaded store sees both generations, newest first.
    const reloaded = createKeyStore({}, { directory: dir })
    await reloaded.init()
    expect(reloaded.getIdentities('qa_engineer')).toEqual(keys.getIdentities('qa_engineer'))
    expect(reloaded.getRecipient('qa_engineer')).toBe(second.recipient)
  })

  it('serializes concurrent rotations into distinct generations', async () => {
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const results = await Promise.allSettled([keys.generateRoleKey('admin'), keys.generateRoleKey('admin'), keys.rotateRoleKey('admin'), keys.rotateRoleKey('admin')])
    expect(results.map(r => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    expect(keys.getIdentities('admin')).toHaveLength(3)
    expect((await readdir(join(dir, 'identities', 'admin'))).sort()).toEqual(['000001.key', '000002.key', '000003.key'])
  })

  it('keeps recipients of roles it does not hold and exports them', async () => {
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const held = await keys.generateRoleKey('admin')
    const other = await createAgeCrypto({ roles: createRoleRegistry(), keys: {} }).generateAgeKeyPair()
    await keys.setRecipient('observer', other.publicKey)
    await expect(keys.setRecipient('observer', 'age1bogus')).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(keys.setRecipient('admin', other.publicKey)).rejects.toThrow(/held by this store/)
    await expect(keys.setRecipient('../x', other.publicKey)).rejects.toThrow(/role name/)
    expect(keys.exportRecipients()).toEqual({ admin: held.recipient, observer: other.publicKey })
    expect(keys.listRoles()).toEqual(['admin'])
    const reloaded = createKeyStore({}, { directory: dir })
    await reloaded.init()
    expect(reloaded.exportRecipients()).toEqual({ admin: held.recipient, observer: other.publicKey })
  })

  it('holds post-quantum hybrid identities too', async () => {
    const keys = createKeyStore({}, { directory: dir, passphrase: 'pq pass', scryptWorkFactor: 10 })
    await keys.init()
    const pq = await generateHybridIdentity()
    const info = await keys.importIdentity('senior_architect', pq)
    expect(info.recipient).toBe(await identityToRecipient(pq))
    const reloaded = createKeyStore({}, { directory: dir, passphrase: 'pq pass' })
    await reloaded.init()
    expect(reloaded.getRecipient('senior_architect')).toBe(info.recipient)
    const crypto = createAgeCrypto({ roles: createRoleRegistry(), keys: reloaded })
    const sealed = await crypto.encryptForRole(new TextEncoder().encode('pq'), 'senior_architect')
    expect(await crypto.decrypt(sealed)).toEqual(new TextEncoder().encode('pq'))
  })

  it('imports an existing identity and reports malformed key files by path', async () => {
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const pair = await createAgeCrypto({ roles: createRoleRegistry(), keys: {} }).generateAgeKeyPair()
    const info = await keys.importIdentity('observer', pair.privateKey)
    expect(info.recipient).toBe(pair.publicKey)
    await expect(keys.importIdentity('observer', 'AGE-SECRET-KEY-1BAD')).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await writeFile(info.path, 'AGE-SECRET-KEY-1QQQQ\n', { mode: 0o600 })
    await expect(createKeyStore({}, { directory: dir }).init()).rejects.toThrow(/identity file .*000001\.key is not a valid X25519 identity/)
    await expect(createKeyStore({}, { directory: join(dir, 'missing') }).load()).rejects.toMatchObject({ name: 'NotFoundError' })
  })
  it('imports a grant\'s identities once, oldest first, skipping those it holds', async () => {
    const source = createKeyStore({}, { directory: join(dir, 'source') })
    await source.init()
    await source.generateRoleKey('qa_engineer')
    await source.rotateRoleKey('qa_engineer')
    const granted = [...source.getIdentities('qa_engineer')].reverse()
    const keys = createKeyStore({}, { directory: join(dir, 'node') })
    await keys.init()
    const first = await keys.importIdentities('qa_engineer', granted.slice(0, 1))
    expect(first.map(i => i.generation)).toEqual([1])
    const again = await keys.importIdentities('qa_engineer', granted)
    expect(again.map(i => i.generation)).toEqual([2])
    expect(await keys.importIdentities('qa_engineer', granted)).toEqual([])
    expect(keys.getIdentities('qa_engineer')).toEqual(source.getIdentities('qa_engineer'))
    const reloaded = createKeyStore({}, { directory: join(dir, 'node') })
    await reloaded.init()
    expect(reloaded.getIdentities('qa_engineer')).toEqual(source.getIdentities('qa_engineer'))
    await expect(keys.importIdentities('qa_engineer', ['AGE-SECRET-KEY-1nope'])).rejects.toMatchObject({ name: 'InvalidParametersError' })
  })

  it('published recipients win over held identities, persist, and are replaced as a set', async () => {
    const keys = createKeyStore({}, { directory: dir })
    await keys.init()
    const own = await keys.generateRoleKey('backend_developer')
    const other = createKeyStore({}, { directory: join(dir, 'other') })
    await other.init()
    const published = (await other.generateRoleKey('backend_developer')).recipient
    const admin = (await other.generateRoleKey('admin')).recipient
    await keys.setPublishedRecipients({ backend_developer: published, admin })
    expect(keys.getRecipient('backend_developer')).toBe(published)
    expect(keys.getPublishedRecipient('admin')).toBe(admin)
    expect(keys.getIdentities('backend_developer')).toHaveLength(1)
    const crypto = createAgeCrypto({ roles: createRoleRegistry(), keys })
    const sealed = await crypto.encryptForRole(new TextEncoder().encode('x'), 'backend_developer')
    await expect(crypto.decryptWithRole(sealed, 'backend_developer')).rejects.toMatchObject({ name: 'AccessDeniedError' })

    const reloaded = createKeyStore({}, { directory: dir })
    await reloaded.init()
    expect(reloaded.getRecipient('backend_developer')).toBe(published)
    await reloaded.setPublishedRecipients({ admin })
    expect(reloaded.getPublishedRecipient('backend_developer')).toBeUndefined()
    expect(reloaded.getRecipient('backend_developer')).toBe(own.recipient)
    const third = createKeyStore({}, { directory: dir })
    await third.init()
    expect(third.getPublishedRecipient('backend_developer')).toBeUndefined()
    expect(third.exportRecipients()).toEqual({ admin, backend_developer: own.recipient })
    await expect(keys.setPublishedRecipients({ admin: 'age1nope' })).rejects.toMatchObject({ name: 'InvalidParametersError' })
  })
})
