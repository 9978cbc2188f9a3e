import { createChorusDHT } from '@chorus-dht/dht-core'
import { hybridDHT, mergePolicies, mockDHT, probeRecordPolicy } from '@chorus-dht/hybrid-mock'
import { multiaddr } from '@multiformats/multiaddr'
import { counter, gauge } from './metrics.js'
import type { NodeConfig } from './config.js'
import type { MetricFamily } from './metrics.js'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { HybridDHT } from '@chorus-dht/hybrid-mock'
import type { ComponentLogger, DHT, RecordPolicy } from '@chorus-dht/types'
import type { PrivateKey } from '@libp2p/interface'
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
}

/** The DHT as the node runs it, with what status, health and metrics need. */
export interface DhtLayer {
  /** What storage and replication use. */
  readonly dht: DHT
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
  metrics(): Promise<MetricFamily[]>
}

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

  constructor (real: ChorusDHT, hybrid: HybridDHT, init: DhtLayerInit) {
    this.real = real
    this.dht = hybrid
    this.config = init.config
    this.log = init.logger.forComponent('chorus-dht:node:dht')
  }

  async start (): Promise<void> {
    // the hybrid starts the real backend when it is in use, and the mock
    await this.dht.start()
    if (this.real.isStarted()) void this.announce()
  }

  private async announce (): Promise<void> {
    try {
      await this.real.registerPeer({ agent: this.config.agent, role: this.config.role, capabilities: [] })
    } catch (err: any) {
      this.log('peer registration deferred - %s', err.message)
    }
  }

  async stop (): Promise<void> {
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
          this.log.error('bootstrap address %s was answered by %s', addr, conn.remotePeer.toString())
          return
        }
        answered++
      } catch (err: any) {
        this.log.error('bootstrap dial to %s failed - %s', addr, err.message)
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

  async metrics (): Promise<MetricFamily[]> {
    const s = this.dht.getStats()
    const active = this.dht.activeBackend
    const health = this.dht.getBackendHealth()
    const bm = this.dht.getMetrics()
    const kinds = ['real', 'mock'] as const
    const statusValue = { healthy: 2, degraded: 1, failed: 0 } as const
    return [
      { name: 'chorus_dht_active_backend', help: 'The DHT backend serving requests (1 for the active one).', type: 'gauge', samples: kinds.map(k => ({ labels: { backend: k }, value: k === active ? 1 : 0 })) },
      { name: 'chorus_dht_backend_status', help: 'Backend health from the live probe: 2 healthy, 1 degraded, 0 failed.', type: 'gauge', samples: kinds.map(k => ({ labels: { backend: k }, value: statusValue[health[k].status] })) },
      { name: 'chorus_dht_backend_latency_ms', help: 'Latency of the last probe, ms.', type: 'gauge', samples: kinds.map(k => ({ labels: { backend: k }, value: health[k].latency })) },
      { name: 'chorus_dht_backend_consecutive_failures', help: 'Consecutive failures of each backend.', type: 'gauge', samples: kinds.map(k => ({ labels: { backend: k }, value: health[k].consecutiveFailures })) },
      { name: 'chorus_dht_backend_operations_total', help: 'Operations sent to each backend.', type: 'counter', samples: kinds.map(k => ({ labels: { backend: k }, value: bm[k].operations })) },
      { name: 'chorus_dht_backend_errors_total', help: 'Backend errors.', type: 'counter', samples: kinds.map(k => ({ labels: { backend: k }, value: bm[k].errors })) },
      gauge('chorus_dht_pending_writes', 'Writes journaled during an outage, not yet replayed to the real DHT.', this.dht.pendingWrites),
      gauge('chorus_dht_peers', 'Distinct peers in the routing table.', s.totalPeers),
      gauge('chorus_dht_connected_peers', 'Connected peers.', s.connectedPeers),
      gauge('chorus_dht_keys', 'Records in the local store.', s.totalKeys),
      gauge('chorus_dht_bootstrapped', '1 when connected to the network.', this.dht.isBootstrapped() ? 1 : 0),
      ...this.abuseMetrics()
    ]
  }

  /** What dht-core refused from other peers (rate limits, quotas, bans); nothing while the real node is down. */
  private abuseMetrics (): MetricFamily[] {
    if (!this.real.isStarted()) return []
    const a = this.real.getAbuseStats()
    return [
      { name: 'chorus_dht_inbound_puts_rejected_total', help: 'PUT_VALUEs from peers that were refused, by reason.', type: 'counter', samples: Object.entries(a.rejected).map(([reason, value]) => ({ labels: { reason }, value })) },
      counter('chorus_dht_inbound_puts_accepted_total', 'PUT_VALUEs from peers that were stored.', a.accepted),
      { name: 'chorus_dht_quota_hits_total', help: 'Per-peer quota refusals, by the limit hit.', type: 'counter', samples: [{ labels: { limit: 'records' }, value: a.quotaHits.records }, { labels: { limit: 'bytes' }, value: a.quotaHits.bytes }] },
      counter('chorus_dht_peer_strikes_total', 'Strikes counted against peers (invalid records, abuse).', a.strikes),
      counter('chorus_dht_peer_bans_total', 'Peers banned for a cooling-off period.', a.bans),
      counter('chorus_dht_gater_refusals_total', 'Dials and connections refused because the peer is banned.', a.gaterRefusals),
      gauge('chorus_dht_banned_peers', 'Peers banned right now.', a.bannedPeers.length)
    ]
  }
}

/** Builds the node's DHT: dht-core as the real backend, MockDHT with a persisted journal as the fallback. */
export async function createDhtLayer (init: DhtLayerInit): Promise<DhtLayer> {
  const { config } = init
  const policy = mergePolicies(init.policy, probeRecordPolicy)
  // replacement rules (SPEC §6, "never rolled back") go to both backends next to
  // validators and selectors; spread so this compiles whether or not the
  // backends' Init types name `replacers` yet
  const replacers = policy.replacers != null ? { replacers: policy.replacers } : {}
  const real = await createChorusDHT({
    listen: config.p2p.listen,
    bootstrapPeers: config.p2p.bootstrap,
    allowPrivateAddresses: config.p2p.allowPrivateAddresses,
    validators: policy.validators,
    selectors: policy.selectors,
    ...replacers,
    agent: { agent: config.agent, role: config.role, capabilities: [] },
    start: false
  }, {
    datastore: init.datastore,
    privateKey: init.privateKey,
    logger: init.logger
  })
  const mock = mockDHT({ peerId: init.peerId, validators: policy.validators, selectors: policy.selectors, ...replacers })({ logger: init.logger })
  const hybrid = hybridDHT({
    useRealDHT: config.dht.useRealDHT,
    bootstrapNodes: config.p2p.bootstrap,
    fallbackOnError: config.dht.fallbackOnError,
    healthCheckInterval: config.dht.healthCheckInterval,
    maxConsecutiveFailures: config.dht.maxConsecutiveFailures,
    selectors: policy.selectors
  })({ real, mock, datastore: init.journal, logger: init.logger })
  return new HybridDhtLayer(real, hybrid, init)
}
