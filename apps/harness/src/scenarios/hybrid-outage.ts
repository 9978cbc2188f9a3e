import { waitForRoutingTables } from '@chorus-dht/dht-core/testing'
import { hybridDHT, mockDHT } from '@chorus-dht/hybrid-mock'
import { peerIdFromString } from '@libp2p/peer-id'
import { headKey } from '@chorus-dht/ucxl'
import { MemoryDatastore } from 'datastore-core'
import { HARNESS_NAMESPACE, createCluster, harnessPolicy } from '../cluster.js'
import { DEFAULT_CONDITION_TIMEOUT, DEFAULT_SEED, HARNESS_PROJECT, MAX_NODES } from '../constants.js'
import { InvalidParametersError } from '../errors.js'
import { isolate } from '../faults.js'
import { ResultRecorder } from '../result.js'
import { bytesEqual, checkNodes, checkPositive, checkSeed, describeError, text, until } from '../util.js'
import type { Cluster, ClusterNode } from '../cluster.js'
import type { Fault } from '../faults.js'
import type { ScenarioResult } from '../result.js'
import type { Scenario, ScenarioOptions } from '../scenario.js'
import type { HybridDHT } from '@chorus-dht/hybrid-mock'

/** How the real backend fails. */
export type OutageFault = 'stop' | 'isolate'

/** Options of the `hybrid-outage` scenario. */
export interface HybridOutageOptions extends ScenarioOptions {
  /** Writes in each phase: before, during and after the outage. @default 3 */
  writes?: number
  /**
   * `stop`: the edge node's dht-core node is stopped and restarted.
   * `isolate`: it keeps running but every connection to it is cut (a
   * connection gater) and later restored.
   * @default 'stop'
   */
  fault?: OutageFault
  /** Consecutive failures that fail the real backend over to the mock. @default 2 */
  maxConsecutiveFailures?: number
  /**
   * The hybrid's own health-check interval, ms. `0` turns its loop off and
   * the harness calls `checkHealth()` itself once the real backend rejoined.
   * @default 0
   */
  healthCheckInterval?: number
  /**
   * With `fault: 'stop'`: ms between restarting the dht-core node and
   * re-dialling its peers, as a bootstrap after dht-core's join stagger
   * (up to 2 s by default) would. @default 0
   */
  rejoinDelay?: number
}

const NAME = 'hybrid-outage'
const DESCRIPTION = 'An edge node runs HybridDHT over its dht-core node with a MockDHT fallback and a journal in a MemoryDatastore, and encrypted storage on the hybrid; its real backend fails, writes (raw DHT puts and storage stores) continue via the mock, recovery replays the journal, and every acknowledged write is readable from every other real node.'
const ROLE = 'backend_developer'

interface Write {
  phase: 'before' | 'outage' | 'after'
  /** `storage`: storeUCXLContent on the edge node; `dht`: a raw putValue on its hybrid. */
  layer: 'storage' | 'dht'
  /** A UCXL address (storage) or a DHT key (dht). */
  address: string
  content: Uint8Array
  acknowledged: boolean
  error?: string
  /** The backend active right after the write. */
  backend?: string
}

