import { defaultLogger } from '@libp2p/logger'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { DEFAULT_LOG_PREFIX, DEFAULT_MOCK_K, DEFAULT_MOCK_TIMEOUT, DEFAULT_PROVIDERS_LIMIT, MOCK_ALPHA } from './constants.js'
import { BackendUnavailableError, InvalidParametersError, NotFoundError, NotStartedError, RecordConflictError } from './errors.js'
import { DefaultMockNetwork } from './mock-network.js'
import { isValidRecord, mayReplace, selectRecord, validateRecord } from './record-policy.js'
import { checkKey, checkPositiveInt, checkValue, lifecycleController, sortByDistance, withTimeout } from './util.js'
import type { MockDHT, MockDHTComponents, MockDHTInit, MockNetwork, MockNetworkNode } from './index.js'
import type {
  AbortOptions, Clock, DHTStats, FindProvidersOptions, GetValueOptions, Logger, PeerInfo, PutResult,
  PutValueOptions, RecordPolicy, ServiceStatus
} from '@chorus-dht/types'

function checkRate (rate: unknown): asserts rate is number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new InvalidParametersError(`failureRate must be a number in [0, 1], got ${String(rate)}`)
  }
}

export class DefaultMockDHT implements MockDHT, MockNetworkNode {
  readonly peerId: string
  readonly network: MockNetwork
  readonly multiaddrs: string[]
  private readonly policy: RecordPolicy
  private readonly k: number
  private readonly timeout: number
  private readonly clock: Clock
  private readonly log: Logger
  private rate: number
  private readonly records = new Map<string, Uint8Array>()
  private readonly providers = new Map<string, Map<string, PeerInfo>>()
  private state: ServiceStatus = 'stopped'
  private startedAt = 0
  private lifecycle?: AbortController

  constructor (components: MockDHTComponents = {}, init: MockDHTInit = {}) {
    checkPositiveInt(init.k, 'k')
    checkPositiveInt(init.timeout, 'timeout')
    if (init.failureRate !== undefined) checkRate(init.failureRate)
    if (init.peerId !== undefined) checkKey(init.peerId, 'peerId')
    this.network = components.network ?? new DefaultMockNetwork()
    this.peerId = init.peerId ?? this.network.nextPeerId()
    this.multiaddrs = [`/memory/${this.peerId}`]
    this.policy = { validators: { ...init.validators }, selectors: { ...init.selectors }, replacers: { ...init.replacers } }
    this.k = init.k ?? DEFAULT_MOCK_K
    this.timeout = init.timeout ?? DEFAULT_MOCK_TIMEOUT
    this.rate = init.failureRate ?? 0
    this.clock = components.clock ?? Date
    this.log = (components.logger ?? defaultLogger()).forComponent(`${init.logPrefix ?? DEFAULT_LOG_PREFIX}:mock-dht`)
  }

  get status (): ServiceStatus {
    return this.state
  }

  get failureRate (): number {
    return this.rate
  }

  setFailureRate (rate: number): void {
    checkRate(rate)
    this.rate = rate
  }

  start (): void {
    if (this.state === 'started') return
    this.network.join(this)
    this.lifecycle = lifecycleController()
    this.startedAt = this.clock.now()
    this.state = 'started'
    this.log('started %s', this.peerId)
  }

  stop (): void {
    if (this.state !== 'started') return
    this.network.leave(this.peerId)
    this.lifecycle?.abort(new NotStartedError(`MockDHT ${this.peerId} was stopped`))
    this.lifecycle = undefined
    this.state = 'stopped'
    this.startedAt = 0
    this.log('stopped %s', this.peerId)
  }

  // --- what remote mock peers call through the network ---

  async handlePut (key: string, value: Uint8Array): Promise<boolean> {
    if (!(await isValidRecord(this.policy, key, value))) return false
    await this.store(key, value)
    return true
  }

  /**
   * The guard every write to this node's store passes (a local put, a PUT
   * from another node, a correction after a get): the replacement rule of
   * the contract. Throws `RecordConflictError` and stores nothing when the
   * held record is kept. `value` must already be valid.
   */
  private async store (key: string, value: Uint8Array): Promise<void> {
    if (!(await mayReplace(this.policy, key, this.records.get(key), value))) {
      throw new RecordConflictError(`MockDHT ${this.peerId} keeps the record it holds for "${key}"`)
    }
    this.records.set(key, value.slice())
  }

