import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Metrics } from '@libp2p/interface'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { HybridDHT } from '@chorus-dht/hybrid-mock'
import type { ReplicationMetrics, StorageMetrics } from '@chorus-dht/types'

/** Where the node's metrics are read from at each scrape. */
export interface MetricSources {
  storage?(): StorageMetrics | undefined
  /** Content records this node's validator refused, by reason. */
  rejectedRecords?(): ReadonlyMap<string, number>
  replication?(): ReplicationMetrics | undefined
  /** The hybrid DHT. */
  dht?(): HybridDHT | undefined
  /** dht-core's node while it runs (abuse counters). */
  real?(): ChorusDHT | undefined
  /** When the node started, ms since the epoch; 0 while it is not started. */
  startedAt(): number
}

/** Buckets of HTTP request durations, seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Buckets of store and retrieve durations, seconds (a store is a quorum read and two DHT puts). */
const STORAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

const BACKENDS = ['real', 'mock'] as const
const STATUS_VALUE = { healthy: 2, degraded: 1, failed: 0 } as const

/** A counter whose value is read from a source at each scrape (the libraries keep the counts). */
function readCounter (registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect () {
      const v = read()
      this.reset()
      if (v != null && v > 0) this.inc(v)
    }
  })
}

/** A gauge whose value is read from a source at each scrape. */
function readGauge (registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect () {
      const v = read()
      this.reset()
      if (v != null) this.set(v)
    }
  })
}

/**
 * The node's Prometheus metrics on `prom-client`: the default Node.js
 * metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop lag, GC), the
 * storage, replication, DHT and HTTP families, with latencies as
 * `_seconds` histograms. One registry per node (several nodes may share a
 * process).
 */
export class NodeMetrics {
  readonly registry = new Registry()
  private libp2pRegistry?: Registry
  private readonly httpDuration: Histogram<'method' | 'route' | 'code'>
  private readonly httpResponses: Counter<'code'>
  private readonly storageDuration: Histogram<'operation' | 'outcome'>

  constructor (sources: MetricSources) {
    const r = this.registry
    collectDefaultMetrics({ register: r })
    // gauges prom-client names `_total`, which `promtool check metrics` refuses for
    // a non-counter; their per-type breakdowns (nodejs_active_handles{type}, …) stay
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) r.removeSingleMetric(name)
    this.httpDuration = new Histogram({ name: 'chorus_http_request_duration_seconds', help: 'HTTP API request durations, seconds, by method, route pattern and status code.', labelNames: ['method', 'route', 'code'], buckets: HTTP_BUCKETS, registers: [r] })
    this.httpResponses = new Counter({ name: 'chorus_http_responses_total', help: 'HTTP API responses by status code.', labelNames: ['code'], registers: [r] })
    this.storageDuration = new Histogram({ name: 'chorus_storage_operation_duration_seconds', help: 'Durations of content stores and retrievals through the API, seconds.', labelNames: ['operation', 'outcome'], buckets: STORAGE_BUCKETS, registers: [r] })
    readGauge(r, 'chorus_uptime_seconds', 'Seconds since the node started.', () => {
      const t = sources.startedAt()
      return t > 0 ? (Date.now() - t) / 1000 : 0
    })

    const s = (): StorageMetrics | undefined => sources.storage?.()
    const rep = (): ReplicationMetrics | undefined => sources.replication?.()
    // [counter or gauge, name, help, what it reads]: the plain numbers of
    // the libraries' metrics objects, read at each scrape
    const plain: Array<['counter' | 'gauge', string, string, () => number | undefined]> = [
      ['counter', 'chorus_storage_stored_items_total', 'Content versions stored by this node.', () => s()?.storedItems],
      ['counter', 'chorus_storage_retrieved_items_total', 'Content retrievals served.', () => s()?.retrievedItems],
      ['counter', 'chorus_storage_cache_hits_total', 'Retrievals answered from the cache.', () => s()?.cacheHits],
      ['counter', 'chorus_storage_cache_misses_total', 'Retrievals that missed the cache.', () => s()?.cacheMisses],
      ['counter', 'chorus_storage_encryption_ops_total', 'Encryptions.', () => s()?.encryptionOps],
      ['counter', 'chorus_storage_decryption_ops_total', 'Decryptions.', () => s()?.decryptionOps],
      ['counter', 'chorus_storage_errors_total', 'Failed stores and retrievals.', () => s()?.errors],
      ['gauge', 'chorus_storage_cache_entries', 'Entries in the content cache.', () => s()?.cacheEntries],
      ['gauge', 'chorus_storage_cache_bytes', 'Bytes in the content cache.', () => s()?.cacheBytes],
      ['gauge', 'chorus_replication_keys', 'Keys tracked by the replication manager.', () => rep()?.totalKeys],
      ['gauge', 'chorus_replication_providers', 'Providers known over all keys.', () => rep()?.totalProviders],
      ['counter', 'chorus_replication_reprovide_operations_total', 'Reprovide operations.', () => rep()?.reprovideOperations],
      ['counter', 'chorus_replication_successful_total', 'Successful replications.', () => rep()?.successfulReplications],
      ['counter', 'chorus_replication_failed_total', 'Failed replications.', () => rep()?.failedReplications],
      ['counter', 'chorus_replication_repairs_total', 'Repairs of under-replicated keys.', () => rep()?.repairs],
      ['gauge', 'chorus_replication_average_replicas', 'Average measured replicas per key.', () => rep()?.averageReplication]
    ]
    for (const [kind, name, help, read] of plain) (kind === 'counter' ? readCounter : readGauge)(r, name, help, read)
    new Counter({
      name: 'chorus_storage_rejected_records_total',
      help: 'Content records this node\'s validator refused (pushed to it or read from peers), by reason.',
      labelNames: ['reason'],
      registers: [r],
      collect () {
        this.reset()
        for (const [reason, n] of sources.rejectedRecords?.() ?? []) this.inc({ reason }, n)
      }
    })

