import { HARNESS_NAMESPACE, harnessPolicy } from '../cluster.js'
import { DEFAULT_FORMATION_TIMEOUT, DEFAULT_SEED, MAX_NODES } from '../constants.js'
import { InvalidParametersError } from '../errors.js'
import { formNetwork } from '../network.js'
import { ResultRecorder } from '../result.js'
import { bytesEqual, checkNodes, checkPositive, checkSeed, describeError, nodeKey, randomFor, text } from '../util.js'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'
import type { ScenarioResult } from '../result.js'
import type { Scenario, ScenarioOptions } from '../scenario.js'

/** Options of the `scale` scenario. */
export interface ScaleOptions extends ScenarioOptions {
  /** Puts (each followed by a get from another node). @default 100 */
  ops?: number
  /** Operations in flight at once. @default 4 */
  concurrency?: number
  /** Value size, bytes. @default 1024 */
  valueSize?: number
  /** ms the network may take to fill its routing tables; the operations run anyway after it. @default 300000 */
  formationTimeout?: number
  /** The network is formed when every routing table holds this many distinct peers. @default min(nodes - 1, 20) */
  minRoutingTable?: number
  /** ms of idle time over which the process's CPU use is measured after formation; 0 skips it. @default 3000 */
  idleWindow?: number
}

const NAME = 'scale'
const DESCRIPTION = 'Forms a dht-core network of N nodes over the memory transport (bounded, retried dials) and measures formation time, put/get latency (p50/p95) between random nodes, failed operations and memory per node.'
const MiB = 1024 * 1024

