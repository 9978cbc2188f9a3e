import { AccessDeniedError, InvalidParametersError, MissingRecipientError } from '@chorus-dht/types'
import type { AbortOptions, AgeKeyKind, AgeKeyPair, ComponentLogger, CryptoProvider, Logger, RoleRegistry } from '@chorus-dht/types'
import { defaultLogger } from '@libp2p/logger'
import { DEFAULT_LOG_PREFIX, DEFAULT_OPERATION_TIMEOUT, DEFAULT_REQUIRE_ALL_RECIPIENTS } from './constants.js'
import { decryptWith, encryptTo } from './engine.js'
import { identityProblem, parseIdentity, parseRecipient, recipientProblem } from './age/keys.js'
import type { Identity, Recipient } from './age/format.js'
import { generateX25519KeyPair, X25519Identity } from './age/x25519.js'
import { staticKeySource } from './key-source.js'
import type { KeySource, StaticKeys } from './key-source.js'

/** Components of {@link createAgeCrypto}. */
export interface AgeCryptoComponents {
  /** The role table. */
  roles: RoleRegistry
  /** A key store, or plain `{ recipients, identities }` maps. */
  keys: KeySource | StaticKeys
  /** @default defaultLogger() from `@libp2p/logger` */
  logger?: ComponentLogger
}

/** Init of {@link createAgeCrypto}. */
export interface AgeCryptoInit {
  /**
   * The prefix of the provider's log component name.
   * @default 'chorus-dht:crypto-age'
   */
  logPrefix?: string
  /**
   * When a role that may read new content has no known recipient:
   * `true` fails the encryption with `InvalidParametersError`, `false` skips
   * that role and logs it. The creator's own role is always required.
   *
   * @default false
   */
  requireAllRecipients?: boolean
  /**
   * Deadline of one call without a signal, in milliseconds.
   *
   * @default DEFAULT_OPERATION_TIMEOUT (60000)
   */
  timeout?: number
}

/** The crypto contract plus re-encryption to current keys. */
export interface AgeCrypto extends CryptoProvider {
  /**
   * Decrypts with any held identity and encrypts again to the newest
   * recipient of each of `roles`, e.g. after a rotation.
   */
  reencrypt(ciphertext: Uint8Array, roles: string[], options?: AbortOptions): Promise<Uint8Array>
}

function isKeySource (k: KeySource | StaticKeys): k is KeySource {
  return typeof (k as KeySource).getRecipient === 'function'
}

class DefaultAgeCrypto implements AgeCrypto {
  private readonly roles: RoleRegistry
  private readonly keys: KeySource
  private readonly log: Logger
  private readonly requireAll: boolean
  private readonly timeout: number

  constructor (components: AgeCryptoComponents, init: AgeCryptoInit) {
    if (components?.roles === undefined) throw new InvalidParametersError('components.roles is required')
    if (components.keys === undefined) throw new InvalidParametersError('components.keys is required')
    this.roles = components.roles
    this.keys = isKeySource(components.keys) ? components.keys : staticKeySource(components.keys)
    this.log = (components.logger ?? defaultLogger()).forComponent(init.logPrefix ?? DEFAULT_LOG_PREFIX)
    this.requireAll = init.requireAllRecipients ?? DEFAULT_REQUIRE_ALL_RECIPIENTS
    this.timeout = init.timeout ?? DEFAULT_OPERATION_TIMEOUT
  }

  private knownRole (role: string): void {
    if (typeof role !== 'string' || !this.roles.has(role)) {
      throw new InvalidParametersError(`unknown role ${JSON.stringify(role)}`)
    }
  }

  /** The newest recipient of a known role, or undefined. */
  private recipientString (role: string): string | undefined {
    const r = this.keys.getRecipient(role)
    if (r !== undefined) return r
    // A held X25519 identity implies its recipient.
    const newest = this.keys.getIdentities(role)[0]
    if (newest === undefined) return undefined
    const id = parseIdentity(newest, `identity of role ${role}`)
    return id instanceof X25519Identity ? id.recipient : undefined
  }

  private recipientOf (role: string): Recipient {
    const r = this.recipientString(role)
    if (r === undefined) throw new MissingRecipientError(`no recipient is known for role ${role}`, { role })
    return parseRecipient(r, `recipient of role ${role}`)
  }

