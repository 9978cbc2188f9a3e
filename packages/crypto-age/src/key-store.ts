// Over 400 lines: one class, the on-disk key store (identity generations,
// atomic writes with their file modes, rotation, the published recipients,
// the permission checks on open). Its methods share the directory layout
// and the generation numbering, which are private to it.
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AccessDeniedError, InvalidParametersError, NotFoundError } from '@chorus-dht/types'
import type { AbortOptions, Clock, ComponentLogger, Logger } from '@chorus-dht/types'
import { logWarning } from '@chorus-dht/utils'
import { defaultLogger } from '@libp2p/logger'
import { DEFAULT_KEY_STORE_TIMEOUT, DEFAULT_LOG_PREFIX, DEFAULT_SCRYPT_WORK_FACTOR, MAX_SCRYPT_WORK_FACTOR } from './constants.js'
import { deadline } from './deadline.js'
import { decryptWith, encryptTo } from './engine.js'
import { parseIdentity, parseRecipient, recipientOf, recipientProblem } from './age/keys.js'
import { ScryptIdentity, ScryptRecipient } from './age/scrypt.js'
import { generateX25519KeyPair } from './age/x25519.js'
import { validateRoleName } from './roles.js'
import type { KeySource } from './key-source.js'

/** Components of {@link createKeyStore}. */
export interface KeyStoreComponents {
  /** @default defaultLogger() from `@libp2p/logger` */
  logger?: ComponentLogger
  /** Time written into the `# created:` comment of identity files. @default Date */
  clock?: Clock
}

/** Init of {@link createKeyStore}. */
export interface KeyStoreInit {
  /**
   * The prefix of the key store's log component name (it logs as `${logPrefix}:key-store`).
   * @default 'chorus-dht:crypto-age'
   */
  logPrefix?: string
  /** The key store directory; created with mode 0700 by `init()`. */
  directory: string
  /**
   * Encrypts identity files at rest (age scrypt format). Without one,
   * identity files are plain text of mode 0600 and a warning is logged.
   *
   * @default undefined
   */
  passphrase?: string
  /**
   * scrypt work factor (log2 N) of new passphrase-protected identity files.
   *
   * @default DEFAULT_SCRYPT_WORK_FACTOR (18)
   */
  scryptWorkFactor?: number
  /**
   * Deadline of each call without a signal, in milliseconds.
   *
   * @default DEFAULT_KEY_STORE_TIMEOUT (60000)
   */
  timeout?: number
}

/** One identity generation created by the store. */
export interface RoleKeyInfo {
  role: string
  /** The `age1…` recipient new content for the role is encrypted to. */
  recipient: string
  /** 1 for the first key of a role, +1 per rotation. */
  generation: number
  /** The identity file. */
  path: string
}

/**
 * Role identities and recipients in a directory. See the README for the
 * layout. Identities of a role are kept across rotations, newest first.
 */
export interface KeyStore extends KeySource {
  /** Creates the directory (mode 0700) when missing, then {@link KeyStore.load}s it. */
  init(options?: AbortOptions): Promise<void>
  /**
   * (Re)reads every identity and recipient file. Throws `AccessDeniedError`
   * for an identity file that group or others can read or write, or one
   * that the passphrase does not open; `InvalidParametersError` for a
   * malformed key file; `NotFoundError` when the directory does not exist.
   */
  load(options?: AbortOptions): Promise<void>
  /** Creates the first key pair of `role`; `InvalidParametersError` if it has one. */
  generateRoleKey(role: string, options?: AbortOptions): Promise<RoleKeyInfo>
  /** Adds a new key pair to `role`, keeping the old identities for reading. */
  rotateRoleKey(role: string, options?: AbortOptions): Promise<RoleKeyInfo>
  /** Stores an existing identity as the newest generation of `role`. */
  importIdentity(role: string, identity: string, options?: AbortOptions): Promise<RoleKeyInfo>
  /**
   * Records the public recipient of a role this store holds no identity for.
   * `InvalidParametersError` for a malformed recipient or a held role.
   */
  setRecipient(role: string, recipient: string, options?: AbortOptions): Promise<void>
  /** The newest recipient of every role known to the store. */
  exportRecipients(): Record<string, string>
  /**
   * Stores every identity of `identities` (oldest first) that the store does
   * not hold yet for `role`, each as a new generation; identities already
   * held are skipped, so importing the same grant twice adds nothing.
   * Resolves what was added.
   */
  importIdentities(role: string, identities: string[], options?: AbortOptions): Promise<RoleKeyInfo[]>
  /**
   * Records the recipients a role directory publishes (role → `age1…`),
   * replacing the previous set: roles missing from `recipients` are no
   * longer published. A published recipient is a role's current recipient
   * ({@link KeySource.getRecipient}) even when the store holds identities of
   * the role, so new content goes to the key the directory names.
   */
  setPublishedRecipients(recipients: Record<string, string>, options?: AbortOptions): Promise<void>
  /** The recipient the directory publishes for `role`, if any. */
  getPublishedRecipient(role: string): string | undefined
}

