import { compareRecords, decodeRecord } from '@chorus-dht/encrypted-storage'
import { versionKey } from '@chorus-dht/ucxl'
import { createCluster } from '../cluster.js'
import { DEFAULT_SEED, HARNESS_PROJECT, MAX_NODES } from '../constants.js'
import { partition } from '../faults.js'
import { ResultRecorder } from '../result.js'
import { bytesEqual, checkNodes, checkPositive, checkSeed, describeError, randomFor, sample, shortId, text } from '../util.js'
import type { Cluster, ClusterNode } from '../cluster.js'
import type { ChorusRecord, ConflictReport } from '@chorus-dht/encrypted-storage'
import type { ScenarioResult } from '../result.js'
import type { Scenario, ScenarioOptions } from '../scenario.js'
import type { UCXLMetadata } from '@chorus-dht/types'

/** Options of the `partition-heal` scenario. */
export interface PartitionHealOptions extends ScenarioOptions {
  /** Stores of the shared address made by each side while partitioned. @default 2 */
  writes?: number
  /** Most reconcile rounds after the heal (a round runs `reconcile()` on every node). @default 5 */
  maxRounds?: number
}

const NAME = 'partition-heal'
const DESCRIPTION = 'Two halves of the network write the same address while partitioned (SPEC §6 concurrent writers); after the heal every node\'s head names the same newest version, every version key has one winner, and no write is silently lost.'
const ROLE = 'backend_developer'

interface Write {
  side: 'A' | 'B'
  writer: ClusterNode
  content: Uint8Array
  /** The acknowledged metadata; undefined when the store threw (its writer was told). */
  meta?: UCXLMetadata
  error?: string
}

/** Whether no node holds a record for the version just above `newest`. */
async function noVersionAbove (all: ClusterNode[], address: string, newest: number): Promise<boolean> {
  const key = versionKey(address, newest + 1)
  for (const node of all) {
    if (await node.dht.getValueFromPeer(node.peerId, key).catch(() => undefined) != null) return false
  }
  return true
}

