/**
 * @packageDocumentation
 *
 * An in-memory DHT (`MockDHT`) that behaves like the real one without a
 * network, the shared in-memory `MockNetwork` several mock nodes talk over,
 * and `HybridDHT`, a real and a mock backend behind one `DHT` contract that
 * falls back to the mock when the real DHT fails and never loses a write.
 * The DHT compliance suite lives in the `@chorus-dht/hybrid-mock/compliance`
 * subpath.
 *
 * @example
 *
 * ```ts
 * import { createMockNetwork, mockDHT, seededRandom } from '@chorus-dht/hybrid-mock'
 *
 * const policy = {
 *   validators: { app: () => {} },
 *   selectors: { app: () => 0 }
 * }
 * const network = createMockNetwork({ random: seededRandom(1) })
 * const a = mockDHT(policy)({ network })
 * const b = mockDHT(policy)({ network })
 * await a.start()
 * await b.start()
 *
 * await a.putValue('/app/hello', new TextEncoder().encode('world'))
 * const value = await b.getValue('/app/hello') // found on b through the network
 * ```
 */

import { DefaultMockDHT } from './mock-dht.js'
import { DefaultMockNetwork } from './mock-network.js'
import type {
  Clock, ComponentLogger, DHT, PeerInfo, RandomSource, RecordSelector, RecordValidator, ServiceStatus
} from '@chorus-dht/types'

export * from './constants.js'
export * from './errors.js'
export { mathRandom, mulberry32, seededRandom } from './random.js'
export { mergePolicies, namespaceOf, selectRecord, validateRecord } from './record-policy.js'

/** Message-delivery conditions of a {@link MockNetwork}, changeable at run time. */
export interface MockNetworkConditions {
  /** Fixed delay of every message between two nodes, ms. */
  latency: number
  /** Extra delay drawn uniformly from [0, jitter) per message, ms. */
  jitter: number
  /** Probability in [0, 1] that a message is lost (the peer counts as unreachable for that call). */
  failureRate: number
}

/** Options of {@link createMockNetwork}. */
export interface MockNetworkInit extends Partial<MockNetworkConditions> {
  /**
   * Where latency jitter and failures are drawn from. Pass
   * `seededRandom(seed)` to reproduce a run exactly.
   * @default mathRandom (not reproducible)
   */
  random?: RandomSource
  /** @default 0 */
  latency?: number
  /** @default 0 */
  jitter?: number
  /** @default 0 */
  failureRate?: number
}

/**
 * What a node looks like to the network: the handlers another mock node's
 * messages run on. Implemented by MockDHT; exported for typing only.
 */
export interface MockNetworkNode {
  readonly peerId: string
  readonly multiaddrs: string[]
  /** Validates with the receiving node's own validators; false when refused. */
  handlePut(key: string, value: Uint8Array): Promise<boolean>
  handleGet(key: string): Promise<Uint8Array | undefined>
  handleAddProvider(key: string, provider: PeerInfo): void
  handleGetProviders(key: string): PeerInfo[]
}

/**
 * A shared in-memory "network". Started MockDHT nodes join it and every
 * started node can reach every other; a stopped node leaves it and is
 * unreachable (its records are kept and come back when it restarts).
 */
export interface MockNetwork {
  /** The random source latency jitter and failures (network and node) are drawn from. */
  readonly random: RandomSource
  /** Current delivery conditions. */
  readonly conditions: Readonly<MockNetworkConditions>
  /** Changes delivery conditions for every later message (fault injection). */
  setConditions(conditions: Partial<MockNetworkConditions>): void
  /** Ids of the nodes currently on the network (started). */
  peers(): string[]
  /** Whether a node with this id is on the network. */
  isReachable(peerId: string): boolean
  /** A fresh id `mock-<n>`, n counting from 1 per network. */
  nextPeerId(): string
  /** Registers a started node. Throws `InvalidParametersError` for a duplicate id. */
  join(node: MockNetworkNode): void
  /** Unregisters a node (it becomes unreachable). */
  leave(peerId: string): void
  /**
   * Delivers one message: waits the simulated latency, may lose it, then
   * runs `handler` on the target node. Rejects `BackendUnavailableError`
   * when the target is unreachable or the message is lost.
   */
  send<T>(from: string, to: string, handler: (node: MockNetworkNode) => T | Promise<T>, signal?: AbortSignal): Promise<T>
}

/**
 * Creates a {@link MockNetwork}.
 *
 * @example
 * ```ts
 * const network = createMockNetwork({ latency: 5, jitter: 10, failureRate: 0.01, random: seededRandom(7) })
 * ```
 */
export function createMockNetwork (init: MockNetworkInit = {}): MockNetwork {
  return new DefaultMockNetwork(init)
}

/** Options of {@link mockDHT}. */
export interface MockDHTInit {
  /**
   * This node's peer id. Any non-empty string unique on its network; a
   * real-looking id (`12D3Koo…`) works as well as the generated one.
   * @default network.nextPeerId() (`mock-1`, `mock-2`, … per network)
   */
  peerId?: string
  /**
   * Validators by namespace (first key segment), as libp2p's kad-dht: a key
   * must look like `/<namespace>/<name>` and its namespace must have a
   * validator, else the record is refused.
   * @default {} (every namespaced record is refused)
   */
  validators?: Record<string, RecordValidator>
  /**
   * Selectors by namespace. As in kad-dht, `getValue` of a key whose
   * namespace has no selector throws `InvalidParametersError`.
   * @default {}
   */
  selectors?: Record<string, RecordSelector>
  /**
   * How many of the closest peers a put (and a provide) reaches, like
   * Kademlia's bucket size.
   * @default 20
   */
  k?: number
  /**
   * Probability in [0, 1] that a whole operation of this node fails with
   * `BackendUnavailableError` (fault injection; drawn from the network's
   * random source). Changeable with `setFailureRate`.
   * @default 0
   */
  failureRate?: number
  /**
   * Default timeout of every operation, ms.
   * @default 30000
   */
  timeout?: number
}

/** Collaborators of a {@link MockDHT}. All optional. */
export interface MockDHTComponents {
  /** The network to join. @default a private network of its own (a lone node, a local store) */
  network?: MockNetwork
  /** @default a silent logger */
  logger?: ComponentLogger
  /** Source of time for `uptime`. @default Date */
  clock?: Clock
}

/** The DHT contract in memory, plus fault-injection controls. */
export interface MockDHT extends DHT {
  /** The network this node is on. */
  readonly network: MockNetwork
  /** Lifecycle state. */
  readonly status: ServiceStatus
  /** Current whole-operation failure probability. */
  readonly failureRate: number
  /** Sets the whole-operation failure probability (0 = never, 1 = always). */
  setFailureRate(rate: number): void
}

/**
 * The MockDHT factory, in the libp2p service shape
 * `mockDHT(init)(components)`. The node is created stopped; `start()` joins
 * the network.
 *
 * @example
 * ```ts
 * const dht = mockDHT({ validators: { app: () => {} }, selectors: { app: () => 0 } })()
 * await dht.start()
 * await dht.putValue('/app/k', new Uint8Array([1]))
 * ```
 */
export function mockDHT (init: MockDHTInit = {}): (components?: MockDHTComponents) => MockDHT {
  return (components = {}) => new DefaultMockDHT(components, init)
}
