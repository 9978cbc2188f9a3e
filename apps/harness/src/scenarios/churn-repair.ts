import { replicationManager } from '@chorus-dht/replication'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { createCluster } from '../cluster.js'
import { DEFAULT_CONDITION_TIMEOUT, DEFAULT_SEED, HARNESS_PROJECT, MAX_NODES } from '../constants.js'
import { evictUnreachable } from '../faults.js'
import { ResultRecorder } from '../result.js'
import { bytesEqual, checkNodes, checkPositive, checkSeed, describeError, randomFor, sample, text, until } from '../util.js'
import type { Cluster, ClusterNode } from '../cluster.js'
import type { ReplicationManager } from '@chorus-dht/replication'
import type { ReplicationHealth } from '@chorus-dht/types'
import type { ScenarioResult } from '../result.js'
import type { Scenario, ScenarioOptions } from '../scenario.js'

/** Options of the `churn-repair` scenario. */
export interface ChurnRepairOptions extends ScenarioOptions {
  /** Content items stored. @default 6 */
  items?: number
  /** Nodes that store the items and run a replication manager for them. @default 3 */
  writers?: number
  /** Replication factor of every item. @default 3 */
  replicationFactor?: number
  /** Fraction of the (non-writer) holders stopped. @default 1/3 */
  churn?: number
  /** How long the repairs may take, ms. @default 60000 */
  repairTimeout?: number
  /**
   * Run a failure-detector pass after the churn: survivors drop routing-table
   * peers they cannot dial (see `evictUnreachable`). Without it, js kad-dht
   * keeps dead contacts in a small network and repairs keep aiming at them.
   * @default true
   */
  evictDeadPeers?: boolean
}

const NAME = 'churn-repair'
const DESCRIPTION = 'Content is stored with replication factor 3 and tracked by @chorus-dht/replication; a third of the nodes holding it stop; health is measured (degraded/critical) against the ground truth and repaired back to healthy; availability of every item is reported before and after.'
const ROLE = 'backend_developer'

interface Item {
  index: number
  address: string
  content: Uint8Array
  writer: ClusterNode
  manager: ReplicationManager
  keys: string[]
}

function healthOf (replicas: number, factor: number): ReplicationHealth {
  return replicas >= factor ? 'healthy' : replicas > 0 ? 'degraded' : 'critical'
}

/** Running nodes whose own store holds a valid copy of `key`. */
async function holdersOf (key: string, nodes: ClusterNode[]): Promise<ClusterNode[]> {
  const out: ClusterNode[] = []
  for (const node of nodes) {
    if (!node.dht.isStarted()) continue
    if (await node.dht.getValueFromPeer(node.peerId, key).catch(() => undefined) != null) out.push(node)
  }
  return out
}

/** For each item, how many running nodes retrieve its latest content (no cache); failures are noted. */
async function availability (items: Item[], nodes: ClusterNode[], rec: ResultRecorder, phase: string): Promise<number[]> {
  const running = nodes.filter(n => n.dht.isStarted())
  return Promise.all(items.map(async item => {
    const ok = await Promise.all(running.map(async node => {
      try {
        const got = await rec.time(`retrieve (${phase})`, async () => node.storage.retrieveUCXLContent(item.address, { noCache: true }))
        if (bytesEqual(got.content, item.content)) return true
        rec.note(`${phase}: node ${node.index} read other content for item ${item.index}`)
      } catch (err) {
        rec.note(`${phase}: node ${node.index} could not retrieve item ${item.index}: ${describeError(err)}`)
      }
      return false
    }))
    return ok.filter(Boolean).length
  }))
}

