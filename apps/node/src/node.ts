import { authorityRecordPolicy, createWriteAuthority, routeByPrefix } from '@chorus-dht/authority'
import { createAgeCrypto, createKeyStore, createRoleRegistry, loadRolesFile } from '@chorus-dht/crypto-age'
import { chorusRecordPolicy, createEncryptedStorage, fileAuditSink, signerFromPrivateKey } from '@chorus-dht/encrypted-storage'
import { replicationManager } from '@chorus-dht/replication'
import { NamespaceDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { apiRoutes } from './api.js'
import { AuthoritySync } from './authority-sync.js'
import { guardContentPolicy } from './content-policy.js'
import { loadOrCreateNodeIdentity } from './node-identity.js'
import type { NodeIdentity } from './node-identity.js'
import type { Readiness } from './api.js'
import { createDhtLayer } from './dht-layer.js'
import type { DhtLayer } from './dht-layer.js'
import { resolveBootstrap, readStructuredFile } from './config.js'
import type { NodeConfig } from './config.js'
import { dataDirLayout, ensureDataDir, loadOrCreatePeerKey, readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from './data-dir.js'
import type { DataDirLayout } from './data-dir.js'
import { ConfigError } from './errors.js'
import { ApiServer } from './http-server.js'
import { componentLogger } from './logger.js'
import { counter, gauge, processMetrics, renderPrometheus } from './metrics.js'
import type { MetricFamily } from './metrics.js'
import type { ChainedAuditSink, EncryptedStorage } from '@chorus-dht/encrypted-storage'
import type { KeyStore } from '@chorus-dht/crypto-age'
import type { ReplicationManager } from '@chorus-dht/replication'
import type { ComponentLogger, RoleDefinition, RoleRegistry, ServiceStatus } from '@chorus-dht/types'
import type { Logger as PinoLogger } from 'pino'

/** What `start()` reports. */
export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  api: string
  dataDir: string
  backend: string
}

/** What a SIGHUP reload changed. */
export interface ReloadResult {
  roles: number
  bootstrap: string[]
  bootstrapSource: string
  dialed: number
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}

/** Keys tracked by replication at once. */
const TRACK_CONCURRENCY = 2

/** A stage of shutdown, in order. */
type Stage = [name: string, stop: () => Promise<void>]

/**
 * The reference node: wires the data directory, the role keystore, age
 * crypto, the hybrid DHT (dht-core + MockDHT), encrypted storage,
 * replication and the HTTP API together.
 */
export class ChorusNode {
  readonly config: NodeConfig
  private readonly log: PinoLogger
  private readonly components: ComponentLogger
  private readonly layout: DataDirLayout
  private state: ServiceStatus = 'stopped'
  private startedAt = 0
  private registry: RoleRegistry = createRoleRegistry()
  private datastore?: LevelDatastore
  private keystore?: KeyStore
  private dht?: DhtLayer
  private storage?: EncryptedStorage
  private audit?: ChainedAuditSink
  private replication?: ReplicationManager
  private apiUrl = ''
  private peerId = ''
  private nodeIdentity?: NodeIdentity
  private authority?: AuthoritySync
  private readonly requestCounts = new Map<number, number>()
  /** Content records this node's validator refused, by reason (`onReject`). */
  private readonly rejectedRecords = new Map<string, number>()
  private wroteRuntimeInfo = false
  /** Keys waiting to be tracked by replication, with their size. */
  private readonly trackQueued = new Map<string, number>()
  private trackWorkers = 0

  constructor (config: NodeConfig, logger: PinoLogger) {
    this.config = config
    this.log = logger
    this.components = componentLogger(logger)
    this.layout = dataDirLayout(config.dataDir)
  }

  /** A role registry whose table can be swapped on reload. */
  private readonly roles: RoleRegistry = {
    get: r => this.registry.get(r),
    has: r => this.registry.has(r),
    list: () => this.registry.list(),
    recipientsFor: r => this.registry.recipientsFor(r),
    canDecrypt: (reader, creator) => this.registry.canDecrypt(reader, creator),
    canMakeDecisions: r => this.registry.canMakeDecisions(r),
    isAdminRole: r => this.registry.isAdminRole(r),
    canStore: r => this.registry.canStore(r)
  }

  private async loadRoles (): Promise<RoleRegistry> {
    let extra: RoleDefinition[] = []
    if (this.config.rolesFile != null) {
      try {
        extra = await loadRolesFile(this.config.rolesFile)
      } catch (err: any) {
        throw new ConfigError('rolesFile', `${this.config.rolesFile}: ${err.message}`, { cause: err })
      }
    }
    try {
      return createRoleRegistry({ roles: extra })
    } catch (err: any) {
      throw new ConfigError('rolesFile', err.message, { cause: err })
    }
  }

  /** Starts every part in dependency order; on failure, stops what was started. */
  async start (): Promise<NodeInfo> {
    if (this.state !== 'stopped') throw new Error(`node is ${this.state}`)
    this.state = 'starting'
    const stages: Stage[] = []
    try {
      await this.startParts(stages)
    } catch (err) {
      this.stages = stages
      this.state = 'started'
      await this.stop().catch(e => { this.log.error({ err: e }, 'cleanup after failed start') })
      throw err
    }
    this.stages = stages
    this.state = 'started'
    return this.info()
  }

  private stages: Stage[] = []

  private async startParts (stages: Stage[]): Promise<void> {
    const config = this.config
    // configuration first: a bad role touches no data
    this.registry = await this.loadRoles()
    for (const role of config.roles) {
      if (!this.registry.has(role)) throw new ConfigError(role === config.role ? 'role' : 'roles', `unknown role ${role}`)
    }
    await ensureDataDir(this.layout)

    const key = await loadOrCreatePeerKey(this.layout.peerKey)
    this.peerId = key.peerId
    if (key.created) this.log.info({ peerId: key.peerId }, 'created a new peer key at %s', this.layout.peerKey)

    const nodeIdentity = await loadOrCreateNodeIdentity(this.layout.nodeKey, config.keyPassphrase, this.components)
    this.nodeIdentity = nodeIdentity
    if (nodeIdentity.created) this.log.info({ recipient: nodeIdentity.recipient }, 'created the node\'s own age key at %s', this.layout.nodeKey)

    const keystore = createKeyStore({ logger: this.components }, { directory: config.keysDir, passphrase: config.keyPassphrase })
    await keystore.init()
    const authorityId = config.authority.id
    if (authorityId == null) {
      this.log.warn('the network has no authority (set authority, CHORUS_AUTHORITY or --authority): content is encrypted only for the reader roles whose recipients this node knows')
      for (const role of config.roles) {
        if (keystore.getIdentities(role).length === 0) {
          const info = await keystore.generateRoleKey(role)
          this.log.info({ role, recipient: info.recipient }, 'generated a key for role %s', role)
        }
      }
    } else {
      // under an authority, role keys come from its directory and grants only
      this.log.info({ authority: authorityId, recipient: nodeIdentity.recipient }, 'authority %s: role recipients come from its directory, role identities from its grants to this node', authorityId)
    }
    this.keystore = keystore

    const running = await readRuntimeInfo(this.layout)
    if (running != null && running.pid !== process.pid && isAlive(running.pid)) {
      throw new Error(`a node (pid ${running.pid}, API ${running.api}) is already running on the data directory ${this.layout.root}`)
    }
    const datastore = new LevelDatastore(this.layout.datastore)
    try {
      await datastore.open()
    } catch (err: any) {
      const causes: string[] = []
      for (let e = err; e != null && causes.length < 6; e = e.cause) causes.push(`${e.code ?? ''} ${e.message ?? ''}`)
      throw new Error(`cannot open the datastore ${this.layout.datastore} (is another node running on this data directory?): ${causes.join(' <- ')}`, { cause: err })
    }
    this.datastore = datastore
    stages.push(['datastore', async () => { await datastore.close() }])

    // strict under an authority: every reader role must have its published recipient
    const crypto = createAgeCrypto({ roles: this.roles, keys: keystore, logger: this.components }, { requireAllRecipients: authorityId != null })
    // under an authority, one write authority for the DHT's validator (every
    // record this node holds or reads must carry a valid certificate) and for
    // the storage (the certificate this node puts into its own records)
    const writeAuthority = authorityId != null
      ? createWriteAuthority(key.peerId, { authority: authorityId, canStore: role => this.roles.canStore(role) })
      : undefined
    const rejected = (reason: string): void => { this.rejectedRecords.set(reason, (this.rejectedRecords.get(reason) ?? 0) + 1) }
    const contentPolicy = guardContentPolicy(chorusRecordPolicy({
      maxRecordSize: config.storage.maxRecordSize,
      ...(writeAuthority != null ? { writeAuthority } : {}),
      onReject: rejected
    }), rejected)
    // the DHT chooses a validator by namespace only; both kinds of records live under /CHORUS/
    const policy = authorityId != null
      ? routeByPrefix({ '/CHORUS/authority/': authorityRecordPolicy({ authority: authorityId }), '/CHORUS/ucxl/': contentPolicy })
      : contentPolicy

    const dht = await createDhtLayer({
      config,
      privateKey: key.privateKey,
      peerId: key.peerId,
      datastore: new NamespaceDatastore(datastore, new Key('/libp2p')),
      journal: new NamespaceDatastore(datastore, new Key('/hybrid')),
      policy: policy as typeof contentPolicy,
      logger: this.components
    })
    this.dht = dht
    stages.push(['dht', async () => { await dht.stop() }])
    await dht.start()

    if (authorityId != null) {
      const authority = new AuthoritySync({
        dht: dht.dht,
        keystore,
        roles: () => this.roles,
        identity: nodeIdentity,
        peerId: key.peerId,
        logger: this.components,
        writeAuthority
      }, {
        authority: authorityId,
        refreshInterval: config.authority.refreshInterval,
        statePath: this.layout.authorityState,
        ...(config.certificateFile != null ? { certificateFile: config.certificateFile } : {})
      })
      this.authority = authority
      stages.push(['authority', async () => { await authority.stop() }])
      await authority.start()
    }

    const audit = fileAuditSink(this.layout.audit)
    this.audit = audit
    stages.push(['audit', async () => { await audit.close() }])

    const storage = createEncryptedStorage({
      dht: dht.dht,
      crypto,
      roles: this.roles,
      signer: signerFromPrivateKey(key.privateKey),
      datastore: new NamespaceDatastore(datastore, new Key('/storage')),
      logger: this.components,
      audit,
      ...(writeAuthority != null ? { writeAuthority } : {})
    }, {
      maxRecordSize: config.storage.maxRecordSize,
      replicationFactor: config.replication.factor
    })
    this.storage = storage
    // every acknowledged version (a store, a pending store finished after a
    // restart, a re-publication) is tracked by replication with its head
    storage.addEventListener('published', evt => {
      for (const r of evt.detail.records) this.track(r.key, r.size)
    })
    stages.push(['storage', async () => { await storage.stop() }])
    await storage.start()

    if (config.replication.enabled) {
      const replication = replicationManager({ replicationFactor: config.replication.factor })({ dht: dht.dht, logger: this.components })
      this.replication = replication
      stages.push(['replication', async () => { await replication.stop() }])
      await replication.start()
      void this.trackExistingContent()
    }

    const server = new ApiServer({
      routes: apiRoutes({
        storage,
        roles: () => this.roles,
        defaultRole: config.role,
        heldRoles: () => keystore.listRoles().filter(r => keystore.getIdentities(r).length > 0),
        status: async () => await this.status(),
        peers: () => dht.dht.getConnectedPeers(),
        health: async () => await this.health(),
        ready: async () => await this.ready(),
        // without an authority no directory publishes role recipients: content is
        // encrypted for the reader roles whose recipients this node knows (README);
        // under one, for every reader role (a missing recipient is a 503)
        // under an authority a store needs this node's certificate for the role
        canWrite: writeAuthority != null ? role => writeAuthority.certificateFor(role) != null : undefined,
        defaultReaders: creator => authorityId != null ? undefined : this.roles.recipientsFor(creator).filter(r => crypto.hasRecipient(r)),
        authority: this.authority != null
          ? {
              id: authorityId!,
              dht: dht.dht,
              status: () => this.authority!.status(),
              refresh: async () => { await this.authority!.refresh() }
            }
          : undefined,
        metrics: async () => await this.metrics(),
      }),
      logger: this.log,
      token: config.api.token,
      maxBodyBytes: config.api.maxBodyBytes,
      requestTimeout: config.api.requestTimeout,
      onResponse: status => { this.requestCounts.set(status, (this.requestCounts.get(status) ?? 0) + 1) }
    })
    stages.push(['http', async () => { await server.stop(Math.max(1_000, Math.floor(config.shutdownTimeout / 3))) }])
    const bound = await server.start(config.api.host, config.api.port)
    const host = bound.host.includes(':') ? `[${bound.host}]` : bound.host
    this.apiUrl = `http://${host}:${bound.port}`
    this.startedAt = Date.now()

    this.wroteRuntimeInfo = true
    await writeRuntimeInfo(this.layout, {
      pid: process.pid,
      peerId: this.peerId,
      multiaddrs: dht.multiaddrs(),
      api: this.apiUrl,
      startedAt: new Date(this.startedAt).toISOString()
    })
  }

  /**
   * Registers a record this node wrote with the replication manager.
   * Tracking announces the key and measures its replicas over the network,
   * so it runs from a queue, a few keys at a time, behind the requests.
   */
  private track (key: string, size: number): void {
    if (this.replication == null) return
    if (!this.trackQueued.has(key)) this.trackQueued.set(key, size)
    while (this.trackWorkers < TRACK_CONCURRENCY && this.trackQueued.size > 0) {
      this.trackWorkers++
      void this.drainTracking().finally(() => { this.trackWorkers-- })
    }
  }

  private async drainTracking (): Promise<void> {
    while (this.state === 'started' || this.state === 'starting') {
      const next = this.trackQueued.entries().next()
      if (next.done === true) return
      const [key, size] = next.value
      this.trackQueued.delete(key)
      try {
        await this.replication?.addContent(key, size, 1)
      } catch (err: any) {
        // bookkeeping must not fail the store that already succeeded
        if (this.state === 'started') this.log.warn({ err: err.message, key }, 'replication tracking failed')
      }
    }
  }

  /** After a restart, tracks every version this node acknowledged (the storage's ledger) again. */
  private async trackExistingContent (): Promise<void> {
    try {
      for await (const r of this.storage!.ownRecords()) this.track(r.key, r.size)
    } catch (err: any) {
      this.log.warn({ err: err.message }, 'could not re-track stored content')
    }
  }

  /** Peer id, addresses, API URL. */
  info (): NodeInfo {
    return {
      peerId: this.peerId,
      multiaddrs: this.dht?.multiaddrs() ?? [],
      api: this.apiUrl,
      dataDir: this.layout.root,
      backend: this.dht?.activeBackend() ?? 'none'
    }
  }

  /**
   * Stops in dependency order, each stage bounded: HTTP stops accepting,
   * replication, storage flush, audit, DHT, datastore.
   */
  async stop (): Promise<void> {
    if (this.state !== 'started') return
    this.state = 'stopping'
    this.trackQueued.clear()
    const order = ['http', 'authority', 'replication', 'storage', 'audit', 'dht', 'datastore']
    const stages = [...this.stages].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
    for (const [name, stop] of stages) {
      const t0 = Date.now()
      try {
        await stop()
        this.log.debug({ stage: name, ms: Date.now() - t0 }, 'stopped %s', name)
      } catch (err: any) {
        this.log.error({ err, stage: name }, 'error while stopping %s', name)
      }
    }
    this.stages = []
    if (this.wroteRuntimeInfo) await removeRuntimeInfo(this.layout).catch(() => {})
    this.wroteRuntimeInfo = false
    this.state = 'stopped'
  }

  /** SIGHUP: reloads the roles file and the bootstrap list, dialing new bootstrap peers. */
  async reload (): Promise<ReloadResult> {
    const registry = await this.loadRoles()
    this.registry = registry
    await this.keystore?.load()
    // re-read the directory and this node's grants now
    if (this.authority != null) void this.authority.refresh()

    let fileBootstrap: string[] | undefined
    if (this.config.configFile != null) {
      const raw = await readStructuredFile(this.config.configFile, 'config')
      const p2p = raw.p2p as Record<string, unknown> | undefined
      fileBootstrap = Array.isArray(p2p?.bootstrap) ? p2p.bootstrap.map(String) : undefined
    }
    const envList = process.env.CHORUS_DHT_BOOTSTRAP_NODES
    const resolved = await resolveBootstrap({
      flags: this.config.p2p.bootstrapFlags,
      assignmentFile: this.config.assignmentFile,
      config: fileBootstrap,
      env: envList != null && envList !== '' ? envList.split(/[,\s]+/).filter(Boolean) : undefined
    })
    this.config.p2p.bootstrap = resolved.bootstrap
    this.config.p2p.bootstrapSource = resolved.source
    const dialed = await (this.dht?.addBootstrapPeers(resolved.bootstrap) ?? Promise.resolve(0))
    return { roles: registry.list().length, bootstrap: resolved.bootstrap, bootstrapSource: resolved.source, dialed }
  }

  /** The live probe: the node is started, the datastore answers and some DHT backend works. */
  async health (): Promise<{ healthy: boolean, checks: Record<string, unknown> }> {
    const checks: Record<string, unknown> = { state: this.state }
    let healthy = this.state === 'started'
    try {
      await this.datastore?.has(new Key('/health-probe'))
      checks.datastore = 'ok'
    } catch (err: any) {
      checks.datastore = `failed: ${err.message}`
      healthy = false
    }
    if (this.dht != null) {
      const d = await this.dht.health()
      checks.dht = d
      if (!d.healthy) healthy = false
    } else {
      healthy = false
    }
    return { healthy, checks }
  }

  /**
   * The readiness probe (`GET /ready`): the node is started, the live probe
   * passes, and the DHT replicates writes to the network now (see
   * `dhtReadiness`). Not ready is not dead: `/health` may still pass.
   */
  async ready (): Promise<Readiness> {
    const reasons: string[] = []
    if (this.state !== 'started') reasons.push(`the node is ${this.state}`)
    const health = await this.health()
    if (!health.healthy && this.state === 'started') reasons.push('the live probe fails (see checks.health)')
    const checks: Record<string, unknown> = { state: this.state, health: health.checks }
    if (this.dht != null) {
      const d = await this.dht.ready()
      reasons.push(...d.reasons)
      checks.dht = d.checks
    } else if (this.state === 'started') {
      reasons.push('the DHT is not running')
    }
    return { ready: reasons.length === 0, reasons, checks }
  }

  /** The `/status` document. */
  async status (): Promise<Record<string, unknown>> {
    const dht = this.dht
    return {
      peer_id: this.peerId,
      node_recipient: this.nodeIdentity?.recipient,
      agent: this.config.agent,
      state: this.state,
      api: this.apiUrl,
      data_dir: this.layout.root,
      uptime_ms: this.startedAt > 0 ? Date.now() - this.startedAt : 0,
      multiaddrs: dht?.multiaddrs() ?? [],
      roles: {
        default: this.config.role,
        held: this.keystore?.listRoles().filter(r => this.keystore!.getIdentities(r).length > 0) ?? [],
        defined: this.roles.list().map(r => r.name)
      },
      dht: dht != null ? await dht.status() : undefined,
      bootstrap: { source: this.config.p2p.bootstrapSource, peers: this.config.p2p.bootstrap },
      authority: this.config.authority.id != null
        ? { id: this.config.authority.id, directory_generation: this.authority?.directoryGeneration() ?? 0, ...this.authority?.writeStatus() }
        : null,
      storage: this.storage != null ? { ...this.storage.getMetrics(), rejectedRecords: Object.fromEntries([...this.rejectedRecords.entries()].sort()) } : undefined,
      replication: this.replication?.getMetrics(),
      // keep this head elsewhere to detect removed last lines of the audit log
      audit: await this.audit?.head().catch(() => undefined)
    }
  }

  /** Prometheus text: storage, replication, DHT, HTTP, process. */
  async metrics (): Promise<string> {
    const families: MetricFamily[] = []
    const s = this.storage?.getMetrics()
    if (s != null) {
      families.push(
        counter('chorus_storage_stored_items_total', 'Content versions stored by this node.', s.storedItems),
        counter('chorus_storage_retrieved_items_total', 'Content retrievals served.', s.retrievedItems),
        counter('chorus_storage_cache_hits_total', 'Retrievals answered from the cache.', s.cacheHits),
        counter('chorus_storage_cache_misses_total', 'Retrievals that missed the cache.', s.cacheMisses),
        counter('chorus_storage_encryption_ops_total', 'Encryptions.', s.encryptionOps),
        counter('chorus_storage_decryption_ops_total', 'Decryptions.', s.decryptionOps),
        counter('chorus_storage_errors_total', 'Failed stores and retrievals.', s.errors),
        gauge('chorus_storage_average_store_ms', 'Average store time, ms.', s.averageStoreTime),
        gauge('chorus_storage_average_retrieve_ms', 'Average retrieve time, ms.', s.averageRetrieveTime),
        gauge('chorus_storage_cache_entries', 'Entries in the content cache.', s.cacheEntries),
        gauge('chorus_storage_cache_bytes', 'Bytes in the content cache.', s.cacheBytes),
        {
          name: 'chorus_storage_rejected_records_total',
          help: 'Content records this node\'s validator refused (pushed to it or read from peers), by reason.',
          type: 'counter',
          samples: [...this.rejectedRecords.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1).map(([reason, n]) => ({ labels: { reason }, value: n }))
        }
      )
    }
    const r = this.replication?.getMetrics()
    if (r != null) {
      families.push(
        gauge('chorus_replication_keys', 'Keys tracked by the replication manager.', r.totalKeys),
        gauge('chorus_replication_providers', 'Providers known over all keys.', r.totalProviders),
        counter('chorus_replication_reprovide_operations_total', 'Reprovide operations.', r.reprovideOperations),
        counter('chorus_replication_successful_total', 'Successful replications.', r.successfulReplications),
        counter('chorus_replication_failed_total', 'Failed replications.', r.failedReplications),
        counter('chorus_replication_repairs_total', 'Repairs of under-replicated keys.', r.repairs),
        { name: 'chorus_replication_keys_by_health', help: 'Tracked keys by measured health.', type: 'gauge', samples: [
          { labels: { health: 'healthy' }, value: r.healthyKeys },
          { labels: { health: 'degraded' }, value: r.degradedKeys },
          { labels: { health: 'critical' }, value: r.criticalKeys }
        ] },
        gauge('chorus_replication_average_replicas', 'Average measured replicas per key.', r.averageReplication)
      )
    }
    if (this.dht != null) families.push(...await this.dht.metrics())
    families.push({
      name: 'chorus_http_responses_total',
      help: 'HTTP API responses by status code.',
      type: 'counter',
      samples: [...this.requestCounts.entries()].sort((a, b) => a[0] - b[0]).map(([code, n]) => ({ labels: { code: String(code) }, value: n }))
    })
    families.push(...processMetrics(this.startedAt > 0 ? this.startedAt : Date.now()))
    return renderPrometheus(families)
  }
}

