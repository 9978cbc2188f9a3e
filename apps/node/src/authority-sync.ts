import { readFile } from 'node:fs/promises'
import { certificateKey, decodeAuthorityRecord, decryptGrantIdentities, directoryKey, grantKey, revocationsKey } from '@chorus-dht/authority'
import { AUTHORITY_QUORUM } from './constants.js'
import { writeFileAtomic } from './data-dir.js'
import type { NodeIdentity } from './node-identity.js'
import type { FollowedWriteAuthority } from '@chorus-dht/authority'
import type { KeyStore } from '@chorus-dht/crypto-age'
import type { ComponentLogger, DHT, Logger, RoleRegistry } from '@chorus-dht/types'

/** Timeout of one DHT read of the directory or a grant, ms. */
const READ_TIMEOUT = 15_000

/** How long `start()` waits for the first refresh, ms. */
const START_WAIT = 10_000

/** What the node holds of its authority's records (persisted in `authority.json`). */
export interface AuthorityState {
  directory?: {
    generation: number
    issuedAt: number
    roles: Record<string, { recipient: string, generation: number }>
  }
  /** This node's grants, by role. */
  grants: Record<string, {
    sequence: number
    issuedAt: number
    /** The grant was withdrawn (`identities: null`): nothing more is imported. */
    withdrawn: boolean
    /** Identities of the role the grant carried. */
    identities: number
  }>
  /** This node's newest role certificate applied (the record, base64), from the DHT or the certificate file. */
  certificate?: {
    sequence: number
    issuedAt: number
    expiresAt: number
    roles: string[]
    value: string
  }
  /** The newest revocation list applied (the record, base64). */
  revocations?: {
    generation: number
    issuedAt: number
    revoked: Array<{ peer: string, at: number }>
    value: string
  }
}

/** Outcome of one {@link AuthoritySync.refresh}. */
export interface RefreshResult {
  at: number
  /** The directory generation held after the refresh, 0 for none. */
  directoryGeneration: number
  /** Grants newly applied (imported or withdrawn), by role. */
  applied: string[]
  /** The certificate sequence newly applied, if one was. */
  certificate?: number
  /** The revocation list generation newly applied, if one was. */
  revocations?: number
  /** Identities imported into the keystore. */
  imported: number
  /** What failed (each logged too). */
  errors: string[]
}

/** Components of {@link AuthoritySync}. */
export interface AuthoritySyncComponents {
  dht: DHT
  keystore: KeyStore
  /** The current role table: a grant is looked for under every role of it. */
  roles: () => RoleRegistry
  identity: NodeIdentity
  peerId: string
  logger: ComponentLogger
  /** The write authority the DHT's validator and the storage share: gets this node's certificate and the revocation list. */
  writeAuthority?: FollowedWriteAuthority
}

/** Init of {@link AuthoritySync}. */
export interface AuthoritySyncInit {
  /** The configured authority id. */
  authority: string
  /** Interval of the periodic refresh, ms. */
  refreshInterval: number
  /** Where the state is persisted. */
  statePath: string
  /** A file holding this node's certificate record (raw, or base64 text), read at every refresh. */
  certificateFile?: string
}

/**
 * Reads a certificate file: the record's bytes as `authority issue --out`
 * writes them (the envelope starts with byte 1), or the same bytes as base64
 * text.
 */
export async function readCertificateFile (path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(path))
  if (bytes[0] === 1) return bytes
  const text = Buffer.from(bytes).toString('utf8').trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error(`${path} holds neither a certificate record nor its base64`)
  return new Uint8Array(Buffer.from(text, 'base64'))
}

function isNotFound (err: any): boolean {
  return err?.name === 'NotFoundError'
}

