import { createChorusDHT } from '@chorus-dht/dht-core'
import { TEST_NODE_DEFAULTS, waitForRoutingTables } from '@chorus-dht/dht-core/testing'
import { DEFAULT_FORMATION_TIMEOUT } from './constants.js'
import { describeError } from './util.js'
import type { ChorusDHT, ChorusDHTComponents, ChorusDHTInit } from '@chorus-dht/dht-core'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'
import type { RandomSource } from '@chorus-dht/types'

/** Options of {@link formNetwork}. */
export interface FormNetworkOptions {
  /** Init of every node, over dht-core's `TEST_NODE_DEFAULTS` (memory transport, server mode, no stagger). */
  init?: ChorusDHTInit
  /** Components of node `i` (its private key…). */
  components?(index: number): ChorusDHTComponents
  /** How many earlier nodes each node dials. @default n <= 20 ? n - 1 : 6 */
  degree?: number
  /** Dials in flight at once across the network. @default 16 */
  dialConcurrency?: number
  /** Attempts per dial. @default 3 */
  dialAttempts?: number
  /** ms per dial attempt. @default 20000 */
  dialTimeout?: number
  /** Distinct routing-table peers every node needs. @default min(n - 1, 20) */
  minRoutingTableSize?: number
  /** ms for the routing tables to fill. @default 300000 */
  timeout?: number
  /** Picks which earlier nodes each node dials. */
  random: RandomSource
}

/** What {@link formNetwork} resolves. */
export interface FormedNetwork extends TestNetwork {
  /** ms until every dial was made. */
  connectMs: number
  /** ms until the routing tables held `minRoutingTableSize` peers (or the deadline passed). */
  formationMs: number
  /** Why the routing tables did not fill in time, when they did not; the nodes still run. */
  formationError?: string
  /** Dials that failed every attempt. */
  failedDials: number
}

/**
 * Starts `n` dht-core nodes over the memory transport and connects them
 * like dht-core's `createTestNetwork`, but with a bounded number of dials in
 * flight and retries, so a large network forms on a loaded machine (at
 * N = 100 the helper's 600 simultaneous handshakes time out). Unlike it,
 * a formation that misses its deadline is reported, not thrown: the nodes
 * keep running so the caller can still measure them.
 */
export async function formNetwork (n: number, options: FormNetworkOptions): Promise<FormedNetwork> {
  const t0 = performance.now()
  const nodes: ChorusDHT[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(async node => { await node.stop() }))
  }
  try {
    for (let i = 0; i < n; i++) {
      nodes.push(await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...options.init }, options.components?.(i) ?? {}))
    }
    const degree = Math.min(options.degree ?? (n <= 20 ? n - 1 : 6), n - 1)
    const dials: Array<[number, number]> = []
    for (let i = 1; i < n; i++) {
      const targets = new Set<number>([i - 1])
      while (targets.size < Math.min(degree, i)) targets.add(Math.floor(options.random.next() * i))
      for (const t of targets) dials.push([i, t])
    }
    let failedDials = 0
    let next = 0
    const attempts = options.dialAttempts ?? 3
    const dialer = async (): Promise<void> => {
      while (next < dials.length) {
        const [from, to] = dials[next++]
        for (let attempt = 1; ; attempt++) {
          try {
            await nodes[from].libp2p.dial(nodes[to].libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(options.dialTimeout ?? 20_000) })
            break
          } catch {
            if (attempt >= attempts) {
              failedDials++
              break
            }
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.dialConcurrency ?? 16, Math.max(1, dials.length)) }, dialer))
    const connectMs = performance.now() - t0
    const minSize = options.minRoutingTableSize ?? Math.min(n - 1, 20)
    let formationError: string | undefined
    try {
      await waitForRoutingTables(nodes, minSize, Math.max(1, (options.timeout ?? DEFAULT_FORMATION_TIMEOUT) - connectMs))
    } catch (err) {
      formationError = describeError(err)
    }
    return { nodes, stop, connectMs, formationMs: performance.now() - t0, failedDials, ...(formationError != null ? { formationError } : {}) }
  } catch (err) {
    await stop()
    throw err
  }
}
