import { NotStartedError } from '@chorus-dht/types'
import {
  MAX_PEER_CHECKS,
  PUT_LOOKUP_ALPHA,
  RECORD_DATASTORE_PREFIX,
  UNREACHABLE_PEER_TTL
} from './constants.js'
import { assemble } from './assembly.js'
import { Bootstrap } from './bootstrap.js'
import { ContentRouting } from './content-routing.js'
import { resolveInit } from './init.js'
import { routingTablePeers } from './internals.js'
import { PeerLiveness } from './peer-liveness.js'
import { Records } from './records.js'
import { RoleDiscovery } from './role-discovery.js'
import { backgroundTask } from './utils.js'
import type { AbuseGuard } from './abuse-guard.js'
import type { Assembly } from './assembly.js'
import type { ResolvedInit } from './init.js'
import type { KadDHTInternals } from './internals.js'
import type { BackgroundTask } from './utils.js'
import type { AbuseStats, ChorusDHT, ChorusDHTComponents, ChorusDHTInit, ChorusServices } from './index.js'
import type {
  AbortOptions,
  AgentInfo,
  Clock,
  DHTStats,
  FindProvidersOptions,
  GetValueOptions,
  Logger,
  PeerInfo,
  PutResult,
  PutValueOptions,
  RolePeer
} from '@chorus-dht/types'
import type { Libp2p } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/**
 * The implementation behind {@link ChorusDHT}, not exported from the
 * package: the lifecycle and background loops of the node, over its parts
 * (each with its own narrow components, none calling back here):
 * `assembly.ts` (the libp2p node), `bootstrap.ts`, `records.ts`
 * (content-fetching, with the put of `record-put.ts`), `content-routing.ts`
 * (providers, closest peers), `role-discovery.ts`, `peer-liveness.ts` and
 * `abuse-guard.ts`.
 */
export class ChorusDHTNode implements ChorusDHT {
  readonly libp2p: Libp2p<ChorusServices>
  readonly peerId: string
  private readonly kad: KadDHTInternals
  private readonly init: ResolvedInit
  private readonly datastore: Datastore
  private readonly recordKeys: Set<string>
  private readonly clock: Clock
  private readonly log: Logger
  private readonly abuse: AbuseGuard
  private readonly liveness: PeerLiveness
  private readonly records: Records
  private readonly routing: ContentRouting
  private readonly roles: RoleDiscovery
  private readonly joiner: Bootstrap
  private readonly tasks: BackgroundTask[]
  private status: 'stopped' | 'starting' | 'started' | 'stopping' = 'stopped'
  private startPromise?: Promise<void>
  private stopPromise?: Promise<void>
  private shutdown = new AbortController()
  private startedAt = 0