const IDENTITIES = 'identities'
const RECIPIENTS = 'recipients'
const PUBLISHED = 'published'
const GEN_FILE = /^(\d{6})\.(key|age)$/
const GROUP_OTHER_RW = 0o066

interface HeldIdentity {
  generation: number
  identity: string
  recipient: string
}

async function writeAtomic (path: string, data: Uint8Array | string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    // The umask may have narrowed the mode; make it exact.
    await chmod(tmp, mode)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

async function readDirIfExists (path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch (err: any) {
    if (err.code === 'ENOENT') return []
    throw err
  }
}

/** Extracts the single key line of an age identity or recipients file. */
function keyLines (text: string): string[] {
  return text.split(/\r?\n/).map(l => l.trim()).filter(l => l.length > 0 && !l.startsWith('#'))
}

class DefaultKeyStore implements KeyStore {
  private readonly log: Logger
  private readonly clock: Clock
  private readonly directory: string
  private readonly passphrase?: string
  private readonly scryptWorkFactor: number
  private readonly timeout: number
  private held = new Map<string, HeldIdentity[]>()
  private recipients = new Map<string, string>()
  private published = new Map<string, string>()
  private warned = false
  /** Writes run one at a time so two rotations cannot pick the same generation. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor (components: KeyStoreComponents, init: KeyStoreInit) {
    if (typeof init?.directory !== 'string' || init.directory.length === 0) {
      throw new InvalidParametersError('init.directory must be a non-empty path')
    }
    if (init.passphrase !== undefined && (typeof init.passphrase !== 'string' || init.passphrase.length === 0)) {
      throw new InvalidParametersError('init.passphrase must be a non-empty string when given')
    }
    const wf = init.scryptWorkFactor ?? DEFAULT_SCRYPT_WORK_FACTOR
    if (!Number.isInteger(wf) || wf < 1 || wf > MAX_SCRYPT_WORK_FACTOR) {
      throw new InvalidParametersError(`init.scryptWorkFactor must be an integer from 1 to ${MAX_SCRYPT_WORK_FACTOR}`)
    }
    this.log = (components.logger ?? defaultLogger()).forComponent(`${init.logPrefix ?? DEFAULT_LOG_PREFIX}:key-store`)
    this.clock = components.clock ?? Date
    this.directory = init.directory
    this.passphrase = init.passphrase
    this.scryptWorkFactor = wf
    this.timeout = init.timeout ?? DEFAULT_KEY_STORE_TIMEOUT
  }

  async init (options?: AbortOptions): Promise<void> {
    await mkdir(join(this.directory, IDENTITIES), { recursive: true, mode: 0o700 })
    await mkdir(join(this.directory, RECIPIENTS), { recursive: true, mode: 0o700 })
    await this.load(options)
  }

  async load (options?: AbortOptions): Promise<void> {
    const check = deadline(options, this.timeout, 'key store load')
    try {
      await stat(this.directory)
    } catch (err: any) {
      if (err.code === 'ENOENT') throw new NotFoundError(`key store directory ${this.directory} does not exist`, { cause: err })
      throw err
    }
    const held = new Map<string, HeldIdentity[]>()
    const recipients = new Map<string, string>()
    for (const role of await readDirIfExists(join(this.directory, IDENTITIES))) {
      validateRoleName(role, `identity directory ${join(this.directory, IDENTITIES, role)}: role name`)
      const ids: HeldIdentity[] = []
      for (const file of await readDirIfExists(join(this.directory, IDENTITIES, role))) {
        const m = GEN_FILE.exec(file)
        if (m === null) continue
        check()
        const identity = await this.readIdentityFile(join(this.directory, IDENTITIES, role, file), m[2] === 'age', options)
        ids.push({ generation: Number(m[1]), identity, recipient: await recipientOf(identity, `identity file ${file} of role ${role}`) })
      }
      if (ids.length > 0) held.set(role, ids.sort((a, b) => b.generation - a.generation))
    }
    const readRecipients = async (sub: string, into: Map<string, string>): Promise<void> => {
      for (const file of await readDirIfExists(join(this.directory, sub))) {
        if (!file.endsWith('.txt')) continue
        const role = file.slice(0, -4)
        validateRoleName(role, `recipients file ${file}: role name`)
        const path = join(this.directory, sub, file)
        const lines = keyLines(await readFile(path, { encoding: 'utf8', signal: options?.signal }))
        const recipient = lines.at(-1)
        const problem = recipientProblem(recipient)
        if (recipient === undefined || problem !== undefined) {
          throw new InvalidParametersError(`recipients file ${path}: ${recipient === undefined ? 'no recipient line' : `recipient is ${problem}`}`)
        }
        into.set(role, recipient)
      }
    }
    const published = new Map<string, string>()
    await readRecipients(RECIPIENTS, recipients)
    await readRecipients(PUBLISHED, published)
    this.held = held
    this.recipients = recipients
    this.published = published
    this.log('loaded %d held roles and %d recipients from %s', held.size, recipients.size, this.directory)
  }

  private async readIdentityFile (path: string, encrypted: boolean, options?: AbortOptions): Promise<string> {
    const st = await stat(path)
    if (process.platform !== 'win32' && (st.mode & GROUP_OTHER_RW) !== 0) {
      throw new AccessDeniedError(`identity file ${path} has mode 0${(st.mode & 0o777).toString(8)}: group or others can access it; run chmod 600 on it`)
    }
    let text: string
    const data = await readFile(path, { signal: options?.signal })
    if (encrypted) {
      if (this.passphrase === undefined) {
        throw new AccessDeniedError(`identity file ${path} is passphrase-protected but no passphrase is configured`)
      }
      try {
        text = Buffer.from(await decryptWith(data, [new ScryptIdentity(this.passphrase, MAX_SCRYPT_WORK_FACTOR)], { ...options, timeout: this.timeout })).toString('utf8')
      } catch (err: any) {
        if (err.name === AccessDeniedError.name) throw new AccessDeniedError(`identity file ${path}: wrong passphrase`, { cause: err })
        throw new InvalidParametersError(`identity file ${path} is not a valid passphrase-protected age file: ${err.message}`, { cause: err })
      }
    } else {
      text = data.toString('utf8')
    }
    const lines = keyLines(text)
    if (lines.length !== 1) throw new InvalidParametersError(`identity file ${path} must hold exactly one key, found ${lines.length} key lines`)
    parseIdentity(lines[0], `identity file ${path}`)
    return lines[0]
  }

  listRoles (): string[] {
    return [...this.held.keys()].sort()
  }

  getRecipient (role: string): string | undefined {
    return this.published.get(role) ?? this.held.get(role)?.[0].recipient ?? this.recipients.get(role)
  }

  getPublishedRecipient (role: string): string | undefined {
    return this.published.get(role)
  }

  getIdentities (role: string): string[] {
    return (this.held.get(role) ?? []).map(h => h.identity)
  }

  exportRecipients (): Record<string, string> {
    const out: Record<string, string> = {}
    const roles = new Set([...this.recipients.keys(), ...this.held.keys(), ...this.published.keys()])
    for (const role of [...roles].sort()) out[role] = this.getRecipient(role)!
    return out
  }

  async generateRoleKey (role: string, options?: AbortOptions): Promise<RoleKeyInfo> {
    validateRoleName(role)
    return await this.serialize(async () => {
      if (this.held.has(role)) {
        throw new InvalidParametersError(`role ${role} already has a key; use rotateRoleKey to add a new one`)
      }
      return await this.writeGeneration(role, generateX25519KeyPair().privateKey, options)
    })
  }

  async rotateRoleKey (role: string, options?: AbortOptions): Promise<RoleKeyInfo> {
    validateRoleName(role)
    return await this.addGeneration(role, generateX25519KeyPair().privateKey, options)
  }

  async importIdentity (role: string, identity: string, options?: AbortOptions): Promise<RoleKeyInfo> {
    validateRoleName(role)
    parseIdentity(identity, `identity for role ${role}`)
    return await this.addGeneration(role, identity, options)
  }

  async importIdentities (role: string, identities: string[], options?: AbortOptions): Promise<RoleKeyInfo[]> {
    validateRoleName(role)
    if (!Array.isArray(identities)) throw new InvalidParametersError('identities must be a list of age identities')
    identities.forEach((id, i) => { parseIdentity(id, `identity ${i} for role ${role}`) })
    return await this.serialize(async () => {
      const added: RoleKeyInfo[] = []
      for (const identity of identities) {
        if ((this.held.get(role) ?? []).some(h => h.identity === identity)) continue
        added.push(await this.writeGeneration(role, identity, options))
      }
      return added
    })
  }

  async setPublishedRecipients (recipients: Record<string, string>, options?: AbortOptions): Promise<void> {
    if (recipients == null || typeof recipients !== 'object') throw new InvalidParametersError('recipients must map role names to age recipients')
    deadline(options, this.timeout, 'key store write')
    for (const [role, recipient] of Object.entries(recipients)) {
      validateRoleName(role)
      parseRecipient(recipient, `published recipient for role ${role}`)
    }
    await this.serialize(async () => {
      const dir = join(this.directory, PUBLISHED)
      await mkdir(dir, { recursive: true, mode: 0o700 })
      for (const [role, recipient] of Object.entries(recipients)) {
        if (this.published.get(role) === recipient) continue
        await writeAtomic(join(dir, `${role}.txt`), `# role: ${role} (published by the role directory)\n${recipient}\n`, 0o644)
      }
      for (const role of this.published.keys()) {
        if (!(role in recipients)) await rm(join(dir, `${role}.txt`), { force: true })
      }
      this.published = new Map(Object.entries(recipients))
    })
  }

  private async serialize<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn)
    this.writes = run.catch(() => {})
    return await run
  }

  private async addGeneration (role: string, identity: string, options?: AbortOptions): Promise<RoleKeyInfo> {
    return await this.serialize(async () => await this.writeGeneration(role, identity, options))
  }

  private async writeGeneration (role: string, identity: string, options?: AbortOptions): Promise<RoleKeyInfo> {
    const check = deadline(options, this.timeout, 'key store write')
    const recipient = await recipientOf(identity)
    const existing = this.held.get(role) ?? []
    const generation = (existing[0]?.generation ?? 0) + 1
    const dir = join(this.directory, IDENTITIES, role)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const text = `# created: ${new Date(this.clock.now()).toISOString()}\n# role: ${role}\n# generation: ${generation}\n# public key: ${recipient}\n${identity}\n`
    const base = String(generation).padStart(6, '0')
    let path: string
    if (this.passphrase !== undefined) {
      path = join(dir, `${base}.age`)
      const file = await encryptTo(Buffer.from(text), [new ScryptRecipient(this.passphrase, this.scryptWorkFactor)], { ...options, timeout: this.timeout })
      check()
      await writeAtomic(path, file, 0o600)
    } else {
      path = join(dir, `${base}.key`)
      if (!this.warned) {
        logWarning(this.log, 'no passphrase configured: identity files in %s are stored unencrypted (mode 0600)', this.directory)
        this.warned = true
      }
      await writeAtomic(path, text, 0o600)
    }
    await this.writeRecipient(role, recipient)
    this.held.set(role, [{ generation, identity, recipient }, ...existing])
    this.log('role %s: generation %d, recipient %s', role, generation, recipient)
    return { role, recipient, generation, path }
  }

  async setRecipient (role: string, recipient: string, options?: AbortOptions): Promise<void> {
    validateRoleName(role)
    deadline(options, this.timeout, 'key store write')
    parseRecipient(recipient, `recipient for role ${role}`)
    if (this.held.has(role)) {
      const own = this.held.get(role)![0].recipient
      if (own === recipient) return
      throw new InvalidParametersError(`role ${role} is held by this store; its recipient comes from its newest identity (use rotateRoleKey or importIdentity)`)
    }
    await this.serialize(async () => {
      await this.writeRecipient(role, recipient)
      this.recipients.set(role, recipient)
    })
  }

  private async writeRecipient (role: string, recipient: string): Promise<void> {
    await mkdir(join(this.directory, RECIPIENTS), { recursive: true, mode: 0o700 })
    await writeAtomic(join(this.directory, RECIPIENTS, `${role}.txt`), `# role: ${role}\n${recipient}\n`, 0o644)
  }
}

/**
 * A key store in `init.directory`. Call `init()` before use.
 *
 * @example
 * ```ts
 * const keys = createKeyStore({}, { directory: './keys', passphrase: process.env.CHORUS_KEY_PASSPHRASE })
 * await keys.init()
 * if (keys.getRecipient('backend_developer') === undefined) await keys.generateRoleKey('backend_developer')
 * ```
 */
export function createKeyStore (components: KeyStoreComponents, init: KeyStoreInit): KeyStore {
  return new DefaultKeyStore(components ?? {}, init)
}
