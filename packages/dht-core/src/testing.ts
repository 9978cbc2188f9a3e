/**
 * Test helpers: in-process networks of chorus-dht nodes over the libp2p
 * memory transport, for this package's tests, the harness and other
 * packages' integration tests.
 *
 * @example
 *
 * ```ts
 * import { createTestNetwork } from '@chorus-dht/dht-core/testing'
 *
 * const net = await createTestNetwork(10, { validators: { CHORUS: () => {} }, selectors: { CHORUS: () => 0 } })
 * await net.nodes[0].putValue('/CHORUS/k', new Uint8Array([1]))
 * console.info(await net.nodes[9].getValue('/CHORUS/k'))
 * await net.stop()
 * ```
 *
 * @packageDocumentation
 */

// Must run before any libp2p code: Node 20 lacks Promise.withResolvers.
import './polyfill.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { createChorusDHT } from './index.js'
import { kadInternals, removeFromRoutingTable } from './internals.js'
import type { ChorusDHT, ChorusDHTComponents, ChorusDHTInit } from './index.js'

/** Options of {@link createTestNetwork}. */
export interface TestNetworkOptions {
  /**
   * The network is ready when every node has at least this many distinct
   * peers in its routing table.
   * @default min(n - 1, 20)
   */
  minRoutingTableSize?: number
  /**
   * How long to wait for the routing tables to fill, ms; `createTestNetwork`
   * rejects (and stops the nodes) after it.
   * @default 60000
   */
  timeout?: number
  /**
   * How many earlier nodes each new node dials.
   * @default 4
   */
  degree?: number
  /** Extra init for node `i`, over `init`. @default {} */
  nodeInit?: (index: number) => ChorusDHTInit
  /** Components for node `i` (a datastore, a private key…). @default {} */
  components?: (index: number) => ChorusDHTComponents
}

/** An in-process network of started, connected chorus-dht nodes. */
export interface TestNetwork {
  nodes: ChorusDHT[]
  /** Stops every node. */
  stop(): Promise<void>
}

/** The init every test node gets unless `init` overrides it. */
export const TEST_NODE_DEFAULTS: ChorusDHTInit = {
  transports: ['memory'],
  allowPrivateAddresses: true,
  mode: 'server',
  joinStagger: 0,
  autoBootstrap: false
}

/**
 * Starts `n` nodes over the memory transport, connects them and waits, by
 * condition, until every routing table holds `minRoutingTableSize` peers.
 */
export async function createTestNetwork (n: number, init: ChorusDHTInit = {}, options: TestNetworkOptions = {}): Promise<TestNetwork> {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`n must be a positive integer, got ${String(n)}`)
  }
  const minSize = options.minRoutingTableSize ?? Math.min(n - 1, 20)
  const timeout = options.timeout ?? 60_000
  const degree = Math.min(options.degree ?? 4, n - 1)
  const nodes = await Promise.all(Array.from({ length: n }, async (_, i) =>
    createChorusDHT({ ...TEST_NODE_DEFAULTS, ...init, ...options.nodeInit?.(i) }, options.components?.(i) ?? {})))
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(async node => { await node.stop() }))
  }
  try {
    await connectNodes(nodes, degree)
    await waitForRoutingTables(nodes, minSize, timeout)
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes, stop }
}

/** Node `i` dials `degree` earlier nodes: the previous one and others spread over the range. */
async function connectNodes (nodes: ChorusDHT[], degree: number): Promise<void> {
  await Promise.all(nodes.map(async (node, i) => {
    const targets = new Set<number>()
    if (i > 0) {
      targets.add(i - 1)
    }
    for (let j = 0; targets.size < Math.min(degree, i); j++) {
      targets.add(Math.floor((j * 7919 + i * 31) % i))
    }
    for (const t of targets) {
      await node.libp2p.dial(nodes[t].libp2p.getMultiaddrs()[0])
    }
  }))
}

/**
 * Polls until every node has `minSize` distinct routing-table peers. Nodes
 * still short look themselves up, which fills their neighbourhood.
 */
export async function waitForRoutingTables (nodes: ChorusDHT[], minSize: number, timeout = 60_000): Promise<void> {
  const start = Date.now()
  const deadline = start + timeout
  const lookups = new Map<ChorusDHT, Promise<void>>()
  const lastLookup = new Map<ChorusDHT, number>()
  for (;;) {
    const short = nodes.filter(node => node.getRoutingTablePeers().length < minSize)
    if (short.length === 0) {
      break
    }
    const now = Date.now()
    if (now > deadline) {
      const sizes = nodes.map(node => node.getRoutingTablePeers().length)
      throw new Error(`routing tables not filled after ${timeout} ms: ${short.length} node(s) below ${minSize} peers (sizes ${sizes.join(',')})`)
    }
    // kad-dht's own first self-query usually fills the table; nodes still
    // short after a second look themselves up again, at most every 2 s
    for (const node of short) {
      if (now - start > 1_000 && !lookups.has(node) && now - (lastLookup.get(node) ?? 0) > 2_000) {
        lastLookup.set(node, now)
        lookups.set(node, selfLookup(node).finally(() => { lookups.delete(node) }))
      }
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  await Promise.allSettled(lookups.values())
}

async function selfLookup (node: ChorusDHT): Promise<void> {
  const signal = AbortSignal.timeout(10_000)
  try {
    for await (const event of node.libp2p.services.dht.getClosestPeers(node.libp2p.peerId.toMultihash().bytes, { signal })) {
      void event
    }
  } catch {
    // a failed lookup is retried by the next poll
  }
}

/**
 * Removes `peerId` from `node`'s kad-dht routing table, as a failure
 * detector would (kad-dht has no public API for it; the reach into its
 * internals is `src/internals.ts`). A no-op when the peer is not there.
 */
export async function evictFromRoutingTable (node: ChorusDHT, peerId: string): Promise<void> {
  await removeFromRoutingTable(kadInternals(node.libp2p.services.dht), peerIdFromString(peerId))
}

/**
 * Resolves once the background parts of `node`'s puts ended (a put resolves
 * at its `minPeers` acceptances and places the record on the rest of the
 * closest peers afterwards): then every copy the puts will make is made.
 * Rejects after `timeout` ms.
 */
export async function waitForBackgroundPuts (node: ChorusDHT, timeout = 30_000): Promise<void> {
  const pending = (): number => (node as unknown as { records?: { recordPut?: { pending?: number } } }).records?.recordPut?.pending ?? 0
  const deadline = Date.now() + timeout
  while (pending() > 0) {
    if (Date.now() > deadline) throw new Error(`${pending()} background put(s) still running after ${timeout} ms`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}
