// Over 400 lines: this is the node's composition root. `startParts` wires
// every library in dependency order (datastore, keys, DHT, authority,
// storage, replication, HTTP), each step registering its own stop stage;
// splitting that sequence over files would hide the one order that matters.
// The parts with logic of their own live beside it: the API operations
// (operations.ts), replication tracking (tracking.ts), the DHT layer
// (dht-layer.ts), the authority sync (authority-sync.ts).
import { authorityRecordPolicy, createWriteAuthority, routeByPrefix } from '@chorus-dht/authority'
import { createAgeCrypto, createKeyStore, createRoleRegistry, loadRolesFile } from '@chorus-dht/crypto-age'
import { chorusRecordPolicy, createEncryptedStorage, fileAuditSink, guardContentPolicy, signerFromPrivateKey } from '@chorus-dht/encrypted-storage'
import { replicationManager } from '@chorus-dht/replication'
import { NamespaceDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { apiRoutes } from './api.js'
import { nodeOperations } from './operations.js'
import { ReplicationTracker } from './tracking.js'
import { AuthoritySync } from './authority-sync.js'
import { loadOrCreateNodeIdentity } from './node-identity.js'
import type { NodeIdentity } from './node-identity.js'
import type { Readiness } from './api.js'
import { createDhtLayer } from './dht-layer.js'
import { replicationInit, storageInit } from './library-inits.js'
import type { DhtLayer } from './dht-layer.js'
import { reloadBootstrap } from './config.js'
import type { NodeConfig } from './config.js'
import { dataDirLayout, ensureDataDir, loadOrCreatePeerKey, readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from './data-dir.js'
import type { DataDirLayout } from './data-dir.js'
import { ConfigError } from './errors.js'
import { ApiServer } from './http-server.js'
import type { Route } from './http-server.js'
import { componentLogger } from './logger.js'
import { NodeMetrics } from './metrics.js'
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
  /** The metrics-only listener's URL (`api.metricsListen`), when configured. */
  metrics?: string
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

/**
 * A stage of shutdown: each part pushes its own when it has started, so the
 * list holds the start order and `stop()` runs it backwards (no central
 * list of names to keep in step with `startParts`).
 */
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
  /** The node's Prometheus registry (prom-client). */
  private readonly nodeMetrics: NodeMetrics
  /** The unauthenticated metrics-only listener (`api.metricsListen`), when configured. */
  private metricsUrl = ''
  /** Content records this node's validator refused, by reason (`onReject`). */
  private readonly rejectedRecords = new Map<string, number>()
  private wroteRuntimeInfo = false
  /** Hands the records this node wrote to replication. */
  private tracker?: ReplicationTracker

  constructor (config: NodeConfig, logger: PinoLogger) {
    this.config = config
    this.log = logger
    this.components = componentLogger(logger)
    this.layout = dataDirLayout(config.dataDir)
    this.nodeMetrics = new NodeMetrics({
      storage: () => this.storage?.getMetrics(),
      rejectedRecords: () => this.rejectedRecords,
      replication: () => this.replication?.getMetrics(),
      dht: () => this.dht?.dht,
      real: () => this.dht?.realNode(),
      startedAt: () => this.startedAt
    })
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
      logger: this.components,
      ...(config.api.libp2pMetrics ? { metrics: this.nodeMetrics.libp2pMetrics() } : {})
    })
    this.dht = dht
    stages.push(['dht', async () => { await dht.stop() }])
    await dht.start()
    if (config.dht.useRealDHT && config.p2p.bootstrap.length > 0) void this.probeBootstrap(dht, config.p2p.bootstrap)

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
    }, storageInit(config))
    this.storage = storage
    // every acknowledged version (a store, a pending store finished after a
    // restart, a re-publication) is tracked by replication with its head
    storage.addEventListener('published', evt => {
      for (const r of evt.detail.records) this.tracker?.track(r.key, r.size)
    })
    stages.push(['storage', async () => { await storage.stop() }])
    await storage.start()

    if (config.replication.enabled) {
      const replication = replicationManager(replicationInit(config))({ dht: dht.dht, logger: this.components })
      this.replication = replication
      stages.push(['replication', async () => { await replication.stop() }])
      await replication.start()
      this.tracker = new ReplicationTracker({
        replication,
        log: this.log,
        running: () => this.state === 'started' || this.state === 'starting',
        concurrency: TRACK_CONCURRENCY
      })
      void this.tracker.trackAll(storage.ownRecords())
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
        metrics: async () => ({ contentType: this.nodeMetrics.contentType, text: await this.metrics() }),
        time: operation => this.nodeMetrics.timeStorage(operation),
        operations: nodeOperations({
          dht: () => this.dht,
          storage: () => this.storage,
          replication: () => this.replication,
          tracker: () => this.tracker,
          settings: { useRealDHT: config.dht.useRealDHT, fallbackOnError: config.dht.fallbackOnError }
        })
      }),
      logger: this.log,
      token: config.api.token,
      maxBodyBytes: config.api.maxBodyBytes,
      requestTimeout: config.api.requestTimeout,
      cors: config.api.cors,
      openapi: { title: 'chorus-dht node API', version: NODE_API_VERSION },
      onResponse: (status, route, method, seconds) => { this.nodeMetrics.observeHttp(status, route, method, seconds) }
    })
    const httpGrace = Math.max(1_000, Math.floor(config.shutdownTimeout / 3))
    stages.push(['http', async () => { await server.stop(httpGrace) }])
    const bound = await server.start(config.api.host, config.api.port)
    this.apiUrl = httpUrl(bound)
    const metricsListen = config.api.metricsListen
    if (metricsListen != null && metricsListen !== '') {
      // Prometheus exporters' way: /metrics without the token, on its own address
      const { host: mHost, port: mPort } = parseListen(metricsListen)
      const metricsServer = new ApiServer({
        routes: [this.metricsRoute()],
        logger: this.log,
        maxBodyBytes: 1024,
        requestTimeout: config.api.requestTimeout,
        openapi: { title: 'chorus-dht node metrics', version: NODE_API_VERSION }
      })
      stages.push(['metrics-http', async () => { await metricsServer.stop(httpGrace) }])
      this.metricsUrl = httpUrl(await metricsServer.start(mHost, mPort))
    }
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
   * Dials the bootstrap peers once right after start, so an unreachable one
   * is logged at warn at once (each by the DHT layer, then a summary), not
   * after the DHT's own bootstrap timeout; dht-core keeps retrying every
   * `p2p.bootstrapInterval`.
   */
  private async probeBootstrap (dht: DhtLayer, peers: string[]): Promise<void> {
    try {
      const answered = await dht.addBootstrapPeers(peers)
      if (answered === 0 && (this.state === 'starting' || this.state === 'started')) {
        this.log.warn({ bootstrap: peers }, 'none of the %d bootstrap peer(s) answered; the DHT retries every %d ms (p2p.bootstrapInterval)', peers.length, this.config.p2p.bootstrapInterval)
      }
    } catch (err: any) {
      if (this.state === 'starting' || this.state === 'started') this.log.warn({ err }, 'bootstrap probe failed')
    }
  }

  /** Peer id, addresses, API URL. */
  info (): NodeInfo {
    return {
      peerId: this.peerId,
      multiaddrs: this.dht?.multiaddrs() ?? [],
      api: this.apiUrl,
      dataDir: this.layout.root,
      backend: this.dht?.activeBackend() ?? 'none',
      ...(this.metricsUrl !== '' ? { metrics: this.metricsUrl } : {})
    }
  }

  /**
   * Stops in the reverse order of start, so every part stops before what it
   * uses: the HTTP listeners stop accepting, replication, storage flush,
   * audit, authority sync, DHT, datastore.
   */
  async stop (): Promise<void> {
    if (this.state !== 'started') return
    this.state = 'stopping'
    this.tracker?.clear()
    // each part registered its stop when it started, after what it depends
    // on: stopping in the reverse order stops every user before what it uses
    const stages = [...this.stages].reverse()
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

    // the same sources and parsing as loadConfig
    const resolved = await reloadBootstrap(this.config)
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

  /** Prometheus text: storage, replication, DHT, HTTP, process and Node.js runtime (prom-client). */
  async metrics (): Promise<string> {
    return await this.nodeMetrics.text()
  }

  /** The URL of the metrics-only listener (`api.metricsListen`); empty without one. */
  metricsListenUrl (): string {
    return this.metricsUrl
  }

  /** `GET /metrics` of the metrics-only listener: public, as Prometheus exporters serve it. */
  private metricsRoute (): Route {
    return {
      method: 'GET',
      url: '/metrics',
      public: true,
      schema: { summary: 'Prometheus metrics', querystring: { type: 'object', additionalProperties: false, properties: {} } },
      handler: async () => ({ raw: { status: 200, headers: { 'content-type': this.nodeMetrics.contentType }, body: await this.metrics() } })
    }
  }
}

/** The version of the API the OpenAPI document names. */
const NODE_API_VERSION = '1.0.0'

/** `host:port` (`[::1]:9464` for IPv6) of a listen setting. */
function parseListen (value: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value)
  const port = m != null ? Number(m[3]) : Number.NaN
  if (m == null || port > 65535) throw new ConfigError('api.metricsListen', `expected host:port, got ${JSON.stringify(value)}`)
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]), port }
}

/** The URL of a bound address. */
function httpUrl (bound: { host: string, port: number }): string {
  const host = bound.host.includes(':') ? `[${bound.host}]` : bound.host
  return `http://${host}:${bound.port}`
}
