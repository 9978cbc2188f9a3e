import { createCluster } from '../cluster.js'
import { DEFAULT_SEED, HARNESS_PROJECT, MAX_NODES } from '../constants.js'
import { ResultRecorder } from '../result.js'
import { bytesEqual, checkNodes, checkPositive, checkSeed, describeError, randomFor, sample, shortId, text, until } from '../util.js'
import type { RetrievedContent } from '@chorus-dht/types'
import type { Cluster, ClusterNode } from '../cluster.js'
import type { ScenarioResult } from '../result.js'
import type { Scenario, ScenarioOptions } from '../scenario.js'

/** Options of the `store-retrieve` scenario. */
export interface StoreRetrieveOptions extends ScenarioOptions {
  /** Nodes that store content. @default 3 */
  writers?: number
  /** Versions each writer stores at its address. @default 3 */
  versions?: number
}

/** Roles given to nodes in turn: readers of each other's content and some that may not read it. */
export const STORE_RETRIEVE_ROLES = ['backend_developer', 'devops_engineer', 'frontend_developer', 'qa_engineer', 'observer', 'admin', 'senior_architect'] as const

const NAME = 'store-retrieve'
const DESCRIPTION = 'Nodes with real age keys for different roles store encrypted, versioned content; every authorised node retrieves it, unauthorised ones get AccessDeniedError, and versions navigate across nodes.'

interface Written {
  writer: ClusterNode
  address: string
  /** contents[v - 1] is version v */
  contents: Uint8Array[]
}

/** How long a reader that first saw the previous head waits for the latest, ms. */
const CONVERGENCE_TIMEOUT = 10_000

function addressOf (node: ClusterNode, seed: number): string {
  return `ucxl://node-${node.index}:${node.role}@${HARNESS_PROJECT}:${NAME}/*^/seed-${seed}/decision`
}

function withTemporal (address: string, temporal: string): string {
  return address.replace('/*^/', `/${temporal}/`)
}