/** Runs the scenario; see the package README. */
export async function churnRepair (options: ChurnRepairOptions = {}): Promise<ScenarioResult> {
  const nodes = checkNodes(options.nodes ?? 12, 6, MAX_NODES)
  const seed = checkSeed(options.seed ?? DEFAULT_SEED)
  const itemCount = checkPositive('items', options.items ?? 6)
  const writerCount = Math.min(checkPositive('writers', options.writers ?? 3), nodes - 4)
  const factor = checkPositive('replicationFactor', options.replicationFactor ?? 3)
  const churn = options.churn ?? 1 / 3
  const repairTimeout = options.repairTimeout ?? DEFAULT_CONDITION_TIMEOUT
  const evict = options.evictDeadPeers ?? true
  const log = options.log ?? (() => {})
  const rec = new ResultRecorder(NAME, DESCRIPTION, { nodes, seed, items: itemCount, writers: writerCount, replicationFactor: factor, churn, evictDeadPeers: evict })
  const random = randomFor(seed, NAME)
  let cluster: Cluster | undefined
  const managers: ReplicationManager[] = []
  try {
    // a small bucket makes a put reach only the few closest peers, as in a
    // network much larger than the replication factor; one more than the
    // factor because the node's own id can take a slot of the closest set
    const bucket = factor + 1
    log(`forming a network of ${nodes} dht-core nodes (kad bucket size ${bucket})`)
    cluster = await createCluster({ nodes, seed, roleOf: () => ROLE, kBucketSize: bucket, storage: { replicationFactor: factor, headQuorum: factor } })
    rec.timing('network formation', cluster.formationMs)
    const all = cluster.nodes
    const writers = sample(all, writerCount, random)
    for (const writer of writers) {
      const m = replicationManager({ replicationFactor: factor, repairBackoff: 250, maxRepairBackoff: 4_000, repairRateLimit: 1_000, checkInterval: 2 ** 31 - 1 })({ dht: writer.dht })
      await m.start()
      managers.push(m)
    }

    log(`storing ${itemCount} items`)
    const items: Item[] = []
    for (let i = 0; i < itemCount; i++) {
      const w = i % writers.length
      const writer = writers[w]
      const address = `ucxl://node-${writer.index}:${ROLE}@${HARNESS_PROJECT}:${NAME}/*^/seed-${seed}/item-${i}`
      const content = text(`${NAME} seed ${seed} item ${i} by node ${writer.index}`)
      const meta = await rec.time('store', async () => writer.storage.storeUCXLContent(address, content, ROLE, 'text/plain'))
      items.push({ index: i, address, content, writer, manager: managers[w], keys: [headKey(address), versionKey(address, meta.version)] })
    }
    const keys = items.flatMap(item => item.keys.map(key => ({ item, key })))

    const before = await Promise.all(keys.map(async ({ item, key }) => rec.time('measure (addContent)', async () => item.manager.addContent(key, item.content.byteLength, 1))))
    const truthBefore = await Promise.all(keys.map(async ({ key }) => holdersOf(key, all)))
    rec.check('healthy-before', `Every key is measured healthy (at least ${factor} replicas) right after the store.`, before.every(s => s.health === 'healthy'),
      `${before.filter(s => s.health === 'healthy').length} of ${keys.length} healthy; replicas ${before.map(s => s.actualReplicas).join(',')}`)
    const availBefore = await availability(items, all, rec, 'before churn')

    // churn: stop a share of the nodes holding copies (not the writers, which
    // run the managers): first enough holders of item 0's version key to leave
    // it below the factor, so at least one key degrades, then others at random
    const holders = [...new Set(truthBefore.flat())].filter(n => !writers.includes(n))
    const victimCount = Math.max(1, Math.ceil(holders.length * churn))
    const target = truthBefore[1].filter(n => !writers.includes(n))
    const first = sample(target, Math.min(victimCount, Math.max(0, truthBefore[1].length - factor + 1)), random)
    const victims = [...first, ...sample(holders.filter(n => !first.includes(n)), victimCount - first.length, random)]
    log(`stopping ${victims.length} of ${holders.length} non-writer holders`)
    await rec.time('stop victims', async () => {
      for (const v of victims) {
        await v.storage.stop()
        await v.dht.stop()
      }
    })
    rec.count('holders (non-writer) before churn', holders.length)
    rec.count('nodes stopped', victims.length)

    if (evict) {
      const removed = await rec.time('failure detection (evict unreachable)', async () => evictUnreachable(all.map(n => n.dht)))
      rec.count('routing-table entries evicted', removed)
    }
    const truthAfter = await Promise.all(keys.map(async ({ key }) => holdersOf(key, all)))
    const measured = await Promise.all(keys.map(async ({ item, key }) => rec.time('measure (after churn)', async () => item.manager.checkReplication(key))))
    const mismatches = measured.map((s, i) => ({ s, truth: truthAfter[i].length })).filter(({ s, truth }) => s.health !== healthOf(truth, factor) || s.actualReplicas !== truth)
    rec.check('health-measured', 'After the churn, each key\'s measured replicas and health equal the ground truth (running nodes holding a valid copy).', mismatches.length === 0,
      mismatches.length === 0 ? `${keys.length} keys measured right` : `${mismatches.length} wrong; first: measured ${mismatches[0].s.actualReplicas} (${mismatches[0].s.health}), truth ${mismatches[0].truth}`)
    const census = { healthy: 0, degraded: 0, critical: 0 }
    for (const s of measured) census[s.health]++
    rec.count('keys degraded after churn', census.degraded)
    rec.count('keys critical after churn', census.critical)
    rec.count('keys healthy after churn', census.healthy)
    const availAfterChurn = await availability(items, all, rec, 'after churn')

    // repair: the managers repair on their own (auto replication); wait for healthy
    log('waiting for the repairs')
    const t0 = performance.now()
    const repairable = keys.filter((_, i) => truthAfter[i].length > 0)
    let repairError: string | undefined
    try {
      await until(() => repairable.every(({ item, key }) => item.manager.getReplicationStatus(key).health === 'healthy'), 'every key with a surviving copy to be healthy', repairTimeout, 100)
    } catch (err) {
      repairError = describeError(err)
    }
    rec.timing('repair to healthy', performance.now() - t0)
    const after = keys.map(({ item, key }) => item.manager.getReplicationStatus(key))
    const truthRepaired = await Promise.all(keys.map(async ({ key }) => holdersOf(key, all)))
    const stillShort = truthRepaired.map((h, i) => ({ h, i })).filter(({ h, i }) => truthAfter[i].length > 0 && h.length < factor)
    rec.check('repaired-to-healthy', 'Every key with a surviving copy is measured healthy again and really has at least the factor of copies on running nodes.',
      repairError == null && stillShort.length === 0 && after.every((s, i) => truthAfter[i].length === 0 || s.health === 'healthy'),
      repairError ?? (stillShort.length === 0 ? `${repairable.length} keys healthy; copies ${truthRepaired.map(h => h.length).join(',')}` : `${stillShort.length} keys below ${factor} copies`))
    const availAfter = await availability(items, all, rec, 'after repair')
    const running = all.filter(n => n.dht.isStarted()).length
    rec.check('available-after', 'Every item with a surviving copy is retrievable, byte for byte, from every running node after the repair.',
      items.every((item, i) => availAfter[i] === running || keys.every(({ item: it }, k) => it !== item || truthAfter[k].length === 0)),
      `available from ${availAfter.join(',')} of ${running} running nodes`)
    const metrics = managers.map(m => m.getMetrics())
    const repairs = metrics.reduce((n, m) => n + m.repairs, 0)
    const unhealthy = census.degraded + census.critical
    rec.check('repairs-counted', 'The managers\' metrics count at least one repair per key that was unhealthy.', repairs >= unhealthy - census.critical,
      `${repairs} repairs for ${unhealthy} unhealthy keys (${census.critical} critical)`)
    rec.count('repairs', repairs)
    rec.count('failed replications', metrics.reduce((n, m) => n + m.failedReplications, 0))

    rec.table({
      title: 'Keys: copies on running nodes and measured health',
      columns: ['item', 'key', 'copies before', 'health before', 'copies after churn', 'health after churn', 'copies after repair', 'health after repair'],
      rows: keys.map(({ item, key }, i) => [item.index, key === item.keys[0] ? 'head' : 'version', truthBefore[i].length, before[i].health, truthAfter[i].length, measured[i].health, truthRepaired[i].length, after[i].health])
    })
    rec.table({
      title: 'Availability: running nodes that retrieve the item',
      columns: ['item', 'before churn', 'after churn', 'after repair'],
      rows: items.map((item, i) => [item.index, `${availBefore[i]}/${nodes}`, `${availAfterChurn[i]}/${running}`, `${availAfter[i]}/${running}`])
    })
    rec.note(`kad-dht bucket size ${factor + 1}: a put reaches the few closest peers only (writer + ${factor}..${factor + 1} copies), as in a network much larger than the factor.`)
    rec.note('Victims: first holders of item 0\'s version key until it is below the factor (so at least one key degrades), then other holders at random (seeded).')
    rec.note(evict
      ? 'After the churn every survivor ran one failure-detector pass: routing-table peers it could not dial were removed (kad-dht internal routingTable.remove). The harness does not tell it which nodes stopped.'
      : 'No failure detection: stopped nodes stay in the survivors\' routing tables (js kad-dht evicts a contact only when its bucket overflows).')
    return rec.finish()
  } catch (err) {
    return rec.finish(err)
  } finally {
    for (const m of managers) await m.stop()
    await cluster?.stop()
  }
}

/** The `churn-repair` scenario. */
export const churnRepairScenario: Scenario = {
  name: NAME,
  description: DESCRIPTION,
  defaultNodes: 12,
  minNodes: 6,
  params: [
    { name: 'items', description: 'content items stored', type: 'integer', default: 6 },
    { name: 'writers', description: 'nodes that store items and run a replication manager', type: 'integer', default: 3 },
    { name: 'replicationFactor', description: 'replication factor (also the kad bucket size)', type: 'integer', default: 3 },
    { name: 'churn', description: 'fraction of the non-writer holders stopped', type: 'number', default: 1 / 3 },
    { name: 'repairTimeout', description: 'ms the repairs may take', type: 'integer', default: 60000 },
    { name: 'evictDeadPeers', description: 'run a failure-detector pass after the churn', type: 'boolean', default: true }
  ],
  run: churnRepair
}