    new Gauge({
      name: 'chorus_replication_keys_by_health',
      help: 'Tracked keys by measured health.',
      labelNames: ['health'],
      registers: [r],
      collect () {
        this.reset()
        const m = rep()
        if (m == null) return
        this.set({ health: 'healthy' }, m.healthyKeys)
        this.set({ health: 'degraded' }, m.degradedKeys)
        this.set({ health: 'critical' }, m.criticalKeys)
      }
    })

    const dht = (): HybridDHT | undefined => sources.dht?.()
    /** A per-backend gauge or counter of the hybrid. */
    const perBackend = (kind: 'gauge' | 'counter', name: string, help: string, read: (d: HybridDHT, b: 'real' | 'mock') => number): void => {
      const collect = function (this: Gauge<'backend'> | Counter<'backend'>): void {
        this.reset()
        const d = dht()
        if (d == null) return
        for (const b of BACKENDS) {
          if (this instanceof Gauge) this.set({ backend: b }, read(d, b))
          else this.inc({ backend: b }, read(d, b))
        }
      }
      if (kind === 'gauge') new Gauge({ name, help, labelNames: ['backend'], registers: [r], collect })
      else new Counter({ name, help, labelNames: ['backend'], registers: [r], collect })
    }
    perBackend('gauge', 'chorus_dht_active_backend', 'The DHT backend serving requests (1 for the active one).', (d, b) => d.activeBackend === b ? 1 : 0)
    perBackend('gauge', 'chorus_dht_backend_status', 'Backend health from the live probe: 2 healthy, 1 degraded, 0 failed.', (d, b) => STATUS_VALUE[d.getBackendHealth()[b].status])
    perBackend('gauge', 'chorus_dht_backend_probe_latency_seconds', 'Latency of the last live probe of each backend, seconds.', (d, b) => d.getBackendHealth()[b].latency / 1000)
    perBackend('gauge', 'chorus_dht_backend_consecutive_failures', 'Consecutive failures of each backend.', (d, b) => d.getBackendHealth()[b].consecutiveFailures)
    perBackend('counter', 'chorus_dht_backend_operations_total', 'Operations sent to each backend.', (d, b) => d.getMetrics()[b].operations)
    perBackend('counter', 'chorus_dht_backend_errors_total', 'Backend errors.', (d, b) => d.getMetrics()[b].errors)
    readGauge(r, 'chorus_dht_pending_writes', 'Writes journaled during an outage, not yet replayed to the real DHT.', () => dht()?.pendingWrites)
    readGauge(r, 'chorus_dht_peers', 'Distinct peers in the routing table.', () => dht()?.getStats().totalPeers)
    readGauge(r, 'chorus_dht_connected_peers', 'Connected peers.', () => dht()?.getStats().connectedPeers)
    readGauge(r, 'chorus_dht_keys', 'Records in the local store.', () => dht()?.getStats().totalKeys)
    readGauge(r, 'chorus_dht_bootstrapped', '1 when connected to the network.', () => { const d = dht(); return d == null ? undefined : d.isBootstrapped() ? 1 : 0 })