/**
 * Keeps the node in step with its authority: reads the role directory and
 * publishes its recipients into the keystore (so content is encrypted for
 * every reader role), reads this node's grants, decrypts them with the
 * node's own age identity and imports the identities. Runs at start, on
 * demand (SIGHUP, a record posted to this node) and every `refreshInterval`.
 *
 * Only records newer than those already applied are applied, and the DHT's
 * authority policy refuses anything not signed by the configured authority,
 * so a replayed directory or grant changes nothing. A withdrawn grant stops
 * future imports; identities already imported stay (they cannot be un-known).
 *
 * With a write authority, it also follows this node's role certificate (from
 * the DHT and the optional certificate file) and the revocation list, and
 * hands both to the write authority; what was applied is persisted with the
 * rest, so after a restart without the network the node still writes, and a
 * revocation list once applied is never rolled back.
 */
export class AuthoritySync {
  private readonly components: AuthoritySyncComponents
  private readonly init: AuthoritySyncInit
  private readonly log: Logger
  private state: AuthorityState = { grants: {} }
  private timer?: NodeJS.Timeout
  private current: Promise<unknown> = Promise.resolve()
  private queued?: Promise<RefreshResult>
  private last?: RefreshResult
  private started = false
  private controller = new AbortController()

  constructor (components: AuthoritySyncComponents, init: AuthoritySyncInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('chorus-dht:node:authority')
  }

  get authority (): string {
    return this.init.authority
  }

  /** Loads the persisted state, runs a first refresh and starts the periodic one. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.controller = new AbortController()
    try {
      this.state = JSON.parse(await readFile(this.init.statePath, 'utf8'))
      this.state.grants ??= {}
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error('cannot read %s, starting afresh - %e', this.init.statePath, err)
    }
    await this.restoreWriteAuthority()
    this.timer = setInterval(() => { void this.refresh() }, this.init.refreshInterval)
    // the periodic refresh must not keep the process alive after stop
    this.timer.unref()
    // a slow network delays the start by a bounded time; the refresh goes on behind
    let bound: NodeJS.Timeout | undefined
    await Promise.race([this.refresh(), new Promise(resolve => { bound = setTimeout(resolve, START_WAIT) })])
    clearTimeout(bound)
  }

  private signal (): AbortSignal {
    return AbortSignal.any([this.controller.signal, AbortSignal.timeout(READ_TIMEOUT)])
  }

  async stop (): Promise<void> {
    this.started = false
    this.controller.abort()
    clearInterval(this.timer)
    this.timer = undefined
    await this.current
  }

  /**
   * Re-reads the directory and the grants. Calls made while a refresh runs
   * share one more run after it. Never rejects: failures are logged and
   * reported in the result.
   */
  async refresh (): Promise<RefreshResult> {
    if (this.queued != null) return await this.queued
    const run = this.current.then(async () => {
      this.queued = undefined
      return await this.refreshOnce()
    })
    this.queued = run
    this.current = run.catch(() => {})
    return await run
  }

  private async refreshOnce (): Promise<RefreshResult> {
    const result: RefreshResult = { at: Date.now(), directoryGeneration: 0, applied: [], imported: 0, errors: [] }
    if (!this.started) return result
    const { dht } = this.components
    try {
      const value = await dht.getValue(directoryKey(this.init.authority), { quorum: AUTHORITY_QUORUM, signal: this.signal() })
      const record = decodeAuthorityRecord(value)
      if (record.type === 'directory' && record.generation > (this.state.directory?.generation ?? 0)) {
        const recipients: Record<string, string> = {}
        for (const [role, entry] of Object.entries(record.roles)) recipients[role] = entry.recipient
        await this.components.keystore.setPublishedRecipients(recipients)
        this.state.directory = { generation: record.generation, issuedAt: record.issuedAt, roles: record.roles }
        this.log('role directory generation %d: %d roles', record.generation, Object.keys(recipients).length)
      }
    } catch (err: any) {
      if (!isNotFound(err)) {
        result.errors.push(`directory: ${err.message}`)
        this.log.error('cannot read the role directory - %e', err)
      } else {
        this.log('no role directory published yet')
      }
    }
    result.directoryGeneration = this.state.directory?.generation ?? 0

    await Promise.all(this.components.roles().list().map(async ({ name: role }) => {
      try {
        await this.applyGrant(role, result)
      } catch (err: any) {
        if (isNotFound(err)) return
        result.errors.push(`grant ${role}: ${err.message}`)
        this.log.error('cannot apply the grant of role %s - %e', role, err)
      }
    }))
    if (this.components.writeAuthority != null) {
      await Promise.all([this.followCertificate(result), this.followRevocations(result)])
    }
    if (result.applied.length > 0 || result.directoryGeneration > 0 || result.certificate != null || result.revocations != null) {
      await writeFileAtomic(this.init.statePath, `${JSON.stringify(this.state, null, 2)}\n`, 0o600).catch((err: any) => {
        result.errors.push(`state: ${err.message}`)
        this.log.error('cannot write %s - %e', this.init.statePath, err)
      })
    }
    this.last = result
    return result
  }