  private constructor (parts: Assembly, init: ResolvedInit, agent: AgentInfo, components: ChorusDHTComponents) {
    const { libp2p, kad, logger } = parts
    const forComponent = (name: string): Logger => logger.forComponent(`${init.logPrefix}:${name}`)
    this.libp2p = libp2p
    this.peerId = libp2p.peerId.toString()
    this.kad = kad
    this.init = init
    this.datastore = parts.datastore
    this.recordKeys = parts.recordKeys
    this.abuse = parts.abuse
    this.clock = components.clock ?? { now: () => Date.now() }
    this.log = logger.forComponent(init.logPrefix)
    this.liveness = new PeerLiveness({ libp2p, kad, clock: this.clock, log: forComponent('peer-liveness') }, {
      checkTimeout: init.peerCheckTimeout,
      suspectTTL: UNREACHABLE_PEER_TTL,
      maxChecks: MAX_PEER_CHECKS,
      pingNewContacts: init.pingNewContacts
    })
    // after the liveness check of new contacts, so that a banned peer is refused before it
    parts.abuse.attach(libp2p, kad)
    this.records = new Records({
      peerId: this.peerId,
      kad,
      datastore: parts.datastore,
      guard: parts.guard,
      liveness: this.liveness,
      libp2p,
      log: forComponent('records'),
      putLog: forComponent('record-put')
    }, {
      validators: init.validators,
      selectors: init.selectors,
      queryTimeout: init.queryTimeout,
      peerRequestTimeout: init.peerRequestTimeout,
      putMinPeers: init.putMinPeers,
      put: { replicas: init.putReplicas, alpha: PUT_LOOKUP_ALPHA, backgroundTimeout: init.putBackgroundTimeout }
    })
    this.routing = new ContentRouting({ libp2p, kad, liveness: this.liveness }, { queryTimeout: init.queryTimeout })
    this.roles = new RoleDiscovery({ libp2p, routing: this.routing, clock: this.clock, log: forComponent('role-discovery') }, {
      agent,
      discoveryInterval: init.discoveryInterval,
      peerTTL: init.peerTTL,
      peerRequestTimeout: init.peerRequestTimeout,
      queryTimeout: init.queryTimeout
    })
    this.joiner = new Bootstrap({ libp2p, peerId: this.peerId, kad, log: forComponent('bootstrap') }, {
      bootstrapPeers: init.bootstrapPeers,
      bootstrapTimeout: init.bootstrapTimeout
    })
    const loopOptions = { log: this.log, random: parts.random }
    this.tasks = [
      backgroundTask('discovery', init.discoveryInterval, async (signal) => { await this.roles.discover(signal) }, loopOptions),
      backgroundTask('peer cleanup', init.peerCleanupInterval, async () => { this.roles.cleanupPeers() }, loopOptions)
    ]
    if (init.autoBootstrap && init.bootstrapPeers.length > 0) {
      // the first join at start (after up to joinStagger), then again every
      // bootstrapInterval whenever the node has no connection
      this.tasks.push(backgroundTask('auto-bootstrap', init.bootstrapInterval, async (signal) => { await this.joiner.rejoin(signal) }, {
        ...loopOptions, jitter: 0, firstRunDelay: init.joinStagger
      }))
    }
    this.shutdown.abort()
  }

  /** Builds the libp2p node (unstarted). */
  static async create (rawInit: ChorusDHTInit, components: ChorusDHTComponents): Promise<ChorusDHTNode> {
    const init = resolveInit(rawInit)
    const parts = await assemble(init, components)
    const agent: AgentInfo = {
      agent: rawInit.agent?.agent ?? '',
      role: rawInit.agent?.role ?? '',
      capabilities: [...(rawInit.agent?.capabilities ?? [])]
    }
    return new ChorusDHTNode(parts, init, agent, components)
  }

  // ---------------------------------------------------------------- lifecycle

  isStarted (): boolean {
    return this.status === 'started'
  }

  async start (): Promise<void> {
    if (this.status === 'started') {
      return
    }
    if (this.status === 'stopping') {
      await this.stopPromise
    }
    if (this.startPromise != null) {
      return this.startPromise
    }
    this.status = 'starting'
    this.startPromise = this.doStart()
      .then(() => {
        this.status = 'started'
        // background loops start once the node is started (they call its operations)
        for (const task of this.tasks) task.start()
      })
      .catch(async (err) => {
        this.status = 'stopped'
        await Promise.resolve(this.libp2p.stop()).catch(() => {})
        throw err
      })
      .finally(() => { this.startPromise = undefined })
    return this.startPromise
  }

  private async doStart (): Promise<void> {
    this.shutdown = new AbortController()
    const signal = this.shutdown.signal
    await this.libp2p.start()
    await this.roles.start(signal)
    this.liveness.start(signal)
    this.records.start(signal)
    this.routing.start(signal)
    this.joiner.start(signal)
    this.startedAt = this.clock.now()
    for await (const key of this.datastore.queryKeys({ prefix: RECORD_DATASTORE_PREFIX })) {
      this.recordKeys.add(key.toString())
    }
    this.log('started %s with protocol %s in %s mode', this.peerId, this.init.protocol, this.getMode())
  }