    // what dht-core refused from other peers (rate limits, quotas, bans); nothing while the real node is down
    const abuse = (): ReturnType<ChorusDHT['getAbuseStats']> | undefined => sources.real?.()?.getAbuseStats()
    new Counter({
      name: 'chorus_dht_inbound_puts_rejected_total',
      help: 'PUT_VALUEs from peers that were refused, by reason.',
      labelNames: ['reason'],
      registers: [r],
      collect () {
        this.reset()
        for (const [reason, n] of Object.entries(abuse()?.rejected ?? {})) this.inc({ reason }, n)
      }
    })
    readCounter(r, 'chorus_dht_inbound_puts_accepted_total', 'PUT_VALUEs from peers that were stored.', () => abuse()?.accepted)
    new Counter({
      name: 'chorus_dht_quota_hits_total',
      help: 'Per-peer quota refusals, by the limit hit.',
      labelNames: ['limit'],
      registers: [r],
      collect () {
        this.reset()
        const a = abuse()
        if (a == null) return
        this.inc({ limit: 'records' }, a.quotaHits.records)
        this.inc({ limit: 'bytes' }, a.quotaHits.bytes)
      }
    })
    readCounter(r, 'chorus_dht_peer_strikes_total', 'Strikes counted against peers (invalid records, abuse).', () => abuse()?.strikes)
    readCounter(r, 'chorus_dht_peer_bans_total', 'Peers banned for a cooling-off period.', () => abuse()?.bans)
    readCounter(r, 'chorus_dht_gater_refusals_total', 'Dials and connections refused because the peer is banned.', () => abuse()?.gaterRefusals)
    readGauge(r, 'chorus_dht_banned_peers', 'Peers banned right now.', () => abuse()?.bannedPeers.length)
  }

  /** Records one HTTP answer. */
  observeHttp (status: number, route: string, method: string, seconds: number): void {
    const code = String(status)
    this.httpResponses.inc({ code })
    this.httpDuration.observe({ method, route, code }, seconds)
  }

  /** Starts timing a store or retrieve; call the result with the outcome. */
  timeStorage (operation: 'store' | 'retrieve'): (outcome: 'ok' | 'error') => void {
    const end = this.storageDuration.startTimer({ operation })
    return outcome => { end({ outcome }) }
  }

  /** The Prometheus text exposition format's content type. */
  get contentType (): string {
    return this.registry.contentType
  }

  /**
   * libp2p's `metrics` component for one start of the DHT: libp2p's and
   * kad-dht's own metrics (`libp2p_*`) in a registry of their own, new at
   * each start (@libp2p/prometheus-metrics registers each metric once per
   * registry, so a restarted libp2p could not register into the old one).
   * Its metric book is global to the process: with several nodes in one
   * process, the `libp2p_*` figures of one node can land in another's
   * registry, and each start clears prom-client's global default registry
   * (the node's own metrics are in their own registry and are not affected).
   */
  libp2pMetrics (): (components: any) => Metrics {
    const registry = new Registry()
    this.libp2pRegistry = registry
    return prometheusMetrics({ registry, collectDefaultMetrics: false })
  }

  /** Every metric in the Prometheus text format: the node's, then libp2p's (see {@link conventionalNames}). */
  async text (): Promise<string> {
    const own = await this.registry.metrics()
    const libp2p = this.libp2pRegistry != null ? conventionalNames(await this.libp2pRegistry.metrics()) : ''
    return libp2p === '' ? own : `${own.endsWith('\n') ? own : `${own}\n`}${libp2p}`
  }
}

/**
 * libp2p's own families, renamed where their names break Prometheus'
 * conventions (which `promtool check metrics` enforces): a gauge named
 * `…_total` (kad-dht's in-flight `operations_total`, its routing table's
 * `kad_bucket_total`, TCP's `inbound_connections_total` and
 * `listener_events_total`) loses the suffix, which Prometheus keeps for
 * counters (and becomes plural where the name would then end in a suffix of
 * histograms, `kad_bucket_total` → `kad_buckets`); a gauge in
 * `…_milliseconds` (kad-dht's adaptive timeout) becomes `…_seconds`, its
 * values divided by 1000. Every other line is left as it is.
 * The names are rewritten in the text, after prom-client made it, because
 * libp2p registers them itself (@libp2p/prometheus-metrics has no renaming).
 */
export function conventionalNames (text: string): string {
  const renames = new Map<string, { name: string, scale: number }>()
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type !== 'gauge') continue
    if (name.endsWith('_total')) {
      const bare = name.slice(0, -'_total'.length)
      renames.set(name, { name: /_(bucket|count|sum)$/.test(bare) ? `${bare}s` : bare, scale: 1 })
    } else if (name.endsWith('_milliseconds')) {
      renames.set(name, { name: `${name.slice(0, -'_milliseconds'.length)}_seconds`, scale: 1 / 1000 })
    }
  }
  if (renames.size === 0) return text
  return text.split('\n').map(line => {
    const meta = /^# (HELP|TYPE) (\S+)( .*)?$/.exec(line)
    if (meta !== null) {
      const to = renames.get(meta[2])
      if (to === undefined) return line
      const note = meta[1] === 'HELP' ? ` (libp2p's ${meta[2]}${to.scale === 1 ? '' : ', in seconds'})` : ''
      return `# ${meta[1]} ${to.name}${meta[3] ?? ''}${note}`
    }
    // a gauge sample: NAME{labels} VALUE or NAME VALUE (prom-client writes no timestamps)
    const name = /^[^\s{]+/.exec(line)?.[0]
    const to = name === undefined ? undefined : renames.get(name)
    if (name === undefined || to === undefined) return line
    const rest = line.slice(name.length)
    if (to.scale === 1) return `${to.name}${rest}`
    const at = rest.lastIndexOf(' ')
    return `${to.name}${rest.slice(0, at)} ${Number(rest.slice(at + 1)) * to.scale}`
  }).join('\n')
}