/** Runs the scenario; see the package README. */
export async function scale (options: ScaleOptions = {}): Promise<ScenarioResult> {
  const nodes = checkNodes(options.nodes ?? 50, 2, MAX_NODES)
  const seed = checkSeed(options.seed ?? DEFAULT_SEED)
  const ops = checkPositive('ops', options.ops ?? 100)
  const concurrency = checkPositive('concurrency', options.concurrency ?? 4)
  const valueSize = checkPositive('valueSize', options.valueSize ?? 1024)
  const formationTimeout = checkPositive('formationTimeout', options.formationTimeout ?? DEFAULT_FORMATION_TIMEOUT)
  const minTable = checkPositive('minRoutingTable', options.minRoutingTable ?? Math.max(1, Math.min(nodes - 1, 20)))
  const idleWindow = options.idleWindow ?? 3_000
  if (!Number.isInteger(idleWindow) || idleWindow < 0) throw new InvalidParametersError(`idleWindow must be a non-negative integer, got ${String(idleWindow)}`)
  const log = options.log ?? (() => {})
  const rec = new ResultRecorder(NAME, DESCRIPTION, { nodes, seed, ops, concurrency, valueSize, minRoutingTable: minTable, formationTimeout })
  const random = randomFor(seed, NAME)
  let net: TestNetwork | undefined
  try {
    const keys = await Promise.all(Array.from({ length: nodes }, async (_, i) => nodeKey(seed, i)))
    // settle the heap a little so the per-node figure means something
    ;(globalThis as { gc?: () => void }).gc?.()
    const before = process.memoryUsage()
    log(`forming a network of ${nodes} dht-core nodes`)
    // a slow formation is reported, and the operations still run on what formed
    const formed = await formNetwork(nodes, {
      init: harnessPolicy(),
      components: i => ({ privateKey: keys[i] }),
      minRoutingTableSize: minTable,
      timeout: formationTimeout,
      random: randomFor(seed, `${NAME}/dials`)
    })
    net = formed
    const formationError = formed.formationError
    rec.timing('connect (dials done)', formed.connectMs)
    rec.timing(formationError == null ? 'network formation' : 'network formation (timed out)', formed.formationMs)
    rec.count('failed dials', formed.failedDials)
    if (formationError != null) rec.note(`formation: ${formationError}`)
    ;(globalThis as { gc?: () => void }).gc?.()
    const memory = process.memoryUsage()
    rec.count('rss per node after formation (KiB)', Math.round((memory.rss - before.rss) / nodes / 1024))
    rec.count('heap used per node after formation (KiB)', Math.round((memory.heapUsed - before.heapUsed) / nodes / 1024))
    const tables = net.nodes.map(n => n.getRoutingTablePeers().length)
    if (idleWindow > 0) {
      // a measurement window, not a wait for a condition
      const cpu0 = process.cpuUsage()
      const w0 = performance.now()
      await new Promise(resolve => setTimeout(resolve, idleWindow))
      const cpu = process.cpuUsage(cpu0)
      rec.count('idle CPU after formation (% of one core)', Math.round((cpu.user + cpu.system) / 1000 / (performance.now() - w0) * 1000) / 10)
    }
    rec.count('routing table peers (min)', Math.min(...tables))
    rec.count('routing table peers (mean)', Math.round(tables.reduce((a, b) => a + b, 0) / tables.length))

    log(`${ops} puts and gets between random nodes, ${concurrency} at a time`)
    const network = net
    let putFailures = 0
    let getFailures = 0
    let wrongValues = 0
    const remotePeers: number[] = []
    const failures: string[] = []
    const pad = 'x'.repeat(Math.max(0, valueSize - 64))
    let next = 0
    const plan = Array.from({ length: ops }, (_, i) => {
      const writer = Math.floor(random.next() * nodes)
      let reader = Math.floor(random.next() * nodes)
      if (nodes > 1 && reader === writer) reader = (reader + 1) % nodes
      return { i, writer, reader }
    })
    const worker = async (): Promise<void> => {
      while (next < plan.length) {
        const { i, writer, reader } = plan[next++]
        const key = `/${HARNESS_NAMESPACE}/scale-${seed}-${i}`
        const value = text(`harness:${String(i).padStart(8, '0')}:${pad}`.slice(0, valueSize))
        try {
          const t0 = performance.now()
          const put = await rec.time('put', async () => network.nodes[writer].putValue(key, value))
          remotePeers.push(put.remotePeers)
          if (put.remotePeers === 0 && failures.length < 5) failures.push(`put ${i} on node ${writer} resolved after ${Math.round(performance.now() - t0)} ms having reached no remote peer`)
        } catch (err) {
          putFailures++
          if (failures.length < 5) failures.push(`put ${i} on node ${writer}: ${describeError(err)}`)
          continue
        }
        // a reader among the key's closest peers holds a copy and answers locally
        const local = await network.nodes[reader].getValueFromPeer(network.nodes[reader].peerId, key).catch(() => undefined)
        try {
          const got = await rec.time(local != null ? 'get (reader holds a copy)' : 'get (from the network)', async () => network.nodes[reader].getValue(key))
          if (!bytesEqual(got, value)) wrongValues++
        } catch (err) {
          getFailures++
          if (failures.length < 5) failures.push(`get ${i} on node ${reader}: ${describeError(err)}`)
        }
      }
    }
    const tOps = performance.now()
    await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker))
    const opsMs = performance.now() - tOps
    rec.count('puts', ops)
    rec.count('failed puts', putFailures)
    rec.count('failed gets', getFailures)
    rec.count('gets with a wrong value', wrongValues)
    rec.count('remote peers per put (mean)', remotePeers.length === 0 ? 0 : Math.round(remotePeers.reduce((a, b) => a + b, 0) / remotePeers.length * 10) / 10)
    rec.count('operations per second (put+get pairs)', Math.round(ops / (opsMs / 1000) * 10) / 10)
    ;(globalThis as { gc?: () => void }).gc?.()
    const after = process.memoryUsage()
    rec.count('rss per node after the operations (KiB)', Math.round((after.rss - before.rss) / nodes / 1024))
    rec.count('process rss (MiB)', Math.round(after.rss / MiB))
    for (const f of failures) rec.note(f)

    rec.check('network-formed', `Every node's routing table holds at least ${minTable} distinct peers within ${formationTimeout} ms.`, formationError == null && Math.min(...tables) >= minTable,
      `routing tables hold ${Math.min(...tables)}..${Math.max(...tables)} peers${formationError != null ? `; ${tables.filter(t => t < minTable).length} nodes short at the deadline` : ''}`)
    rec.check('puts-succeed', 'Every put resolves and reaches at least one remote peer.', putFailures === 0 && remotePeers.every(p => p > 0),
      `${putFailures} failed of ${ops}; ${remotePeers.filter(p => p === 0).length} reached no remote peer`)
    rec.check('gets-correct', 'Every get from another node returns the value put.', getFailures === 0 && wrongValues === 0,
      `${getFailures} failed, ${wrongValues} wrong of ${ops - putFailures}`)
    rec.note('Gets are timed in two series: readers that hold a copy themselves (among the key\'s closest peers: every node when N <= 21) answer locally; the others query the network.')
    rec.note('Memory per node is the growth of the whole process (RSS and V8 heap) divided by N, measured from before the nodes were created; run node with --expose-gc for steadier figures.')
    rec.note('Timings come from one process on a shared machine: compare runs on the same machine only; the load average is in the environment line.')
    return rec.finish()
  } catch (err) {
    return rec.finish(err)
  } finally {
    await net?.stop()
  }
}

/** The `scale` scenario. */
export const scaleScenario: Scenario = {
  name: NAME,
  description: DESCRIPTION,
  defaultNodes: 50,
  minNodes: 2,
  params: [
    { name: 'ops', description: 'puts, each followed by a get from another node', type: 'integer', default: 100 },
    { name: 'concurrency', description: 'operations in flight at once', type: 'integer', default: 4 },
    { name: 'valueSize', description: 'value size in bytes', type: 'integer', default: 1024 },
    { name: 'formationTimeout', description: 'ms the network may take to fill its routing tables (the operations run anyway)', type: 'integer', default: 300000 },
    { name: 'minRoutingTable', description: 'distinct routing-table peers every node needs for the network to count as formed (default min(N - 1, 20))', type: 'integer', default: 20 },
    { name: 'idleWindow', description: 'ms over which idle CPU is measured after formation (0 skips)', type: 'integer', default: 3000 }
  ],
  run: scale
}
