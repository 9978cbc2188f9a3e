// Over 400 lines on purpose: this file is the whole public surface (STYLE 6),
// every exported interface with its JSDoc, and the factories; the code is
// beside it (mock-dht.ts, mock-network.ts, hybrid-dht.ts, …).

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

import { DefaultHybridDHT } from './hybrid-dht.js'
import { DefaultMockDHT } from './mock-dht.js'
import { DefaultMockNetwork } from './mock-network.js'
import type {
  AbortOptions, BackendHealth, BackendKind, Clock, ComponentLogger, DHT, PeerInfo, RandomSource, RecordReplacer,
  RecordSelector, RecordValidator, ServiceStatus
} from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

export * from './constants.js'
export * from './errors.js'
export { mathRandom, mulberry32, seededRandom } from './random.js'
export { mayReplace, mergePolicies, namespaceOf, selectRecord, validateRecord } from './record-policy.js'
export { HYBRID_ENV, hybridConfigFromEnv, parseBoolean, parseDuration } from './env.js'
export { probeKey, probeRecordPolicy } from './probe.js'

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
  /**
   * Validates with the receiving node's own validators (false when the
   * record is invalid), then applies its replacement rule: rejects
   * `RecordConflictError`, storing nothing, when it keeps the record it holds.
   */
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
   * The prefix of this node's log component names (it logs as `${logPrefix}:mock-dht`).
   * @default 'chorus-dht:hybrid-mock'
   */
  logPrefix?: string
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
   * Replacement rules by namespace (`RecordReplacer`): whether a valid
   * incoming record may replace the valid one this node holds for the key.
   * Applied to every write to this node's store, local or from another
   * node. Without one for a namespace, a record replaces the held one only
   * when the selector prefers it; identical bytes are always accepted.
   * @default {}
   */
  replacers?: Record<string, RecordReplacer>
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
  /** @default `defaultLogger()` of `@libp2p/logger` */
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

/** Options of {@link hybridDHT}. */
export interface HybridDHTInit {
  /**
   * The prefix of this node's log component names (`${logPrefix}:hybrid-dht`, `${logPrefix}:journal`).
   * @default 'chorus-dht:hybrid-mock'
   */
  logPrefix?: string
  /**
   * Start on the real backend. When false the mock is the only backend in
   * use (nothing is journaled) until `switchBackend('real')`.
   * @default false
   */
  useRealDHT?: boolean
  /**
   * Bootstrap multiaddrs of the real DHT. The hybrid does not dial (it
   * receives an already built real DHT, so the app hands these to that
   * DHT's own init too), but a non-empty list tells it that the real
   * backend *expects peers*: a real put that no remote peer accepted or
   * refused is then a failure (the node is cut off) and fails over to the
   * mock at once, and a health probe only succeeds when a remote peer
   * accepted the probe record. The real backend also expects peers while
   * its `getStats().totalPeers > 0`. With an empty list and no known peer a
   * lone real node works locally (puts with `remotePeers: 0` are fine).
   * @default []
   */
  bootstrapNodes?: string[]
  /**
   * When a call to the real backend fails, run it on the mock instead (writes
   * are journaled), and after `maxConsecutiveFailures` switch to the mock
   * until a probe succeeds. A put that reached no live peer while peers are
   * expected (see `bootstrapNodes`) switches to the mock at once. When
   * false, real-backend errors reach the caller (such a put rejects
   * `BackendUnavailableError`; the record stays on this node only).
   * @default true
   */
  fallbackOnError?: boolean
  /**
   * Interval between health probes, ms.
   * @default 30000
   */
  healthCheckInterval?: number
  /**
   * Consecutive failures (calls or probes) that mark a backend `failed`;
   * for the real backend that triggers the failover to the mock.
   * @default 3
   */
  maxConsecutiveFailures?: number
  /**
   * Selectors by namespace, the same as the backends use. Replay uses them
   * to decide between a journaled record and the one the real DHT holds;
   * without a selector for its namespace, a journaled record overwrites.
   * @default {}
   */
  selectors?: Record<string, RecordSelector>
  /**
   * Default timeout of every public operation, ms.
   * @default 30000
   */
  timeout?: number
  /**
   * Timeout of one call to a backend, ms; shorter than `timeout` so a
   * fallback to the mock still has time.
   * @default 10000
   */
  backendTimeout?: number
  /**
   * Timeout of one health probe (put + get), ms.
   * @default 10000
   */
  probeTimeout?: number
  /**
   * A successful probe slower than this marks the backend `degraded`, ms.
   * @default 2000
   */
  degradedLatency?: number
  /**
   * Datastore key prefix of the persisted journal.
   * @default '/chorus-hybrid/journal'
   */
  journalPrefix?: string
}

/** The hybrid's resolved configuration. */
export type HybridConfig = Omit<Required<HybridDHTInit>, 'selectors' | 'logPrefix'>