  private async applyGrant (role: string, result: RefreshResult): Promise<void> {
    const { dht, identity, keystore, peerId } = this.components
    const value = await dht.getValue(grantKey(this.init.authority, peerId, role), { quorum: AUTHORITY_QUORUM, signal: this.signal() })
    const record = decodeAuthorityRecord(value)
    if (record.type !== 'grant') return
    const held = this.state.grants[role]
    if (held != null && record.sequence <= held.sequence) return
    if (record.identities === null) {
      this.state.grants[role] = { sequence: record.sequence, issuedAt: record.issuedAt, withdrawn: true, identities: held?.identities ?? 0 }
      result.applied.push(role)
      this.log('grant of role %s withdrawn (sequence %d): no further identities are imported', role, record.sequence)
      return
    }
    if (record.to !== identity.recipient) {
      throw new Error(`the grant (sequence ${record.sequence}) is encrypted to ${record.to}, not to this node's recipient ${identity.recipient}`)
    }
    const identities = await decryptGrantIdentities(record.identities, identity.identity)
    const added = await keystore.importIdentities(role, identities)
    this.state.grants[role] = { sequence: record.sequence, issuedAt: record.issuedAt, withdrawn: false, identities: identities.length }
    result.applied.push(role)
    result.imported += added.length
    this.log('grant of role %s (sequence %d): %d identities, %d new', role, record.sequence, identities.length, added.length)
  }

  /** Hands the persisted certificate and revocation list to the write authority (before any network read). */
  private async restoreWriteAuthority (): Promise<void> {
    const wa = this.components.writeAuthority
    if (wa == null) return
    if (this.state.certificate != null) {
      await wa.addCertificate(new Uint8Array(Buffer.from(this.state.certificate.value, 'base64'))).catch((err: any) => {
        this.log.error('the persisted certificate is not valid, dropped - %e', err)
        this.state.certificate = undefined
      })
    }
    if (this.state.revocations != null) {
      await wa.setRevocations(new Uint8Array(Buffer.from(this.state.revocations.value, 'base64'))).catch((err: any) => {
        this.log.error('the persisted revocation list is not valid, dropped - %e', err)
        this.state.revocations = undefined
      })
    }
  }

  /** Applies a certificate record for this node when it is newer than the one held. */
  private async applyCertificate (value: Uint8Array, from: string, result: RefreshResult): Promise<void> {
    const wa = this.components.writeAuthority!
    const record = await wa.addCertificate(value)
    if (record.sequence <= (this.state.certificate?.sequence ?? 0)) return
    this.state.certificate = {
      sequence: record.sequence,
      issuedAt: record.issuedAt,
      expiresAt: record.expiresAt,
      roles: record.roles,
      value: Buffer.from(value).toString('base64')
    }
    result.certificate = record.sequence
    this.log('certificate sequence %d from %s: roles %s until %s', record.sequence, from, record.roles.join(', '), new Date(record.expiresAt).toISOString())
  }