  private identitiesOf (role: string): Identity[] {
    return this.keys.getIdentities(role).map((s, i) => parseIdentity(s, `identity ${i} of role ${role}`))
  }

  private opts (options?: AbortOptions): { signal?: AbortSignal, timeout: number } {
    return { signal: options?.signal, timeout: this.timeout }
  }

  async encryptForRole (content: Uint8Array, role: string, options?: AbortOptions): Promise<Uint8Array> {
    this.knownRole(role)
    return await encryptTo(content, [this.recipientOf(role)], this.opts(options))
  }

  async encryptForMultipleRoles (content: Uint8Array, roles: string[], options?: AbortOptions): Promise<Uint8Array> {
    if (!Array.isArray(roles) || roles.length === 0) throw new InvalidParametersError('roles must be a non-empty list')
    const unique = [...new Set(roles)]
    unique.forEach(r => { this.knownRole(r) })
    return await encryptTo(content, unique.map(r => this.recipientOf(r)), this.opts(options))
  }

  async encryptUCXLContent (content: Uint8Array, creatorRole: string, options?: AbortOptions): Promise<Uint8Array> {
    this.knownRole(creatorRole)
    const recipients: Recipient[] = [this.recipientOf(creatorRole)]
    for (const role of this.roles.recipientsFor(creatorRole)) {
      if (role === creatorRole) continue
      if (this.recipientString(role) === undefined && !this.requireAll) {
        this.log('role %s may read content of %s but has no recipient; skipped', role, creatorRole)
        continue
      }
      recipients.push(this.recipientOf(role))
    }
    return await encryptTo(content, recipients, this.opts(options))
  }

  async decryptWithRole (ciphertext: Uint8Array, role: string, options?: AbortOptions): Promise<Uint8Array> {
    this.knownRole(role)
    const ids = this.identitiesOf(role)
    if (ids.length === 0) throw new AccessDeniedError(`no identity is held for role ${role}`)
    return await decryptWith(ciphertext, ids, this.opts(options))
  }

  async decryptWithPrivateKey (ciphertext: Uint8Array, privateKey: string, options?: AbortOptions): Promise<Uint8Array> {
    return await decryptWith(ciphertext, [parseIdentity(privateKey, 'privateKey')], this.opts(options))
  }

  async decrypt (ciphertext: Uint8Array, options?: AbortOptions): Promise<Uint8Array> {
    const ids = this.keys.listRoles().flatMap(r => this.identitiesOf(r))
    if (ids.length === 0) throw new AccessDeniedError('no identity is held for any role')
    return await decryptWith(ciphertext, ids, this.opts(options))
  }

  async reencrypt (ciphertext: Uint8Array, roles: string[], options?: AbortOptions): Promise<Uint8Array> {
    const plaintext = await this.decrypt(ciphertext, options)
    return await this.encryptForMultipleRoles(plaintext, roles, options)
  }

  hasRecipient (role: string): boolean {
    return typeof role === 'string' && this.roles.has(role) && this.recipientString(role) !== undefined
  }

  canDecryptContent (role: string): boolean {
    return this.keys.getIdentities(role).length > 0
  }

  heldRoles (): string[] {
    return this.keys.listRoles()
  }

  async generateAgeKeyPair (): Promise<AgeKeyPair> {
    return generateX25519KeyPair()
  }

  validateAgeKey (key: string, kind: AgeKeyKind): void {
    if (kind === 'public') {
      const p = recipientProblem(key)
      if (p !== undefined) throw new InvalidParametersError(`public key ${typeof key === 'string' ? JSON.stringify(key.slice(0, 16) + (key.length > 16 ? '…' : '')) : typeof key} is ${p}`)
    } else if (kind === 'private') {
      const p = identityProblem(key)
      if (p !== undefined) throw new InvalidParametersError(`private key is ${p}`)
    } else {
      throw new InvalidParametersError(`kind must be "public" or "private", not ${JSON.stringify(kind)}`)
    }
  }
}

/**
 * An age {@link CryptoProvider} over a role table and a key source.
 */
export function createAgeCrypto (components: AgeCryptoComponents, init: AgeCryptoInit = {}): AgeCrypto {
  return new DefaultAgeCrypto(components, init)
}