/** Runs the scenario; see the package README. */
export async function hybridOutage (options: HybridOutageOptions = {}): Promise<ScenarioResult> {
  const nodes = checkNodes(options.nodes ?? 8, 4, MAX_NODES)
  const seed = checkSeed(options.seed ?? DEFAULT_SEED)
  const writes = checkPositive('writes', options.writes ?? 3)
  const fault = options.fault ?? 'stop'
  if (fault !== 'stop' && fault !== 'isolate') throw new InvalidParametersError(`fault must be "stop" or "isolate", got ${String(fault)}`)
  const maxFailures = checkPositive('maxConsecutiveFailures', options.maxConsecutiveFailures ?? 2)
  const healthCheckInterval = options.healthCheckInterval ?? 0
  const rejoinDelay = options.rejoinDelay ?? 0
  for (const [name, value] of [['healthCheckInterval', healthCheckInterval], ['rejoinDelay', rejoinDelay]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new InvalidParametersError(`${name} must be a non-negative integer, got ${String(value)}`)
  }
  const log = options.log ?? (() => {})
  const rec = new ResultRecorder(NAME, DESCRIPTION, { nodes, seed, writes, fault, maxConsecutiveFailures: maxFailures, healthCheckInterval, rejoinDelay })
  const policy = harnessPolicy()
  let cluster: Cluster | undefined
  let hybrid: HybridDHT | undefined
  let cut: Fault | undefined
  try {
    log(`forming a network of ${nodes} dht-core nodes; node 0 runs HybridDHT`)
    cluster = await createCluster({
      nodes,
      seed,
      roleOf: () => ROLE,
      storageDHT: (index, dht) => {
        if (index !== 0) return dht
        hybrid = hybridDHT({
          useRealDHT: true,
          fallbackOnError: true,
          maxConsecutiveFailures: maxFailures,
          // 0: the harness ticks the health check itself (checkHealth), at defined moments
          healthCheckInterval: healthCheckInterval === 0 ? 2 ** 31 - 1 : healthCheckInterval,
          backendTimeout: 5_000,
          probeTimeout: 5_000,
          selectors: policy.selectors
        })({
          real: dht,
          mock: mockDHT({ peerId: dht.peerId, ...policy })(),
          datastore: new MemoryDatastore()
        })
        return hybrid
      }
    })
    rec.timing('network formation', cluster.formationMs)
    if (hybrid == null) throw new Error('the hybrid was not built')
    const hdht = hybrid
    await hdht.start()
    const all = cluster.nodes
    const edge = all[0]
    const others = all.slice(1)
    const minTable = Math.min(nodes - 1, 20)

    const made: Write[] = []
    const write = async (phase: Write['phase'], i: number): Promise<void> => {
      // a raw DHT record through the hybrid, then encrypted content through the storage on it
      const key = `/${HARNESS_NAMESPACE}/${NAME}-${seed}-${phase}-${i}`
      const d: Write = { phase, layer: 'dht', address: key, content: text(`harness:${NAME} seed ${seed} ${phase} write ${i}`), acknowledged: false }
      made.push(d)
      try {
        await rec.time(`dht put (${phase})`, async () => hdht.putValue(key, d.content))
        d.acknowledged = true
      } catch (err) {
        d.error = describeError(err)
      }
      d.backend = hdht.activeBackend
      const address = `ucxl://edge:${ROLE}@${HARNESS_PROJECT}:${NAME}/*^/seed-${seed}/${phase}-${i}`
      const w: Write = { phase, layer: 'storage', address, content: text(`${NAME} seed ${seed} ${phase} store ${i}`), acknowledged: false }
      made.push(w)
      try {
        await rec.time(`store (${phase})`, async () => edge.storage.storeUCXLContent(address, w.content, ROLE, 'text/plain'))
        w.acknowledged = true
      } catch (err) {
        w.error = describeError(err)
      }
      w.backend = hdht.activeBackend
    }

    log('phase 1: writes on the healthy real backend')
    for (let i = 1; i <= writes; i++) await write('before', i)
    rec.check('real-backend-first', 'Before the outage the hybrid serves from the real backend and journals nothing.',
      made.every(w => w.backend === 'real') && hdht.pendingWrites === 0, `backends ${made.map(w => w.backend).join(',')}, pending ${hdht.pendingWrites}`)

    log(`phase 2: the real backend fails (${fault})`)
    const outageStart = performance.now()
    if (fault === 'stop') {
      await edge.dht.stop()
    } else {
      cut = await isolate(edge.dht, all.map(n => n.dht))
      // An isolated node answers its calls (locally), so only the health
      // loop can notice the outage: run its probes as the loop would.
      for (let i = 0; i < 10 && hdht.activeBackend === 'real'; i++) await hdht.checkHealth().catch(() => {})
    }
    for (let i = 1; i <= writes; i++) await write('outage', i)
    const outage = made.filter(w => w.phase === 'outage')
    const pendingAtEnd = hdht.pendingWrites
    rec.count('journaled writes at the end of the outage', pendingAtEnd)
    rec.count('active backend is mock at the end of the outage (1 yes)', hdht.activeBackend === 'mock' ? 1 : 0)
    for (const layer of ['dht', 'storage'] as const) {
      const ws = outage.filter(w => w.layer === layer)
      const failed = ws.filter(w => !w.acknowledged)
      rec.check(`outage-${layer}-writes-acknowledged`, layer === 'dht'
        ? 'Every raw DHT put on the hybrid during the outage is acknowledged (the caller sees no error).'
        : 'Every storeUCXLContent on the hybrid during the outage is acknowledged (the caller sees no error).',
      failed.length === 0, failed.length === 0 ? `${ws.length} of ${ws.length} acknowledged` : `${failed.length} of ${ws.length} failed; first: ${failed[0].error}`)
    }
    rec.check('fallback-engaged', 'The outage is noticed: the hybrid fails over to the mock and journals the writes it takes.',
      hdht.activeBackend === 'mock' && pendingAtEnd > 0, `active ${hdht.activeBackend}, ${pendingAtEnd} journaled writes, real backend ${hdht.getBackendHealth().real.status}`)

    log('phase 3: the real backend recovers')
    const recoveryStart = performance.now()
    if (fault === 'stop') {
      await edge.dht.start()
      if (rejoinDelay > 0) {
        // models the join stagger before a restarted node's first bootstrap dial
        await new Promise(resolve => setTimeout(resolve, rejoinDelay))
      }
      // the node rejoins through its former peers, as a bootstrap would
      await Promise.all(others.map(async n => edge.dht.libp2p.dial(peerIdFromString(n.peerId), { signal: AbortSignal.timeout(10_000) }).catch(() => {})))
      await waitForRoutingTables([edge.dht], minTable, DEFAULT_CONDITION_TIMEOUT)
    } else {
      await cut?.heal({ minRoutingTableSize: minTable })
    }
    let recovered = true
    try {
      await until(async () => {
        await hdht.checkHealth().catch(() => {})
        return hdht.activeBackend === 'real' && hdht.pendingWrites === 0
      }, 'the hybrid to replay its journal and switch back to the real backend', DEFAULT_CONDITION_TIMEOUT, 100)
    } catch {
      recovered = false
    }
    rec.timing('recovery (rejoin, probe, replay)', performance.now() - recoveryStart)
    rec.timing('outage (fault to recovered)', performance.now() - outageStart)
    rec.check('replayed', 'After recovery the hybrid is back on the real backend with an empty journal.', recovered,
      `active ${hdht.activeBackend}, ${hdht.pendingWrites} journaled writes left, real backend ${hdht.getBackendHealth().real.status}`)

    for (let i = 1; i <= writes; i++) await write('after', i)

    // every acknowledged write, read by every other real node (plain dht-core + storage)
    log('every other node reads every acknowledged write')
    const unread: string[] = []
    const rows: Array<Array<string | number>> = []
    for (const w of made) {
      if (!w.acknowledged) {
        rows.push([w.phase, w.layer, w.address.split('/').pop() ?? '', `no: ${w.error ?? ''}`, w.backend ?? '', '-'])
        continue
      }
      const ok = await Promise.all(others.map(async (reader: ClusterNode) => {
        try {
          if (w.layer === 'dht') return bytesEqual(await rec.time('dht get (other node)', async () => reader.dht.getValue(w.address, { quorum: 3 })), w.content)
          const got = await rec.time('retrieve (other node)', async () => reader.storage.retrieveUCXLContent(w.address, { noCache: true }))
          return bytesEqual(got.content, w.content)
        } catch (err) {
          if (unread.length < 5) rec.note(`node ${reader.index} could not read ${w.phase} ${w.layer} write ${w.address}: ${describeError(err)}`)
          return false
        }
      }))
      const readers = ok.filter(Boolean).length
      if (readers !== others.length) unread.push(`${w.phase} ${w.layer} write ${w.address} readable by ${readers} of ${others.length} nodes`)
      rows.push([w.phase, w.layer, w.address.split('/').pop() ?? '', 'yes', w.backend ?? '', `${readers}/${others.length}`])
    }
    rec.table({ title: 'Writes', columns: ['phase', 'layer', 'key or path', 'acknowledged', 'backend after the write', 'other nodes reading it'], rows })
    const acknowledged = made.filter(w => w.acknowledged).length
    rec.count('writes acknowledged', acknowledged)
    rec.count('writes', made.length)
    rec.check('acknowledged-writes-readable', 'Every acknowledged write (before, during and after the outage) is readable, byte for byte, from every other real node.',
      unread.length === 0, unread.length === 0 ? `${acknowledged} writes readable from ${others.length} nodes` : `${unread.length} of ${acknowledged} not readable everywhere; first: ${unread[0]}`)
    // ground truth: which other nodes hold a copy in their own store
    const unreplicated: string[] = []
    for (const w of made.filter(w => w.acknowledged)) {
      const key = w.layer === 'dht' ? w.address : headKey(w.address)
      let holders = 0
      for (const n of others) {
        if (await n.dht.getValueFromPeer(n.peerId, key).catch(() => undefined) != null) holders++
      }
      if (holders === 0) unreplicated.push(`${w.phase} ${w.layer} write ${w.address.split('/').pop() ?? ''}`)
    }
    rec.check('acknowledged-writes-replicated', 'Every acknowledged write is held by at least one other node\'s store after recovery (not only by the edge node, where only queries that happen to reach it would find it).',
      unreplicated.length === 0, unreplicated.length === 0 ? `${acknowledged} writes held elsewhere` : `${unreplicated.length} of ${acknowledged} held only by the edge node; first: ${unreplicated[0]}`)
    const metrics = hdht.getMetrics()
    rec.count('real backend operations', metrics.real.operations)
    rec.count('real backend errors', metrics.real.errors)
    rec.count('mock backend operations', metrics.mock.operations)
    rec.note(healthCheckInterval === 0
      ? 'The hybrid\'s periodic health loop is off (interval 2^31-1 ms): the harness calls checkHealth() itself after the real backend rejoined, so a probe never runs between restart and reconnection.'
      : `The hybrid's own health loop runs every ${healthCheckInterval} ms; the harness also calls checkHealth() after the real backend rejoined.`)
    rec.note(fault === 'stop'
      ? 'Fault: the edge node\'s dht-core node is stopped (its operations reject NotStartedError), then restarted on the same datastore and key and re-dialled to its former peers.'
      : 'Fault: every connection to the edge node is cut with a connection gater (libp2p internal components.connectionGater); its dht-core node keeps running, alone.')
    return rec.finish()
  } catch (err) {
    return rec.finish(err)
  } finally {
    await cut?.heal().catch(() => {})
    await hybrid?.stop()
    await cluster?.stop()
  }
}

/** The `hybrid-outage` scenario. */
export const hybridOutageScenario: Scenario = {
  name: NAME,
  description: DESCRIPTION,
  defaultNodes: 8,
  minNodes: 4,
  params: [
    { name: 'writes', description: 'writes in each phase (before, during, after the outage)', type: 'integer', default: 3 },
    { name: 'fault', description: 'how the real backend fails', type: 'string', default: 'stop', choices: ['stop', 'isolate'] },
    { name: 'maxConsecutiveFailures', description: 'consecutive failures that fail the real backend over', type: 'integer', default: 2 },
    { name: 'healthCheckInterval', description: 'the hybrid\'s own health loop interval in ms (0: off, the harness ticks it after the rejoin)', type: 'integer', default: 0 },
    { name: 'rejoinDelay', description: 'ms between restarting the stopped node and re-dialling its peers (join stagger)', type: 'integer', default: 0 }
  ],
  run: hybridOutage
}
