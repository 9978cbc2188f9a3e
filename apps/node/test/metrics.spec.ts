import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { NodeMetrics, conventionalNames } from '../src/metrics.js'
import type { ReplicationMetrics, StorageMetrics } from '@chorus-dht/types'

const storage: StorageMetrics = {
  storedItems: 7,
  retrievedItems: 3,
  cacheHits: 2,
  cacheMisses: 1,
  encryptionOps: 7,
  decryptionOps: 1,
  averageStoreTime: 12,
  averageRetrieveTime: 4,
  lastUpdate: 0,
  cacheEntries: 5,
  cacheBytes: 1024,
  errors: 0
}

const replication = { totalKeys: 4, totalProviders: 6, reprovideOperations: 2, successfulReplications: 3, failedReplications: 1, repairs: 1, healthyKeys: 3, degradedKeys: 1, criticalKeys: 0, lastReprovideTime: 0, lastCleanupTime: 0, averageReplication: 2.5 } as ReplicationMetrics

/** `promtool check metrics` of a text: exit status and what it printed. */
function promtool (text: string): { status: number | null, out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (r.error != null) throw new Error(`promtool (Debian package prometheus) must be installed: ${r.error.message}`)
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('NodeMetrics (prom-client)', () => {
  it('reads the libraries\' counters at each scrape, labelled where they have labels', async () => {
    const rejected = new Map([['certificate-missing', 2], ['stale-head', 1]])
    let stored = storage.storedItems
    const m = new NodeMetrics({ storage: () => ({ ...storage, storedItems: stored }), replication: () => replication, rejectedRecords: () => rejected, startedAt: () => Date.now() - 5_000 })
    const text = await m.text()
    expect(text).toMatch(/^# TYPE chorus_storage_stored_items_total counter$/m)
    expect(text).toMatch(/^chorus_storage_stored_items_total 7$/m)
    expect(text).toMatch(/^chorus_storage_rejected_records_total\{reason="certificate-missing"\} 2$/m)
    expect(text).toMatch(/^chorus_storage_rejected_records_total\{reason="stale-head"\} 1$/m)
    expect(text).toMatch(/^chorus_replication_keys_by_health\{health="degraded"\} 1$/m)
    expect(text).toMatch(/^chorus_replication_average_replicas 2\.5$/m)
    expect(Number(/^chorus_uptime_seconds (\S+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(5)
    stored = 9
    expect(await m.text()).toMatch(/^chorus_storage_stored_items_total 9$/m)
  })

  it('records latencies as _seconds histograms and has no _ms names', async () => {
    const m = new NodeMetrics({ startedAt: () => 0 })
    m.observeHttp(201, '/ucxl/:address', 'PUT', 0.2)
    m.observeHttp(404, 'unmatched', 'GET', 0.001)
    m.timeStorage('store')('ok')
    m.timeStorage('retrieve')('error')
    const text = await m.text()
    expect(text).toMatch(/^# TYPE chorus_http_request_duration_seconds histogram$/m)
    expect(text).toMatch(/^chorus_http_request_duration_seconds_bucket\{le="0\.25",method="PUT",route="\/ucxl\/:address",code="201"\} 1$/m)
    expect(text).toMatch(/^chorus_http_request_duration_seconds_bucket\{le="0\.1",method="PUT",route="\/ucxl\/:address",code="201"\} 0$/m)
    expect(text).toMatch(/^chorus_http_responses_total\{code="404"\} 1$/m)
    expect(text).toMatch(/^chorus_storage_operation_duration_seconds_count\{operation="store",outcome="ok"\} 1$/m)
    expect(text).toMatch(/^chorus_storage_operation_duration_seconds_count\{operation="retrieve",outcome="error"\} 1$/m)
    expect(text).not.toMatch(/^[a-z_]+_ms(?:\{| )/m)
  })

  it('includes the Node.js runtime metrics: event-loop lag, GC, memory', async () => {
    const text = await new NodeMetrics({ startedAt: () => 0 }).text()
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'))
    }
  })

  it('keeps one registry per node: two nodes in one process do not share counts', async () => {
    const one = new NodeMetrics({ startedAt: () => 0 })
    const two = new NodeMetrics({ startedAt: () => 0 })
    one.observeHttp(200, '/status', 'GET', 0.01)
    expect(await one.text()).toMatch(/^chorus_http_responses_total\{code="200"\} 1$/m)
    expect(await two.text()).not.toMatch(/^chorus_http_responses_total\{/m)
  })

  it('passes promtool check metrics', async () => {
    const m = new NodeMetrics({ storage: () => storage, replication: () => replication, rejectedRecords: () => new Map([['version-conflict', 1]]), startedAt: () => Date.now() })
    m.observeHttp(200, '/status', 'GET', 0.003)
    m.timeStorage('store')('ok')
    expect(promtool(await m.text())).toEqual({ status: 0, out: '' })
    // and the check can fail: a millisecond gauge is flagged
    expect(promtool('# HELP x_latency_ms Latency.\n# TYPE x_latency_ms gauge\nx_latency_ms 3\n').status).not.toBe(0)
  })

  it('renames libp2p\'s gauges named _total or _milliseconds so that promtool passes, and leaves the rest as they are', () => {
    // a counter keeps its _total, other gauges keep their names
    const kept = [
      '# HELP libp2p_kad_dht_outbound_rpc_requests_total Requests.',
      '# TYPE libp2p_kad_dht_outbound_rpc_requests_total counter',
      'libp2p_kad_dht_outbound_rpc_requests_total{PUT_VALUE="x"} 3',
      '# HELP libp2p_dial_queue Dials.',
      '# TYPE libp2p_dial_queue gauge',
      'libp2p_dial_queue{x="a b"} 1'
    ]
    const libp2p = [
      '# HELP libp2p_kad_dht_operations_total In-flight operations.',
      '# TYPE libp2p_kad_dht_operations_total gauge',
      'libp2p_kad_dht_operations_total{operation="GET_VALUE"} 2',
      '# HELP libp2p_kad_dht_routing_table_kad_bucket_total Buckets.',
      '# TYPE libp2p_kad_dht_routing_table_kad_bucket_total gauge',
      'libp2p_kad_dht_routing_table_kad_bucket_total 5',
      '# HELP libp2p_kad_dht_network_message_send_times_milliseconds Send times.',
      '# TYPE libp2p_kad_dht_network_message_send_times_milliseconds gauge',
      'libp2p_kad_dht_network_message_send_times_milliseconds{average="success"} 1500',
      'libp2p_kad_dht_network_message_send_times_milliseconds{average="timeout"} 4',
      ...kept,
      ''
    ].join('\n')
    const before = promtool(libp2p)
    expect(before.status).toBe(3)
    expect(before.out).toMatch(/operations_total non-counter metrics should not have "_total" suffix/)
    expect(before.out).toMatch(/send_times_milliseconds use base unit "seconds"/)
    const after = conventionalNames(libp2p)
    expect(promtool(after)).toEqual({ status: 0, out: '' })
    expect(after.split('\n')).toEqual([
      '# HELP libp2p_kad_dht_operations In-flight operations. (libp2p\'s libp2p_kad_dht_operations_total)',
      '# TYPE libp2p_kad_dht_operations gauge',
      'libp2p_kad_dht_operations{operation="GET_VALUE"} 2',
      // not _bucket, the suffix of a histogram's samples
      '# HELP libp2p_kad_dht_routing_table_kad_buckets Buckets. (libp2p\'s libp2p_kad_dht_routing_table_kad_bucket_total)',
      '# TYPE libp2p_kad_dht_routing_table_kad_buckets gauge',
      'libp2p_kad_dht_routing_table_kad_buckets 5',
      '# HELP libp2p_kad_dht_network_message_send_times_seconds Send times. (libp2p\'s libp2p_kad_dht_network_message_send_times_milliseconds, in seconds)',
      '# TYPE libp2p_kad_dht_network_message_send_times_seconds gauge',
      'libp2p_kad_dht_network_message_send_times_seconds{average="success"} 1.5',
      'libp2p_kad_dht_network_message_send_times_seconds{average="timeout"} 0.004',
      ...kept,
      ''
    ])
    expect(conventionalNames('# TYPE a gauge\na 1\n')).toBe('# TYPE a gauge\na 1\n')
  })
})