/** Runs the scenario; see the package README. */
export async function partitionHeal (options: PartitionHealOptions = {}): Promise<ScenarioResult> {
  const nodes = checkNodes(options.nodes ?? 10, 4, MAX_NODES)
  const seed = checkSeed(options.seed ?? DEFAULT_SEED)
  const writes = checkPositive('writes', options.writes ?? 2)
  const maxRounds = checkPositive('maxRounds', options.maxRounds ?? 5)
  const log = options.log ?? (() => {})
  const rec = new ResultRecorder(NAME, DESCRIPTION, { nodes, seed, writes, maxRounds })
  const random = randomFor(seed, NAME)
  let cluster: Cluster | undefined
  try {
    log(`forming a network of ${nodes} dht-core nodes`)
    cluster = await createCluster({ nodes, seed, roleOf: () => ROLE })
    rec.timing('network formation', cluster.formationMs)
    const all = cluster.nodes
    const address = `ucxl://shared:${ROLE}@${HARNESS_PROJECT}:${NAME}/*^/seed-${seed}/plan`
    const minTable = Math.min(nodes - 1, 20)

    // version 1 is written before the partition, so both sides start from it
    const first = text(`${NAME} seed ${seed}: version 1, written before the partition`)
    await rec.time('store (connected)', async () => all[0].storage.storeUCXLContent(address, first, ROLE, 'text/plain'))

    const shuffled = sample(all, all.length, random)
    const sideA = shuffled.slice(0, Math.floor(nodes / 2))
    const sideB = shuffled.slice(Math.floor(nodes / 2))
    const sideOf = (n: ClusterNode): 'A' | 'B' => sideA.includes(n) ? 'A' : 'B'
    log(`partitioning into ${sideA.length} + ${sideB.length} nodes`)
    const fault = await rec.time('partition injection', async () => partition([sideA.map(n => n.dht), sideB.map(n => n.dht)]))
    const crossLinks = all.reduce((count, n) => count + n.dht.libp2p.getConnections().filter(c => fault.blocked.get(n.peerId)?.has(c.remotePeer.toString()) === true).length, 0)
    rec.check('partition-holds', 'While partitioned, no node holds a connection to the other side.', crossLinks === 0, `${crossLinks} connections across the cut`)

    // one writer per side stores `writes` versions concurrently with the other side
    const writerA = sample(sideA, 1, random)[0]
    const writerB = sample(sideB, 1, random)[0]
    const made: Write[] = []
    await Promise.all(([['A', writerA], ['B', writerB]] as const).map(async ([side, writer]) => {
      for (let i = 1; i <= writes; i++) {
        const w: Write = { side, writer, content: text(`${NAME} seed ${seed}: side ${side} write ${i} by node ${writer.index}`) }
        made.push(w)
        try {
          w.meta = await rec.time('store (partitioned)', async () => writer.storage.storeUCXLContent(address, w.content, ROLE, 'text/plain'))
        } catch (err) {
          w.error = describeError(err)
        }
      }
    }))
    rec.count('writes while partitioned', made.length)
    rec.count('writes acknowledged', made.filter(w => w.meta != null).length)
    rec.table({
      title: 'Writes while partitioned',
      columns: ['side', 'writer', 'content', 'acknowledged version', 'error'],
      rows: made.map(w => [w.side, w.writer.index, new TextDecoder().decode(w.content), w.meta?.version ?? '-', w.error ?? ''])
    })

    log('healing the partition')
    await rec.time('heal (reconnect and refill routing tables)', async () => { await fault.heal({ minRoutingTableSize: minTable }) })

    // the reconcile loop of every node, run as rounds until one finds nothing
    const reports: Array<{ node: ClusterNode, report: ConflictReport }> = []
    let rounds = 0
    const t0 = performance.now()
    for (; rounds < maxRounds; rounds++) {
      const found = await Promise.all(all.map(async node => {
        try {
          return (await node.storage.reconcile()).map(report => ({ node, report }))
        } catch (err) {
          rec.note(`reconcile on node ${node.index} failed: ${describeError(err)}`)
          return []
        }
      }))
      const round = found.flat()
      reports.push(...round)
      if (round.length === 0) break
    }
    rec.timing('reconcile until quiet', performance.now() - t0)
    rec.count('reconcile rounds with conflicts', rounds)
    rec.count('conflicts reported', reports.length)
    rec.table({
      title: 'Conflicts reported by reconcile()',
      columns: ['node', 'lost version', 'republished as version'],
      rows: reports.map(r => [r.node.index, r.report.lost.version, r.report.republished.version])
    })

    // every node's head
    const heads = await Promise.all(all.map(async node => {
      try {
        const got = await node.storage.retrieveUCXLContent(address, { noCache: true })
        return { node, version: got.metadata.version, hash: got.metadata.hash, signer: got.metadata.signer ?? '' }
      } catch (err) {
        return { node, version: -1, hash: describeError(err), signer: '' }
      }
    }))
    rec.table({
      title: 'Head per node after the heal',
      columns: ['node', 'side', 'head version', 'signer'],
      rows: heads.map(h => [h.node.index, sideOf(h.node), h.version, shortId(h.signer)])
    })
    const headKeys = new Set(heads.map(h => `${h.version}/${h.hash}`))
    const newest = Math.max(...heads.map(h => h.version))
    rec.check('heads-converge', 'Every node\'s head names the same version (same record).', headKeys.size === 1 && newest > 0,
      headKeys.size === 1 ? `all ${all.length} nodes name version ${newest}` : `${headKeys.size} different heads: ${[...new Set(heads.map(h => h.version))].join(', ')}`)

    // every version key: the winner the selector picks over every node's copy,
    // and the record each node's storage reads for it
    const versionProblems: string[] = []
    const versionRows: Array<Array<string | number>> = []
    const winners = new Map<number, { hash: string, signer: string }>()
    /** readable[v] = for each node, the content it reads at `*~v` */
    const readable = new Map<number, Map<ClusterNode, Uint8Array | undefined>>()
    for (let v = 1; v <= newest; v++) {
      const key = versionKey(address, v)
      const copies: ChorusRecord[] = []
      for (const node of all) {
        const local = await node.dht.getValueFromPeer(node.peerId, key).catch(() => undefined)
        if (local != null) copies.push(decodeRecord(local))
      }
      const winner = copies.sort(compareRecords)[0]
      if (winner != null) winners.set(v, { hash: winner.metadata.hash, signer: winner.metadata.signer ?? '' })
      const reads = new Map<ClusterNode, Uint8Array | undefined>()
      readable.set(v, reads)
      const seen = await Promise.all(all.map(async node => {
        try {
          const got = await node.storage.retrieveUCXLContent(address.replace('/*^/', `/*~${v}/`), { noCache: true })
          reads.set(node, got.content)
          return got.metadata.hash
        } catch (err) {
          reads.set(node, undefined)
          return `error ${describeError(err)}`
        }
      }))
      const agreeing = seen.filter(h => h === winner?.metadata.hash).length
      const copiesOfLosers = copies.filter(c => c.metadata.hash !== winner?.metadata.hash).length
      versionRows.push([v, shortId(winner?.metadata.signer ?? '-'), copies.length, copiesOfLosers, `${agreeing}/${all.length}`])
      if (agreeing !== all.length) {
        const others = [...new Set(seen.filter(h => h !== winner?.metadata.hash))].map(h => h.startsWith('error') ? h : `a losing record ${h.slice(0, 12)}`)
        versionProblems.push(`version ${v}: ${all.length - agreeing} of ${all.length} nodes read something other than the selector's winner (${others.join('; ')})`)
      }
    }
    rec.table({
      title: 'Version keys after the heal',
      columns: ['version', 'winner (selector over all copies)', 'copies held', 'copies of a losing record', 'nodes reading the winner'],
      rows: versionRows
    })
    rec.check('version-winners-agree', 'For every version number 1..head, every node reads the record the selector picks over all copies (one winner per version key, SPEC §6).',
      versionProblems.length === 0, versionProblems.length === 0 ? `${newest} versions agreed on by ${all.length} nodes` : `${versionProblems.length} of ${newest} versions disputed; first: ${versionProblems[0]}`)
    rec.check('head-is-newest', 'The converged head is the highest version number held anywhere.',
      winners.size > 0 && Math.max(...winners.keys()) === newest && await noVersionAbove(all, address, newest), `head ${newest}; version keys with a record: ${[...winners.keys()].join(',')}`)

    // no write silently lost: readable from every node, and a loser was told
    const lost: string[] = []
    const untold: string[] = []
    for (const w of made) {
      if (w.meta == null) continue // the store threw: its writer was told
      const missingOn = all.filter(node => ![...readable.values()].some(reads => {
        const content = reads.get(node)
        return content != null && bytesEqual(content, w.content)
      }))
      if (missingOn.length > 0) lost.push(`side ${w.side} write acknowledged as version ${w.meta.version} is readable at no version from ${missingOn.length} of ${all.length} nodes (nodes ${missingOn.map(n => n.index).join(',')})`)
      if (winners.get(w.meta.version)?.hash !== w.meta.hash) {
        const told = reports.some(r => r.node === w.writer && r.report.lost.version === w.meta!.version && r.report.lost.hash === w.meta!.hash)
        if (!told) untold.push(`side ${w.side} write acknowledged as version ${w.meta.version} lost that version and no reconcile report named it`)
      }
    }
    const acknowledged = made.filter(w => w.meta != null).length
    rec.check('no-write-lost', 'Every acknowledged write\'s content is readable, at some version, from every node after the heal.', lost.length === 0,
      lost.length === 0 ? `${acknowledged} acknowledged writes readable from all ${all.length} nodes` : `${lost.length} of ${acknowledged} not readable everywhere; first: ${lost[0]}`)
    rec.check('losers-told-or-republished', 'A write whose version number another write won was reported by its writer\'s reconcile() and re-published.',
      untold.length === 0, untold.length === 0 ? `${reports.length} conflicts reported, none silent` : `${untold.length} silent; first: ${untold[0]}`)

    rec.note('Fault seam: dht-core has no connection-gater option, so the partition sets deny methods on libp2p\'s internal `components.connectionGater` of each node (consulted on every dial and upgrade) and hangs up the connections across the cut. Nodes keep running.')
    rec.note('After the heal the harness dials across the former cut and waits for routing tables to refill, then runs every node\'s reconcile() in rounds (what the reconcile loop would do every reconcileInterval) until a round finds no conflict.')
    return rec.finish()
  } catch (err) {
    return rec.finish(err)
  } finally {
    await cluster?.stop()
  }
}

/** The `partition-heal` scenario. */
export const partitionHealScenario: Scenario = {
  name: NAME,
  description: DESCRIPTION,
  defaultNodes: 10,
  minNodes: 4,
  params: [
    { name: 'writes', description: 'stores of the shared address by each side while partitioned', type: 'integer', default: 2 },
    { name: 'maxRounds', description: 'most reconcile rounds after the heal', type: 'integer', default: 5 }
  ],
  run: partitionHeal
}