  private async followCertificate (result: RefreshResult): Promise<void> {
    const { dht, peerId } = this.components
    if (this.init.certificateFile != null) {
      try {
        await this.applyCertificate(await readCertificateFile(this.init.certificateFile), this.init.certificateFile, result)
      } catch (err: any) {
        result.errors.push(`certificate file: ${err.message}`)
        this.log.error('cannot apply the certificate file %s - %e', this.init.certificateFile, err)
      }
    }
    try {
      const value = await dht.getValue(certificateKey(this.init.authority, peerId), { quorum: AUTHORITY_QUORUM, signal: this.signal() })
      await this.applyCertificate(value, 'the DHT', result)
    } catch (err: any) {
      if (isNotFound(err)) return
      result.errors.push(`certificate: ${err.message}`)
      this.log.error('cannot apply this node\'s certificate - %e', err)
    }
  }

  private async followRevocations (result: RefreshResult): Promise<void> {
    const wa = this.components.writeAuthority!
    try {
      const value = await this.components.dht.getValue(revocationsKey(this.init.authority), { quorum: AUTHORITY_QUORUM, signal: this.signal() })
      // an older or equal generation is ignored: a revocation is never rolled back
      if (!await wa.setRevocations(value)) return
      const record = wa.revocations()!
      this.state.revocations = {
        generation: record.generation,
        issuedAt: record.issuedAt,
        revoked: record.revoked,
        value: Buffer.from(value).toString('base64')
      }
      result.revocations = record.generation
      this.log('revocation list generation %d: %d peer(s) revoked', record.generation, record.revoked.length)
    } catch (err: any) {
      if (isNotFound(err)) return
      result.errors.push(`revocations: ${err.message}`)
      this.log.error('cannot apply the revocation list - %e', err)
    }
  }

  /** This node's certificate and the revocation list in force (`GET /authority`, `/status`). */
  writeStatus (): Record<string, unknown> | undefined {
    if (this.components.writeAuthority == null) return undefined
    const c = this.state.certificate
    const r = this.state.revocations
    const now = Date.now()
    return {
      certificate: c != null
        ? {
            sequence: c.sequence,
            roles: c.roles,
            issued_at: new Date(c.issuedAt).toISOString(),
            expires_at: new Date(c.expiresAt).toISOString(),
            expired: c.expiresAt <= now,
            revoked: r?.revoked.some(x => x.peer === this.components.peerId && x.at <= now) ?? false
          }
        : null,
      revocations: r != null
        ? { generation: r.generation, issued_at: new Date(r.issuedAt).toISOString(), revoked: r.revoked.map(x => ({ peer: x.peer, at: new Date(x.at).toISOString() })) }
        : { generation: 0, revoked: [] }
    }
  }

  /** What `GET /authority` shows. */
  status (): Record<string, unknown> {
    return {
      authority: this.init.authority,
      refresh_interval_ms: this.init.refreshInterval,
      directory: this.state.directory != null
        ? { generation: this.state.directory.generation, issued_at: this.state.directory.issuedAt, roles: this.state.directory.roles }
        : null,
      grants: Object.entries(this.state.grants).sort(([a], [b]) => a < b ? -1 : 1).map(([role, g]) => ({
        role,
        sequence: g.sequence,
        issued_at: g.issuedAt,
        withdrawn: g.withdrawn,
        identities: g.identities,
        held_identities: this.components.keystore.getIdentities(role).length
      })),
      ...this.writeStatus(),
      last_refresh: this.last != null
        ? { at: new Date(this.last.at).toISOString(), directory_generation: this.last.directoryGeneration, applied: this.last.applied, errors: this.last.errors }
        : null
    }
  }

  /** The directory generation held, 0 for none. */
  directoryGeneration (): number {
    return this.state.directory?.generation ?? 0
  }
}