  async handleGet (key: string): Promise<Uint8Array | undefined> {
    return this.records.get(key)?.slice()
  }

  handleAddProvider (key: string, provider: PeerInfo): void {
    let byPeer = this.providers.get(key)
    if (byPeer == null) {
      byPeer = new Map()
      this.providers.set(key, byPeer)
    }
    byPeer.set(provider.id, { id: provider.id, multiaddrs: [...provider.multiaddrs] })
  }

  handleGetProviders (key: string): PeerInfo[] {
    return [...(this.providers.get(key)?.values() ?? [])].map((p) => ({ id: p.id, multiaddrs: [...p.multiaddrs] }))
  }

  // --- the DHT contract ---

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    return this.operation(options, async (signal) => {
      checkKey(key)
      checkValue(value)
      checkPositiveInt(options.minPeers, 'minPeers', true)
      await validateRecord(this.policy, key, value)
      this.injectFault('putValue')
      // a local refusal ends the put before anything is sent
      await this.store(key, value)

      const targets = this.closest(key, this.k)
      const settled = await Promise.allSettled(targets.map(async (id) => {
        const ok = await this.network.send(this.peerId, id, async (node) => node.handlePut(key, value), signal)
        if (!ok) throw new InvalidParametersError(`peer ${id} refused the record`)
        return id
      }))
      const peers = settled.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
      // a peer that answered RecordConflictError holds a record it keeps; unreachable peers are not counted
      const refusedPeers = settled.filter((r) => r.status === 'rejected' && r.reason?.name === RecordConflictError.name).length
      this.log('put %s reached %d of %d peers, %d refused', key, peers.length, targets.length, refusedPeers)
      const wanted = Math.min(options.minPeers ?? 0, targets.length)
      if (peers.length < wanted) {
        if (peers.length + refusedPeers >= wanted) {
          throw new RecordConflictError(`Only ${peers.length} of the ${wanted} requested peers accepted the record for "${key}"; ${refusedPeers} keep the record they hold`)
        }
        throw new BackendUnavailableError(`Only ${peers.length} of the ${wanted} requested peers accepted the record for "${key}"`)
      }
      return { remotePeers: peers.length, peers, refusedPeers }
    })
  }

  async getValue (key: string, options: GetValueOptions = {}): Promise<Uint8Array> {
    return this.operation(options, async (signal) => {
      checkKey(key)
      checkPositiveInt(options.quorum, 'quorum')
      this.injectFault('getValue')
      const quorum = options.quorum ?? 1
      const answers: Array<{ from: string, value: Uint8Array }> = []

      if (options.remoteOnly !== true) {
        const local = this.records.get(key)
        if (local != null && await isValidRecord(this.policy, key, local)) answers.push({ from: this.peerId, value: local.slice() })
      }

      const peers = this.closest(key)
      for (let i = 0; i < peers.length && answers.length < quorum; i += MOCK_ALPHA) {
        const batch = peers.slice(i, i + MOCK_ALPHA)
        const settled = await Promise.allSettled(batch.map(async (id) => this.network.send(this.peerId, id, async (node) => node.handleGet(key), signal)))
        for (let j = 0; j < batch.length; j++) {
          const r = settled[j]
          // a remote's copy is checked with our own validators, as kad-dht does
          if (r.status === 'fulfilled' && r.value != null && await isValidRecord(this.policy, key, r.value)) {
            answers.push({ from: batch[j], value: r.value })
          }
        }
      }

      if (answers.length === 0) throw new NotFoundError(`No valid record found for key "${key}"`)
      const chosen = answers.slice(0, quorum)
      const best = chosen[selectRecord(this.policy, key, chosen.map((a) => a.value))].value

      // Correct holders of an outdated copy, as kad-dht does after a query;
      // each holder's guard still decides (a replacer may keep its copy).
      await Promise.allSettled(chosen.filter((a) => !bytesEqual(a.value, best)).map(async (a) => {
        if (a.from === this.peerId) {
          await this.store(key, best)
        } else {
          await this.network.send(this.peerId, a.from, async (node) => node.handlePut(key, best), signal)
        }
      }))
      return best.slice()
    })
  }

  async getValueFromPeer (peerId: string, key: string, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    return this.operation(options, async (signal) => {
      checkKey(peerId, 'peerId')
      checkKey(key)
      this.injectFault('getValueFromPeer')
      const value = peerId === this.peerId
        ? this.records.get(key)?.slice()
        : await this.network.send(this.peerId, peerId, async (node) => node.handleGet(key), signal)
      if (value == null || !(await isValidRecord(this.policy, key, value))) return undefined
      return value
    })
  }

  async getClosestPeers (key: string, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    return this.operation(options, async () => {
      checkKey(key)
      checkPositiveInt(options.limit, 'limit')
      this.injectFault('getClosestPeers')
      return this.closest(key, options.limit ?? this.k)
    })
  }

  async provide (key: string, options: AbortOptions = {}): Promise<void> {
    await this.operation(options, async (signal) => {
      checkKey(key)
      this.injectFault('provide')
      const me: PeerInfo = { id: this.peerId, multiaddrs: this.multiaddrs }
      this.handleAddProvider(key, me)
      await Promise.allSettled(this.closest(key, this.k).map(async (id) => this.network.send(this.peerId, id, (node) => { node.handleAddProvider(key, me) }, signal)))
    })
  }

  async findProviders (key: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    return this.operation(options, async (signal) => {
      checkKey(key)
      checkPositiveInt(options.limit, 'limit')
      this.injectFault('findProviders')
      const limit = options.limit ?? DEFAULT_PROVIDERS_LIMIT
      const found = new Map<string, PeerInfo>()
      for (const p of this.handleGetProviders(key)) found.set(p.id, p)
      const peers = this.closest(key)
      for (let i = 0; i < peers.length && found.size < limit; i += MOCK_ALPHA) {
        const settled = await Promise.allSettled(peers.slice(i, i + MOCK_ALPHA).map(async (id) => this.network.send(this.peerId, id, (node) => node.handleGetProviders(key), signal)))
        for (const r of settled) {
          if (r.status === 'fulfilled') for (const p of r.value) if (!found.has(p.id)) found.set(p.id, p)
        }
      }
      return [...found.values()].slice(0, limit)
    })
  }

  async removeLocal (key: string, value: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    // a local store operation: no fault injection, no network
    return this.operation(options, async () => {
      checkKey(key)
      checkValue(value)
      const held = this.records.get(key)
      if (held == null || !bytesEqual(held, value)) return false
      this.records.delete(key)
      this.log('removed the local copy of %s', key)
      return true
    })
  }

  async bootstrap (options: AbortOptions = {}): Promise<void> {
    // Every started node of a mock network already knows every other one.
    await this.operation(options, async () => {})
  }

  isBootstrapped (): boolean {
    return this.state === 'started' && this.others().length > 0
  }

  getConnectedPeers (): PeerInfo[] {
    if (this.state !== 'started') return []
    return this.others().map((id) => ({ id, multiaddrs: [`/memory/${id}`] }))
  }

  getStats (): DHTStats {
    const started = this.state === 'started'
    const peers = started ? this.others().length : 0
    return {
      totalPeers: peers,
      totalKeys: this.records.size,
      uptime: started ? Math.max(0, this.clock.now() - this.startedAt) : 0,
      connectedPeers: peers
    }
  }

  // --- helpers ---

  private others (): string[] {
    return this.network.peers().filter((id) => id !== this.peerId)
  }

  private closest (key: string, limit?: number): string[] {
    const sorted = sortByDistance(key, this.others())
    return limit === undefined ? sorted : sorted.slice(0, limit)
  }

  private injectFault (op: string): void {
    if (this.rate > 0 && this.network.random.next() < this.rate) {
      throw new BackendUnavailableError(`MockDHT ${this.peerId}: ${op} failed (simulated failure)`)
    }
  }

  private async operation<T> (options: AbortOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.state !== 'started' || this.lifecycle == null) {
      throw new NotStartedError(`MockDHT ${this.peerId} is not started`)
    }
    return withTimeout(this.timeout, [options.signal, this.lifecycle.signal], fn)
  }
}
