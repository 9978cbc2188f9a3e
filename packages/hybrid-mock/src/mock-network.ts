import { DEFAULT_MOCK_FAILURE_RATE, DEFAULT_MOCK_JITTER, DEFAULT_MOCK_LATENCY, MOCK_PEER_ID_PREFIX } from './constants.js'
import { BackendUnavailableError, InvalidParametersError } from './errors.js'
import { mathRandom } from './random.js'
import { delay, throwIfAborted } from './util.js'
import type { MockNetwork, MockNetworkConditions, MockNetworkInit, MockNetworkNode } from './index.js'
import type { RandomSource } from '@chorus-dht/types'

function checkConditions (c: Partial<MockNetworkConditions>): void {
  for (const name of ['latency', 'jitter'] as const) {
    const v = c[name]
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new InvalidParametersError(`${name} must be a finite number >= 0, got ${String(v)}`)
    }
  }
  const f = c.failureRate
  if (f !== undefined && (typeof f !== 'number' || !(f >= 0 && f <= 1))) {
    throw new InvalidParametersError(`failureRate must be a number in [0, 1], got ${String(f)}`)
  }
}

export class DefaultMockNetwork implements MockNetwork {
  readonly random: RandomSource
  private current: MockNetworkConditions
  private readonly nodes = new Map<string, MockNetworkNode>()
  private counter = 0

  constructor (init: MockNetworkInit = {}) {
    checkConditions(init)
    this.random = init.random ?? mathRandom
    this.current = {
      latency: init.latency ?? DEFAULT_MOCK_LATENCY,
      jitter: init.jitter ?? DEFAULT_MOCK_JITTER,
      failureRate: init.failureRate ?? DEFAULT_MOCK_FAILURE_RATE
    }
  }

  get conditions (): Readonly<MockNetworkConditions> {
    return { ...this.current }
  }

  setConditions (conditions: Partial<MockNetworkConditions>): void {
    checkConditions(conditions)
    this.current = { ...this.current, ...Object.fromEntries(Object.entries(conditions).filter(([, v]) => v !== undefined)) }
  }

  nextPeerId (): string {
    this.counter++
    return `${MOCK_PEER_ID_PREFIX}${this.counter}`
  }

  join (node: MockNetworkNode): void {
    const existing = this.nodes.get(node.peerId)
    if (existing != null && existing !== node) {
      throw new InvalidParametersError(`A peer with id "${node.peerId}" is already on this mock network`)
    }
    this.nodes.set(node.peerId, node)
  }

  leave (peerId: string): void {
    this.nodes.delete(peerId)
  }

  peers (): string[] {
    return [...this.nodes.keys()]
  }

  isReachable (peerId: string): boolean {
    return this.nodes.has(peerId)
  }

  async send<T> (_from: string, to: string, handler: (node: MockNetworkNode) => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal)
    // Draw the random numbers synchronously, in call order, so that a seeded
    // run is reproducible even when several messages are in flight.
    const { latency, jitter, failureRate } = this.current
    const wait = latency + (jitter > 0 ? jitter * this.random.next() : 0)
    const lost = failureRate > 0 && this.random.next() < failureRate
    if (wait > 0) {
      await delay(wait, signal)
    } else {
      await Promise.resolve()
      throwIfAborted(signal)
    }
    const node = this.nodes.get(to)
    if (node == null) throw new BackendUnavailableError(`Peer ${to} is not reachable (not on the network or stopped)`)
    if (lost) throw new BackendUnavailableError(`Message to peer ${to} was lost (simulated failure)`)
    return handler(node)
  }
}
