import { readFile } from 'node:fs/promises'
import { decodeAuthorityRecord, decryptGrantIdentities, directoryKey, grantKey } from '@chorus-dht/authority'
import { AUTHORITY_QUORUM } from './constants.js'
import { writeFileAtomic } from './data-dir.js'
import type { NodeIdentity } from './node-identity.js'
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
}

/** Outcome of one {@link AuthoritySync.refresh}. */
export interface RefreshResult {
  at: number
  /** The directory generation held after the refresh, 0 for none. */
  directoryGeneration: number
  /** Grants newly applied (imported or withdrawn), by role. */
  applied: string[]
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
}

/** Init of {@link AuthoritySync}. */
export interface AuthoritySyncInit {
  /** The configured authority id. */
  authority: string
  /** Interval of the periodic refresh, ms. */
  refreshInterval: number
  /** Where the state is persisted. */
  statePath: string
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
      if (err.code !== 'ENOENT') this.log.error('cannot read %s, starting afresh - %s', this.init.statePath, err.message)
    }
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
        this.log.error('cannot read the role directory - %s', err.message)
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
        this.log.error('cannot apply the grant of role %s - %s', role, err.message)
      }
    }))
    if (result.applied.length > 0 || result.directoryGeneration > 0) {
      await writeFileAtomic(this.init.statePath, `${JSON.stringify(this.state, null, 2)}\n`, 0o600).catch((err: any) => {
        result.errors.push(`state: ${err.message}`)
        this.log.error('cannot write %s - %s', this.init.statePath, err.message)
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
