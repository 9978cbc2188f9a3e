import { createChorusDHT } from '@chorus-dht/dht-core'
import { hybridDHT, mergePolicies, mockDHT, probeRecordPolicy } from '@chorus-dht/hybrid-mock'
import { repeatingTask } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { LOG_PREFIX } from './constants.js'
import { warnOf } from './logger.js'
import type { NodeConfig } from './config.js'
import type { RepeatingTask } from '@libp2p/utils'
import type { ChorusDHT, ChorusDHTInit } from '@chorus-dht/dht-core'
import type { HybridDHT, HybridDHTInit } from '@chorus-dht/hybrid-mock'
import type { ComponentLogger, RecordPolicy } from '@chorus-dht/types'
import type { Metrics, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** Inputs of {@link createDhtLayer}. */
export interface DhtLayerInit {
  config: NodeConfig
  privateKey: PrivateKey
  peerId: string
  /** Namespace for libp2p: records, providers, peer store. */
  datastore: Datastore
  /** Namespace for the hybrid DHT's journal of writes taken during an outage. */
  journal: Datastore
  policy: Required<Pick<RecordPolicy, 'validators' | 'selectors'>> & Pick<RecordPolicy, 'replacers'>
  logger: ComponentLogger
  /** libp2p's `metrics` component (libp2p's own metrics); none: libp2p collects none. */
  metrics?: (components: any) => Metrics
}

/** The DHT as the node runs it, with what status, health and metrics need. */
export interface DhtLayer {
  /** What storage and replication use: the hybrid DHT. */
  readonly dht: HybridDHT
  /** dht-core's node while it runs (roles, discovered peers, abuse counters); undefined otherwise. */
  realNode(): ChorusDHT | undefined
  start(): Promise<void>
  stop(): Promise<void>
  multiaddrs(): string[]
  activeBackend(): 'real' | 'mock'
  /** Dials bootstrap peers not connected yet; resolves how many answered. */
  addBootstrapPeers(addrs: string[]): Promise<number>
  health(): Promise<{ healthy: boolean } & Record<string, unknown>>
  /** Whether writes reach the network now (see {@link dhtReadiness}). */
  ready(): Promise<DhtReadiness>
  status(): Promise<Record<string, unknown>>
}

/** How often the node re-announces its role and capabilities once joined, ms. */
export const DEFAULT_ANNOUNCE_INTERVAL = 5 * 60_000

/** How soon an announcement is retried while the node has not joined or it failed, ms. */
const ANNOUNCE_RETRY = 2_000

/** What {@link dhtReadiness} decides from. */
export interface DhtReadinessInput {
  /** The hybrid's lifecycle state. */
  status: string
  /** `dht.useRealDHT`: the real DHT is meant to serve. */
  useRealDHT: boolean
  /** The backend serving now. */
  activeBackend: 'real' | 'mock'
  /** Writes journaled while the mock served, not yet replayed. */
  pendingWrites: number
  /** Configured bootstrap peers other than this node. */
  bootstrapPeers: number
  /** The real node has at least one connection. */
  bootstrapped: boolean
  /** Peers the real node is connected to now. */
  connectedPeers: number
  /** The hybrid's live probe of the real backend. @default 'healthy' */
  realStatus?: 'healthy' | 'degraded' | 'failed'
}

/** What the DHT part of `GET /ready` says. */
export interface DhtReadiness {
  ready: boolean
  /** Why not; empty when ready. */
  reasons: string[]
  checks: Record<string, unknown>
}

/**
 * Readiness of the DHT: not ready while the hybrid is not started, while it
 * serves from the mock fallback although the real DHT is configured (writes
 * are then journaled, not replicated), while the real DHT fails the hybrid's
 * live probe, or while the real DHT has bootstrap peers configured but is
 * not bootstrapped or has no live peer. A node
 * configured without bootstrap peers (the first of a network) or with the
 * mock only (`useRealDHT: false`) is ready alone.
 */
export function dhtReadiness (input: DhtReadinessInput): DhtReadiness {
  const reasons: string[] = []
  if (input.status !== 'started') reasons.push(`the DHT is ${input.status}`)
  if (input.useRealDHT && input.activeBackend === 'mock') {
    reasons.push(`the real DHT is unavailable: serving from the mock fallback, writes are journaled (${input.pendingWrites} pending), not replicated`)
  }
  if (input.useRealDHT && input.activeBackend === 'real' && input.realStatus === 'failed') {
    // without fallbackOnError the hybrid stays on a failed real backend
    reasons.push('the real DHT fails its live probe')
  }
  if (input.useRealDHT && input.activeBackend === 'real' && input.bootstrapPeers > 0) {
    if (!input.bootstrapped) reasons.push(`the real DHT is not bootstrapped (${input.bootstrapPeers} bootstrap peer(s) configured)`)
    else if (input.connectedPeers === 0) reasons.push(`the real DHT has no live peer (${input.bootstrapPeers} bootstrap peer(s) configured)`)
  }
  return {
    ready: reasons.length === 0,
    reasons,
    checks: {
      status: input.status,
      use_real_dht: input.useRealDHT,
      active_backend: input.activeBackend,
      pending_writes: input.pendingWrites,
      bootstrap_peers: input.bootstrapPeers,
      bootstrapped: input.bootstrapped,
      connected_peers: input.connectedPeers,
      real_status: input.realStatus ?? 'healthy'
    }
  }
}

/** The peer id a multiaddr names (`/p2p/<id>`), if any; undefined for a malformed one. */
function peerOf (addr: string): string | undefined {
  try {
    return multiaddr(addr).getComponents().find(c => c.name === 'p2p')?.value
  } catch {
    return undefined
  }
}

class HybridDhtLayer implements DhtLayer {
  readonly dht: HybridDHT
  private readonly real: ChorusDHT
  private readonly log: ReturnType<ComponentLogger['forComponent']>
  private readonly config: NodeConfig
  /** Re-announces this node's role and capabilities (registerPeer) once joined, then every `announceInterval`. */
  private readonly announcer: RepeatingTask
  private announced = false
  /** The retry of a failed announcement. */
  private retry?: NodeJS.Timeout
  /** Between start() and stop(): a failed announcement may be retried. */
  private running = false
  private readonly onConnect = (): void => { if (!this.announced) this.announcer.run() }

  constructor (real: ChorusDHT, hybrid: HybridDHT, init: DhtLayerInit) {
    this.real = real
    this.dht = hybrid
    this.config = init.config
    this.log = init.logger.forComponent('chorus-dht:node:dht')
    // p2p.announceInterval (ms): the config schema makes it positive and fills in the default
    this.announcer = repeatingTask(async options => { await this.announce(options?.signal) }, init.config.p2p.announceInterval, { runImmediately: true, timeout: 60_000 })
  }

  realNode (): ChorusDHT | undefined {
    return this.real.isStarted() ? this.real : undefined
  }

  async start (): Promise<void> {
    // the hybrid starts the real backend when it is in use, and the mock
    await this.dht.start()
    this.running = true
    this.real.libp2p.addEventListener('peer:connect', this.onConnect)
    this.announcer.start()
  }

  /**
   * Registers this node's agent, role and capabilities (provider records)
   * once it has joined: a node with bootstrap peers waits for its first
   * connection (`peer:connect` runs the task); a failed announcement is
   * retried after {@link ANNOUNCE_RETRY} ms. The interval of the task is
   * never changed from inside it (repeatingTask would then schedule twice).
   */
  private async announce (signal?: AbortSignal): Promise<void> {
    clearTimeout(this.retry)
    if (!this.real.isStarted()) return
    const others = this.config.p2p.bootstrap.filter(a => peerOf(a) !== this.real.peerId).length
    if (others > 0 && this.real.getConnectedPeers().length === 0) return
    try {
      await this.real.registerPeer(this.real.getAgentInfo(), { signal })
      if (!this.announced) this.log('announced role %s', this.real.getAgentInfo().role)
      this.announced = true
    } catch (err: any) {
      this.announced = false
      if (this.running) this.retry = setTimeout(() => { this.announcer.run() }, ANNOUNCE_RETRY)
      this.log('role announcement deferred - %e', err)
    }
  }

  async stop (): Promise<void> {
    this.running = false
    this.announcer.stop()
    clearTimeout(this.retry)
    this.real.libp2p.removeEventListener('peer:connect', this.onConnect)
    await this.dht.stop()
  }

  multiaddrs (): string[] {
    return this.real.isStarted() ? this.real.getMultiaddrs() : []
  }

  activeBackend (): 'real' | 'mock' {
    return this.dht.activeBackend
  }

  async addBootstrapPeers (addrs: string[]): Promise<number> {
    if (!this.real.isStarted()) return 0
    const connected = new Set(this.real.getConnectedPeers().map(p => p.id))
    let answered = 0
    await Promise.all(addrs.map(async addr => {
      const ma = multiaddr(addr)
      const id = ma.getComponents().find(c => c.name === 'p2p')?.value
      if (id === this.real.peerId) return
      if (id != null && connected.has(id)) {
        answered++
        return
      }
      try {
        const conn = await this.real.libp2p.dial(ma, { signal: AbortSignal.timeout(10_000) })
        if (id != null && conn.remotePeer.toString() !== id) {
          await conn.close().catch(() => {})
          warnOf(this.log)('bootstrap address %s was answered by %s', addr, conn.remotePeer.toString())
          return
        }
        answered++
      } catch (err: any) {
        warnOf(this.log)('bootstrap peer %s is unreachable - %e', addr, err)
      }
    }))
    if (answered > 0) {
      void this.real.libp2p.services.dht.refreshRoutingTable().catch(() => {})
    }
    return answered
  }

  async health (): Promise<{ healthy: boolean } & Record<string, unknown>> {
    const backends = this.dht.getBackendHealth()
    const active = this.dht.activeBackend
    return {
      healthy: this.dht.status === 'started' && backends[active].status !== 'failed',
      active_backend: active,
      backends
    }
  }

  async ready (): Promise<DhtReadiness> {
    const realUp = this.real.isStarted()
    // an assignment file may list this node among the bootstrap peers
    const bootstrapPeers = this.config.p2p.bootstrap.filter(a => peerOf(a) !== this.real.peerId).length
    return dhtReadiness({
      status: this.dht.status,
      useRealDHT: this.config.dht.useRealDHT,
      activeBackend: this.dht.activeBackend,
      pendingWrites: this.dht.pendingWrites,
      bootstrapPeers,
      bootstrapped: realUp && this.real.isBootstrapped(),
      connectedPeers: realUp ? this.real.getStats().connectedPeers : 0,
      realStatus: this.dht.getBackendHealth().real.status
    })
  }

  async status (): Promise<Record<string, unknown>> {
    const realUp = this.real.isStarted()
    return {
      active_backend: this.dht.activeBackend,
      use_real_dht: this.config.dht.useRealDHT,
      fallback_on_error: this.config.dht.fallbackOnError,
      pending_writes: this.dht.pendingWrites,
      backends: this.dht.getBackendHealth(),
      backend_metrics: this.dht.getMetrics(),
      mode: realUp ? this.real.getMode() : undefined,
      bootstrapped: this.dht.isBootstrapped(),
      connected_peers: this.dht.getConnectedPeers().length,
      routing_table_peers: realUp ? this.real.getRoutingTablePeers().length : 0,
      stats: this.dht.getStats()
    }
  }
}

/**
 * What the node's settings make of dht-core's init: every `p2p.*` setting,
 * the record policy and the agent. Not started (the layer starts it).
 */
export function realDhtInit (config: NodeConfig, policy: RecordPolicy): ChorusDHTInit {
  // replacement rules (SPEC §6, "never rolled back") go to both backends next to
  // validators and selectors
  const replacers = policy.replacers != null ? { replacers: policy.replacers } : {}
  return {
    logPrefix: LOG_PREFIX.dht,
    listen: config.p2p.listen,
    bootstrapPeers: config.p2p.bootstrap,
    allowPrivateAddresses: config.p2p.allowPrivateAddresses,
    mode: config.p2p.mode,
    bootstrapTimeout: config.p2p.bootstrapTimeout,
    bootstrapInterval: config.p2p.bootstrapInterval,
    autoBootstrap: config.p2p.autoBootstrap,
    discoveryInterval: config.p2p.discoveryInterval,
    peerCleanupInterval: config.p2p.peerCleanupInterval,
    peerTTL: config.p2p.peerTTL,
    queryTimeout: config.p2p.queryTimeout,
    peerRequestTimeout: config.p2p.peerRequestTimeout,
    putMinPeers: config.p2p.putMinPeers,
    putReplicas: config.p2p.putReplicas,
    connectionPingInterval: config.p2p.connectionPingInterval,
    validators: policy.validators,
    selectors: policy.selectors,
    ...replacers,
    agent: { agent: config.agent, role: config.role, capabilities: [] },
    start: false
  }
}

/** What the node's settings make of the hybrid DHT's init: every `dht.*` setting and the bootstrap list. */
export function hybridDhtInit (config: NodeConfig, policy: RecordPolicy): HybridDHTInit {
  return {
    logPrefix: LOG_PREFIX.dht,
    useRealDHT: config.dht.useRealDHT,
    bootstrapNodes: config.p2p.bootstrap,
    fallbackOnError: config.dht.fallbackOnError,
    healthCheckInterval: config.dht.healthCheckInterval,
    maxConsecutiveFailures: config.dht.maxConsecutiveFailures,
    selectors: policy.selectors
  }
}

/** Builds the node's DHT: dht-core as the real backend, MockDHT with a persisted journal as the fallback. */
export async function createDhtLayer (init: DhtLayerInit): Promise<DhtLayer> {
  const { config } = init
  const policy = mergePolicies(init.policy, probeRecordPolicy)
  const replacers = policy.replacers != null ? { replacers: policy.replacers } : {}
  const real = await createChorusDHT(realDhtInit(config, policy), {
    datastore: init.datastore,
    privateKey: init.privateKey,
    logger: init.logger,
    ...(init.metrics != null ? { metrics: init.metrics } : {})
  })
  const mock = mockDHT({ logPrefix: LOG_PREFIX.dht, peerId: init.peerId, validators: policy.validators, selectors: policy.selectors, ...replacers })({ logger: init.logger })
  const hybrid = hybridDHT(hybridDhtInit(config, policy))({ real, mock, datastore: init.journal, logger: init.logger })
  return new HybridDhtLayer(real, hybrid, init)
}