/** Runs the scenario; see the package README. */
export async function storeRetrieve (options: StoreRetrieveOptions = {}): Promise<ScenarioResult> {
  const nodes = checkNodes(options.nodes ?? 10, 4, MAX_NODES)
  const seed = checkSeed(options.seed ?? DEFAULT_SEED)
  const versions = checkPositive('versions', options.versions ?? 3)
  const writerCount = checkPositive('writers', options.writers ?? 3)
  const log = options.log ?? (() => {})
  const rec = new ResultRecorder(NAME, DESCRIPTION, { nodes, seed, writers: writerCount, versions })
  const random = randomFor(seed, NAME)
  let cluster: Cluster | undefined
  try {
    log(`forming a network of ${nodes} dht-core nodes`)
    cluster = await createCluster({ nodes, seed, roleOf: i => STORE_RETRIEVE_ROLES[i % STORE_RETRIEVE_ROLES.length] })
    rec.timing('network formation', cluster.formationMs)
    const { roles } = cluster.keys
    const all = cluster.nodes
    rec.table({ title: 'Nodes', columns: ['node', 'peer id', 'role'], rows: all.map(n => [n.index, shortId(n.peerId), n.role]) })

    // stores: each writer writes `versions` versions of its own address, writers concurrently
    const writers = sample(all.filter(n => roles.canStore(n.role)), writerCount, random)
    const written: Written[] = writers.map(writer => ({ writer, address: addressOf(writer, seed), contents: [] }))
    let storeFailures = 0
    log(`${writers.length} writers store ${versions} versions each`)
    await Promise.all(written.map(async w => {
      for (let v = 1; v <= versions; v++) {
        const content = text(`${NAME} seed ${seed} node ${w.writer.index} version ${v} nonce ${Math.floor(random.next() * 2 ** 32)}`)
        try {
          const meta = await rec.time('store', async () => w.writer.storage.storeUCXLContent(w.address, content, w.writer.role, 'text/plain'))
          if (meta.version !== v) throw new Error(`stored as version ${meta.version}, expected ${v}`)
          w.contents.push(content)
        } catch (err) {
          storeFailures++
          rec.note(`store of version ${v} by node ${w.writer.index} failed: ${describeError(err)}`)
          return
        }
      }
    }))
    rec.count('stores', written.reduce((n, w) => n + w.contents.length, 0))
    rec.check('stores-succeed', 'Every store by a role allowed to store succeeds with the next version number.', storeFailures === 0,
      `${storeFailures} failed stores of ${writers.length * versions}`)

    // read-only roles may not store
    const observer = all.find(n => !roles.canStore(n.role))
    if (observer != null) {
      let name = 'no error'
      try {
        await observer.storage.storeUCXLContent(addressOf(observer, seed), text('not allowed'), observer.role, 'text/plain')
      } catch (err: any) {
        name = err?.name
      }
      rec.check('read-only-cannot-store', `A store by a node of the read-only role ${observer.role} is refused with AccessDeniedError.`, name === 'AccessDeniedError', `got ${name}`)
    }

    // the retrieval matrix: every node reads the latest version of every address from the network
    log('every node retrieves every address')
    const authorisedProblems: string[] = []
    const deniedProblems: string[] = []
    const metadataProblems: string[] = []
    let authorised = 0
    let denied = 0
    let staleFirstReads = 0
    const matrix: Array<Array<string | number>> = []
    await Promise.all(all.map(async reader => {
      for (const w of written) {
        if (w.contents.length === 0) continue
        const allowed = roles.canDecrypt(reader.role, w.writer.role)
        const cellOf = (v: string): void => { matrix.push([reader.index, reader.role, w.writer.index, w.writer.role, allowed ? 'yes' : 'no', v]) }
        if (allowed) {
          authorised++
          try {
            const read = async (): Promise<RetrievedContent> => rec.time('retrieve (authorised, no cache)', async () => reader.storage.retrieveUCXLContent(w.address, { noCache: true }))
            let got = await read()
            const latest = w.contents.length
            // A store is acknowledged once minPeers peers hold its head; the
            // rest of the head's copies are still in flight (dht-core README,
            // "The put"), so a read just after may be answered with the
            // previous head. It must be an earlier version, intact, and the
            // latest must show up: polled until CONVERGENCE_TIMEOUT.
            if (got.metadata.version < latest && got.metadata.version >= 1 && bytesEqual(got.content, w.contents[got.metadata.version - 1])) {
              staleFirstReads++
              await until(async () => {
                got = await read()
                return got.metadata.version >= latest
              }, `node ${reader.index} to read version ${latest} of node ${w.writer.index}'s address`, CONVERGENCE_TIMEOUT)
            }
            if (!bytesEqual(got.content, w.contents[latest - 1]) || got.metadata.version !== latest) {
              authorisedProblems.push(`node ${reader.index} read version ${got.metadata.version} of node ${w.writer.index}'s address, expected ${latest} with its content`)
              cellOf(`wrong: v${got.metadata.version}`)
              continue
            }
            const expectedFor = roles.recipientsFor(w.writer.role).join(',')
            if (got.metadata.signer !== w.writer.peerId || [...got.metadata.encryptedFor].sort().join(',') !== expectedFor || got.metadata.creatorRole !== w.writer.role) {
              metadataProblems.push(`node ${reader.index} on node ${w.writer.index}'s address: signer ${got.metadata.signer}, encryptedFor ${got.metadata.encryptedFor.join(',')}, creatorRole ${got.metadata.creatorRole}`)
            }
            cellOf(`read v${got.metadata.version}`)
          } catch (err) {
            authorisedProblems.push(`node ${reader.index} (${reader.role}) could not read node ${w.writer.index}'s address: ${describeError(err)}`)
            cellOf(describeError(err))
          }
        } else {
          denied++
          try {
            await rec.time('retrieve (unauthorised)', async () => reader.storage.retrieveUCXLContent(w.address, { noCache: true }))
            deniedProblems.push(`node ${reader.index} (${reader.role}) read node ${w.writer.index}'s (${w.writer.role}) content`)
            cellOf('READ (should be denied)')
          } catch (err: any) {
            if (err?.name !== 'AccessDeniedError') deniedProblems.push(`node ${reader.index} (${reader.role}) got ${describeError(err)} instead of AccessDeniedError`)
            cellOf(err?.name ?? String(err))
          }
        }
      }
    }))
    matrix.sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[2]) - Number(b[2]))
    rec.table({ title: 'Retrieval matrix (latest version, no cache)', columns: ['reader', 'reader role', 'writer', 'writer role', 'authorised', 'outcome'], rows: matrix })
    rec.count('authorised retrievals', authorised)
    rec.count('unauthorised retrievals', denied)
    rec.count('authorised first reads answered with the previous head', staleFirstReads)
    rec.check('authorised-reads-correct', 'Every node whose role may read the creator\'s content retrieves the latest version, byte for byte.',
      authorisedProblems.length === 0, authorisedProblems.length === 0 ? `${authorised} of ${authorised} correct` : `${authorisedProblems.length} of ${authorised} wrong; first: ${authorisedProblems[0]}`)
    rec.check('unauthorised-denied', 'Every node whose role may not read the content gets AccessDeniedError.',
      deniedProblems.length === 0, deniedProblems.length === 0 ? `${denied} of ${denied} denied` : `${deniedProblems.length} of ${denied} wrong; first: ${deniedProblems[0]}`)
    rec.check('metadata-consistent', 'Retrieved metadata names the writer as signer, its role as creator and the SPEC recipients as encryptedFor.',
      metadataProblems.length === 0, metadataProblems.length === 0 ? 'all consistent' : `${metadataProblems.length} inconsistent; first: ${metadataProblems[0]}`)

    // version navigation and history, read by another authorised node
    log('version navigation across nodes')
    const navProblems: string[] = []
    const historyProblems: string[] = []
    let navReads = 0
    for (const w of written) {
      const v = w.contents.length
      if (v === 0) continue
      const readers = all.filter(n => n !== w.writer && roles.canDecrypt(n.role, w.writer.role))
      if (readers.length === 0) continue
      const reader = sample(readers, 1, random)[0]
      const cases: Array<[string, number]> = [['*~', 1]]
      for (let n = 1; n <= v; n++) cases.push([`*~${n}`, n])
      if (v >= 2) cases.push(['~~1', v - 1], ['^^1', 2])
      for (const [temporal, expected] of cases) {
        navReads++
        try {
          const got = await rec.time('retrieve (version navigation)', async () => reader.storage.retrieveUCXLContent(withTemporal(w.address, temporal), { noCache: true }))
          if (got.metadata.version !== expected || !bytesEqual(got.content, w.contents[expected - 1])) {
            navProblems.push(`node ${reader.index} read ${temporal} of node ${w.writer.index}'s address as version ${got.metadata.version}, expected ${expected}`)
          }
        } catch (err) {
          navProblems.push(`node ${reader.index} could not read ${temporal} of node ${w.writer.index}'s address: ${describeError(err)}`)
        }
      }
      try {
        const history = await rec.time('history', async () => reader.storage.history(w.address))
        const got = history.map(m => m.version).join(',')
        const want = Array.from({ length: v }, (_, i) => i + 1).join(',')
        if (got !== want || history.some(m => m.signer !== w.writer.peerId)) {
          historyProblems.push(`node ${reader.index}: history of node ${w.writer.index}'s address is [${got}], expected [${want}] all signed by the writer`)
        }
      } catch (err) {
        historyProblems.push(`node ${reader.index}: history failed: ${describeError(err)}`)
      }
    }
    rec.count('version navigation reads', navReads)
    rec.check('versions-navigable', '*~, *~N, ~~N and ^^N read on another node resolve to the right version and content.',
      navProblems.length === 0, navProblems.length === 0 ? `${navReads} of ${navReads} correct` : `${navProblems.length} of ${navReads} wrong; first: ${navProblems[0]}`)
    rec.check('history-complete', 'history() on another node lists versions 1..V, oldest first, all signed by the writer.',
      historyProblems.length === 0, historyProblems.length === 0 ? `${written.length} histories complete` : historyProblems[0])

    // audit: every chain verifies, every store is audited on its writer
    const auditProblems: string[] = []
    for (const node of all) {
      const verification = await node.audit.verify()
      if (!verification.valid) auditProblems.push(`node ${node.index}: ${verification.reason ?? 'invalid'} at line ${verification.line ?? '?'}`)
    }
    for (const w of written) {
      const stores = (await w.writer.audit.read()).filter(l => l.operation === 'store' && l.success && l.address === w.address).length
      if (stores !== w.contents.length) auditProblems.push(`node ${w.writer.index} audited ${stores} successful stores of its address, made ${w.contents.length}`)
    }
    rec.count('audit entries', all.reduce((n, node) => n + node.audit.lines.length, 0))
    rec.check('audit-complete', 'Every node\'s audit chain verifies and every successful store is audited on its writer.',
      auditProblems.length === 0, auditProblems.length === 0 ? `${all.length} chains valid` : auditProblems[0])

    rec.note('Keys: one fresh age X25519 key pair per built-in role (crypto-age generateAgeKeyPair); each node holds the identity of its own role and every role\'s recipient.')
    rec.note('Node peer ids come from Ed25519 keys derived from the seed; timings are not reproducible, the topology and choices are.')
    return rec.finish()
  } catch (err) {
    return rec.finish(err)
  } finally {
    await cluster?.stop()
  }
}

/** The `store-retrieve` scenario. */
export const storeRetrieveScenario: Scenario = {
  name: NAME,
  description: DESCRIPTION,
  defaultNodes: 10,
  minNodes: 4,
  params: [
    { name: 'writers', description: 'nodes that store content', type: 'integer', default: 3 },
    { name: 'versions', description: 'versions each writer stores at its address', type: 'integer', default: 3 }
  ],
  run: storeRetrieve
}