  async stop (): Promise<void> {
    if (this.status === 'starting') {
      await this.startPromise?.catch(() => {})
    }
    if (this.status === 'stopped') {
      return
    }
    if (this.stopPromise != null) {
      return this.stopPromise
    }
    this.status = 'stopping'
    this.stopPromise = (async () => {
      this.shutdown.abort()
      this.liveness.stop()
      this.abuse.stop()
      await Promise.allSettled(this.tasks.map(async t => { await t.stop() }))
      await this.records.stop()
      this.log('loops ended, stopping libp2p')
      await this.roles.stop()
      await this.libp2p.stop()
      this.log('stopped %s', this.peerId)
      this.startedAt = 0
      this.status = 'stopped'
    })().finally(() => { this.stopPromise = undefined })
    return this.stopPromise
  }

  async close (): Promise<void> {
    await this.stop()
  }

  private assertStarted (): void {
    if (this.status !== 'started') {
      throw new NotStartedError('the DHT node is not started')
    }
  }

  // ---------------------------------------------------------------- addresses and peers

  getMultiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  getMode (): 'client' | 'server' {
    return this.kad.getMode()
  }

  getAgentInfo (): AgentInfo {
    return this.roles.getAgentInfo()
  }

  getDiscoveredPeers (): RolePeer[] {
    return this.roles.getDiscoveredPeers()
  }

  getRoutingTablePeers (): string[] {
    return routingTablePeers(this.kad, this.peerId)
  }

  isBootstrapped (): boolean {
    return this.status === 'started' && this.libp2p.getConnections().length > 0
  }

  getConnectedPeers (): PeerInfo[] {
    const byPeer = new Map<string, Set<string>>()
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      const addrs = byPeer.get(id) ?? new Set<string>()
      addrs.add(conn.remoteAddr.toString())
      byPeer.set(id, addrs)
    }
    return [...byPeer].map(([id, addrs]) => ({ id, multiaddrs: [...addrs] }))
  }

  getStats (): DHTStats {
    const started = this.status === 'started'
    return {
      totalPeers: started ? this.getRoutingTablePeers().length : 0,
      totalKeys: this.recordKeys.size,
      uptime: started ? Math.max(0, this.clock.now() - this.startedAt) : 0,
      connectedPeers: started ? this.getConnectedPeers().length : 0
    }
  }

  getAbuseStats (): AbuseStats {
    return this.abuse.stats()
  }

  getDHTSize (): number {
    if (this.status !== 'started') {
      return 0
    }
    const ids = new Set([...this.getRoutingTablePeers(), ...this.roles.knownPeerIds()])
    ids.delete(this.peerId)
    return ids.size
  }

  // ---------------------------------------------------------------- operations (each part checks its arguments)

  async bootstrap (options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.joiner.bootstrap(options)
  }

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    this.assertStarted()
    return this.records.putValue(key, value, options)
  }

  async getValue (key: string, options: GetValueOptions = {}): Promise<Uint8Array> {
    this.assertStarted()
    return this.records.getValue(key, options)
  }

  async getValueFromPeer (peerId: string, key: string, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    this.assertStarted()
    return this.records.getValueFromPeer(peerId, key, options)
  }

  async removeLocal (key: string, value: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    this.assertStarted()
    return this.records.removeLocal(key, value, options)
  }

  async getClosestPeers (key: string, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    this.assertStarted()
    return this.routing.getClosestPeers(key, options)
  }

  async provide (key: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.routing.provide(key, options)
  }

  async findProviders (key: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    this.assertStarted()
    return this.routing.findProviders(key, options)
  }

  async registerPeer (info: AgentInfo, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.roles.registerPeer(info, options)
  }

  async announceRole (role: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.roles.announceRole(role, options)
  }

  async announceCapability (capability: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.roles.announceCapability(capability, options)
  }

  async findPeersByRole (role: string, options: AbortOptions & { limit?: number } = {}): Promise<RolePeer[]> {
    this.assertStarted()
    return this.roles.findPeersByRole(role, options)
  }
}