/** What {@link hybridConfigFromEnv} can read from the environment. */
export type HybridEnvConfig = Pick<HybridDHTInit, 'useRealDHT' | 'bootstrapNodes' | 'fallbackOnError' | 'healthCheckInterval' | 'maxConsecutiveFailures'>

/** Collaborators of a {@link HybridDHT}. */
export interface HybridDHTComponents {
  /** The real DHT (dht-core's libp2p node). The hybrid starts and stops it. */
  real: DHT
  /** The fallback DHT (usually a MockDHT). The hybrid starts and stops it. */
  mock: DHT
  /** Where the write journal is persisted; without it the journal lives in memory only. */
  datastore?: Datastore
  /** @default `defaultLogger()` of `@libp2p/logger` */
  logger?: ComponentLogger
  /** Source of time for health records and latency. @default Date */
  clock?: Clock
}

/** Per-backend operation counters. */
export interface BackendMetrics {
  /** Calls made to the backend (operations, probes excluded). */
  operations: number
  /** Calls that failed for a backend reason (not NotFound / InvalidParameters / the caller's abort). */
  errors: number
  /** Mean latency of those calls, ms. */
  averageLatency: number
  /** `name: message` of the last backend error. */
  lastError?: string
}

/**
 * A real and a mock DHT behind one `DHT` contract: falls back to the mock
 * when the real DHT fails, probes it, and replays the writes the mock took
 * once it is healthy again.
 */
export interface HybridDHT extends DHT {
  /** The backend operations go to now. */
  readonly activeBackend: BackendKind
  /** Lifecycle state. */
  readonly status: ServiceStatus
  /** The resolved configuration. */
  readonly config: Readonly<HybridConfig>
  /** Writes (puts and provides) journaled and not yet replayed to the real backend. */
  readonly pendingWrites: number
  /**
   * Journaled puts that replay dropped instead of delivering, since start:
   * the real DHT refused them (`RecordConflictError` or
   * `InvalidParametersError`), or it already holds a record the selector
   * prefers, or every remote peer it reached refused them. Each is logged.
   */
  readonly droppedWrites: number
  /**
   * Withdraws this node's own copy of `key`, when it is exactly `value`,
   * everywhere the hybrid could still publish it from: the active backend,
   * the other backend's local store and the journal (so a replay never
   * puts a withdrawn claim on the real DHT). Resolves whether anything was
   * removed. Remote copies are not touched.
   */
  removeLocal(key: string, value: Uint8Array, options?: AbortOptions): Promise<boolean>
  /** The SPEC health record of each backend. */
  getBackendHealth(): Record<BackendKind, BackendHealth>
  /** Operations, errors and average latency per backend. */
  getMetrics(): Record<BackendKind, BackendMetrics>
  /**
   * Probes now (the mock, and the real backend when in use) and, when the
   * real one is healthy, replays the journal and switches back to it. When
   * the real backend expects peers (see `bootstrapNodes`) its probe first
   * bootstraps it if needed and succeeds only when a remote peer accepted
   * the probe record. The periodic health loop calls this every
   * `healthCheckInterval`.
   */
  checkHealth(options?: AbortOptions): Promise<Record<BackendKind, BackendHealth>>
  /**
   * Overrides the backend. `'mock'` stays until `switchBackend('real')`
   * (writes are journaled if the real backend is in use). `'real'` starts the
   * real backend if needed and replays the journal first; it rejects (and
   * stays put) when that replay fails. Automatic failover still applies.
   */
  switchBackend(kind: BackendKind, options?: AbortOptions): Promise<void>
}

/**
 * The HybridDHT factory, in the same shape as {@link mockDHT}:
 * `hybridDHT(init)(components)`.
 *
 * @example
 * ```ts
 * import { MemoryDatastore } from 'datastore-core'
 * import { hybridConfigFromEnv, hybridDHT, mergePolicies, mockDHT, probeRecordPolicy } from '@chorus-dht/hybrid-mock'
 *
 * const policy = mergePolicies(myPolicy, probeRecordPolicy)
 * const dht = hybridDHT({ ...hybridConfigFromEnv(), selectors: policy.selectors })({
 *   real: realDht, // e.g. dht-core's node, configured with `policy`
 *   mock: mockDHT(policy)(),
 *   datastore: new MemoryDatastore()
 * })
 * await dht.start()
 * ```
 */
export function hybridDHT (init: HybridDHTInit = {}): (components: HybridDHTComponents) => HybridDHT {
  return (components) => new DefaultHybridDHT(components, init)
}

/** The defaults of the settings an application may show or pass on (the node's config does). */
export { DEFAULT_HEALTH_CHECK_INTERVAL, DEFAULT_MAX_CONSECUTIVE_FAILURES } from './constants.js'
