import { defaultLogger } from '@libp2p/logger'
import { repeatingTask } from '@libp2p/utils'
import { equals as bytesEqual } from 'uint8arrays/equals'
import {
  DEFAULT_BACKEND_TIMEOUT, DEFAULT_DEGRADED_LATENCY, DEFAULT_FALLBACK_ON_ERROR, DEFAULT_HEALTH_CHECK_INTERVAL,
  DEFAULT_HYBRID_TIMEOUT, DEFAULT_JOURNAL_PREFIX, DEFAULT_LOG_PREFIX, DEFAULT_MAX_CONSECUTIVE_FAILURES, DEFAULT_PROBE_TIMEOUT, DEFAULT_USE_REAL_DHT
} from './constants.js'
import { BackendUnavailableError, InvalidParametersError, NotStartedError } from './errors.js'
import { WriteJournal } from './journal.js'
import { probeKey, probeValue } from './probe.js'
import { namespaceOf } from './record-policy.js'
import { checkPositiveInt, lifecycleController, withTimeout } from './util.js'
import type { RepeatingTask } from '@libp2p/utils'
import type { BackendMetrics, HybridConfig, HybridDHT, HybridDHTComponents, HybridDHTInit } from './index.js'
import type {
  AbortOptions, BackendHealth, BackendKind, Clock, DHT, DHTStats, FindProvidersOptions, GetValueOptions, Logger,
  PeerInfo, PutResult, PutValueOptions, RecordSelector, ServiceStatus
} from '@chorus-dht/types'

/** Errors that say something about the request, not about the backend's health. */
const CALLER_ERRORS = new Set(['NotFoundError', 'InvalidParametersError', 'RecordConflictError'])

/** Errors with which the real DHT refuses a journaled record for good: replay drops it. */
const REFUSALS = new Set(['InvalidParametersError', 'RecordConflictError'])

/**
 * A real put that stored the record on this node only although the real
 * backend expects peers: the node is cut off. Still a
 * `BackendUnavailableError` by name (callers branch on the name); the
 * class lets the hybrid tell it from other failures, since it fails over
 * at once instead of after `maxConsecutiveFailures`.
 */
class NoLivePeerError extends BackendUnavailableError {}

function withRefused (result: PutResult): PutResult {
  // a real DHT built against an older contract may not report refusals
  return { ...result, refusedPeers: result.refusedPeers ?? 0 }
}

interface MetricState { operations: number, errors: number, totalLatency: number, lastError?: string }

function freshHealth (backend: BackendKind): BackendHealth {
  return { backend, status: 'healthy', lastCheck: 0, errorCount: 0, latency: 0, consecutiveFailures: 0 }
}

export class DefaultHybridDHT implements HybridDHT {
  readonly config: Readonly<HybridConfig>
  private readonly backends: Record<BackendKind, DHT>
  private readonly clock: Clock
  private readonly log: Logger
  private readonly journal: WriteJournal
  private readonly selectors: Record<string, RecordSelector>
  private readonly health: Record<BackendKind, BackendHealth> = { mock: freshHealth('mock'), real: freshHealth('real') }
  private readonly metrics: Record<BackendKind, MetricState> = {
    mock: { operations: 0, errors: 0, totalLatency: 0 },
    real: { operations: 0, errors: 0, totalLatency: 0 }
  }

  private active: BackendKind
  private realEnabled: boolean
  private manual?: BackendKind
  private state: ServiceStatus = 'stopped'
  private lifecycle?: AbortController
  private healthTask?: RepeatingTask
  private replaying?: Promise<void>
  private probeNonce = 0
  /** The real backend has known peers since start (see expectsPeers). */
  private sawPeers = false
  private dropped = 0
  private realStarted = false
  private starting?: Promise<void>

  constructor (components: HybridDHTComponents, init: HybridDHTInit = {}) {
    if (components?.real == null || components.mock == null) {
      throw new InvalidParametersError('HybridDHT needs both a real and a mock DHT component')
    }
    checkPositiveInt(init.healthCheckInterval, 'healthCheckInterval')
    checkPositiveInt(init.maxConsecutiveFailures, 'maxConsecutiveFailures')
    checkPositiveInt(init.timeout, 'timeout')
    checkPositiveInt(init.backendTimeout, 'backendTimeout')
    checkPositiveInt(init.probeTimeout, 'probeTimeout')
    checkPositiveInt(init.degradedLatency, 'degradedLatency')
    if (init.bootstrapNodes !== undefined && (!Array.isArray(init.bootstrapNodes) || init.bootstrapNodes.some((a) => typeof a !== 'string' || !a.startsWith('/')))) {
      throw new InvalidParametersError('bootstrapNodes must be an array of multiaddr strings')
    }
    this.config = Object.freeze({
      useRealDHT: init.useRealDHT ?? DEFAULT_USE_REAL_DHT,
      bootstrapNodes: Object.freeze([...(init.bootstrapNodes ?? [])]) as string[],
      fallbackOnError: init.fallbackOnError ?? DEFAULT_FALLBACK_ON_ERROR,
      healthCheckInterval: init.healthCheckInterval ?? DEFAULT_HEALTH_CHECK_INTERVAL,
      maxConsecutiveFailures: init.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
      timeout: init.timeout ?? DEFAULT_HYBRID_TIMEOUT,
      backendTimeout: init.backendTimeout ?? DEFAULT_BACKEND_TIMEOUT,
      probeTimeout: init.probeTimeout ?? DEFAULT_PROBE_TIMEOUT,
      degradedLatency: init.degradedLatency ?? DEFAULT_DEGRADED_LATENCY,
      journalPrefix: init.journalPrefix ?? DEFAULT_JOURNAL_PREFIX
    })
    this.backends = { real: components.real, mock: components.mock }
    this.clock = components.clock ?? Date
    const logger = components.logger ?? defaultLogger()
    const logPrefix = init.logPrefix ?? DEFAULT_LOG_PREFIX
    this.log = logger.forComponent(`${logPrefix}:hybrid-dht`)
    this.journal = new WriteJournal(components.datastore, this.config.journalPrefix, logger.forComponent(`${logPrefix}:journal`))
    this.selectors = { ...init.selectors }
    this.realEnabled = this.config.useRealDHT
    this.active = this.realEnabled ? 'real' : 'mock'
  }

  get peerId (): string {
    return this.backends[this.active].peerId
  }

  get activeBackend (): BackendKind {
    return this.active
  }

  get status (): ServiceStatus {
    return this.state
  }

  get pendingWrites (): number {
    return this.journal.size
  }

  get droppedWrites (): number {
    return this.dropped
  }

  // --- lifecycle ---

  async start (): Promise<void> {
    if (this.state === 'started') return
    this.starting ??= this.doStart().finally(() => { this.starting = undefined })
    await this.starting
  }

  private async doStart (): Promise<void> {
    this.state = 'starting'
    const lifecycle = lifecycleController()
    this.lifecycle = lifecycle
    const signal = lifecycle.signal
    try {
      await this.backends.mock.start()
      if (this.realEnabled) await this.startReal()
      await this.journal.load({ signal })
      // the mock must serve what the journal holds (a restart mid-outage)
      for (const e of this.journal.all()) {
        try {
          if (e.op === 'put' && e.value != null) await this.backends.mock.putValue(e.key, e.value, { signal })
          else if (e.op === 'provide') await this.backends.mock.provide(e.key, { signal })
        } catch (err: any) {
          if (signal.aborted) throw err
          this.log.error('could not restore journaled %s of %s into the mock - %e', e.op, e.key, err)
        }
      }
      // a real backend that failed to start stays active when there is no fallback: its calls fail
      this.active = this.realEnabled && (this.health.real.status !== 'failed' || !this.config.fallbackOnError) ? 'real' : 'mock'
      if (this.realEnabled && this.realStarted && this.journal.size > 0 && this.health.real.status !== 'failed') {
        // a restart mid-outage: replay only once a probe (which joins the
        // network first) reaches a live peer, else wait for the next probe
        this.active = 'mock'
        await this.probe('real', undefined, signal)
        if (this.getBackendHealth().real.status !== 'failed') await this.tryRecover(signal)
      }
      if (signal.aborted) throw new NotStartedError('HybridDHT was stopped while starting')
    } catch (err) {
      lifecycle.abort()
      this.lifecycle = undefined
      await this.stopBackends()
      this.state = 'stopped'
      throw err
    }
    this.state = 'started'
    this.startHealthTask()
    this.log('started, active backend %s, %d journaled writes', this.active, this.journal.size)
  }

  async stop (): Promise<void> {
    if (this.state === 'starting') {
      // end a start that is still replaying, then make sure all is down
      this.lifecycle?.abort(new NotStartedError('HybridDHT was stopped while starting'))
      await this.starting?.catch(() => {})
    }
    if (this.state !== 'started') return
    this.state = 'stopping'
    this.healthTask?.stop()
    this.healthTask = undefined
    this.lifecycle?.abort(new NotStartedError('HybridDHT was stopped'))
    this.lifecycle = undefined
    await this.replaying?.catch(() => {})
    await this.stopBackends()
    this.state = 'stopped'
    this.log('stopped')
  }

  private async stopBackends (): Promise<void> {
    this.realStarted = false
    for (const kind of ['real', 'mock'] as const) {
      try {
        await this.backends[kind].stop()
      } catch (err: any) {
        this.log.error('stopping the %s backend failed - %e', kind, err)
      }
    }
  }

  /** The health probe every `healthCheckInterval` after the previous one ended; `stop()` leaves no timer. */
  private startHealthTask (): void {
    this.healthTask = repeatingTask(async () => {
      const signal = this.lifecycle?.signal
      if (signal == null || this.state !== 'started') return
      try {
        await this.checkHealth({ signal })
      } catch (err) {
        this.log.error('health check failed - %e', err)
      }
    }, this.config.healthCheckInterval)
    this.healthTask.start()
  }

  private async startReal (): Promise<void> {
    try {
      await this.backends.real.start()
      this.realStarted = true
    } catch (err: any) {
      this.log.error('the real backend did not start - %e', err)
      const h = this.health.real
      this.health.real = { ...h, status: 'failed', lastCheck: this.clock.now(), consecutiveFailures: Math.max(h.consecutiveFailures + 1, this.config.maxConsecutiveFailures), errorCount: h.errorCount + 1 }
      if (this.active === 'real' && this.config.fallbackOnError) this.active = 'mock'
    }
  }

  // --- health ---

  getBackendHealth (): Record<BackendKind, BackendHealth> {
    return { mock: { ...this.health.mock }, real: { ...this.health.real } }
  }

  getMetrics (): Record<BackendKind, BackendMetrics> {
    const out = {} as Record<BackendKind, BackendMetrics>
    for (const kind of ['mock', 'real'] as const) {
      const m = this.metrics[kind]
      out[kind] = { operations: m.operations, errors: m.errors, averageLatency: m.operations === 0 ? 0 : m.totalLatency / m.operations, lastError: m.lastError }
    }
    return out
  }

  async checkHealth (options: AbortOptions = {}): Promise<Record<BackendKind, BackendHealth>> {
    const signal = this.requireStarted()
    // a real backend that failed to start is retried before it is probed
    if (this.realEnabled && !this.realStarted) await this.startReal()
    const kinds: BackendKind[] = this.realEnabled && this.realStarted ? ['mock', 'real'] : ['mock']
    for (const kind of kinds) await this.probe(kind, options.signal, signal)
    if (this.realEnabled && this.health.real.status !== 'failed' && this.manual !== 'mock' && (this.active === 'mock' || this.journal.size > 0)) {
      await this.tryRecover(signal, options.signal)
    }
    return this.getBackendHealth()
  }

  private async probe (kind: BackendKind, callerSignal: AbortSignal | undefined, lifecycle: AbortSignal): Promise<void> {
    const backend = this.backends[kind]
    const key = probeKey(backend.peerId)
    const value = probeValue(this.clock.now(), ++this.probeNonce)
    const started = this.clock.now()
    try {
      await withTimeout(this.config.probeTimeout, [callerSignal, lifecycle], async (signal) => {
        const expects = kind === 'real' && this.expectsPeers()
        // connected is not enough: until the routing table holds a peer, a put reaches nobody
        if (expects && (!backend.isBootstrapped() || backend.getStats().totalPeers === 0)) {
          // a node whose peers all left has to find the network again before
          // a probe can reach anyone; the put below decides either way
          try {
            await backend.bootstrap({ signal })
          } catch (err: any) {
            if (signal.aborted) throw err
            this.log('bootstrap of the real backend failed - %e', err)
          }
        }
        const put = await backend.putValue(key, value, { signal })
        if (kind === 'real' && put.remotePeers > 0) this.sawPeers = true
        // A lone real node is healthy (it stores and serves locally), but one
        // that expects peers needs a live remote acceptance: otherwise its
        // writes would stay on this node only, so the journal should take them.
        if (expects && put.remotePeers === 0) {
          throw new NoLivePeerError(`the probe record reached no live peer (${put.refusedPeers ?? 0} refused it)`)
        }
        const got = await backend.getValue(key, { signal })
        if (!bytesEqual(got, value)) throw new Error('the probe read back a different value than it wrote')
      })
      const latency = this.clock.now() - started
      this.health[kind] = {
        ...this.health[kind],
        status: latency > this.config.degradedLatency ? 'degraded' : 'healthy',
        lastCheck: this.clock.now(),
        latency,
        consecutiveFailures: 0
      }
    } catch (err: any) {
      if (lifecycle.aborted || callerSignal?.aborted === true) throw err
      if (err?.name === 'InvalidParametersError') {
        this.log.error('the %s backend refused the probe record %s; merge probeRecordPolicy into its validators - %e', kind, key, err)
      } else {
        this.log('probe of the %s backend failed - %e', kind, err)
      }
      this.health[kind] = { ...this.health[kind], lastCheck: this.clock.now(), latency: this.clock.now() - started }
      this.recordFailure(kind, err)
    }
  }

  private recordSuccess (kind: BackendKind): void {
    const h = this.health[kind]
    if (h.consecutiveFailures === 0 && h.status !== 'failed') return
    this.health[kind] = { ...h, consecutiveFailures: 0, status: 'healthy' }
  }

  private recordFailure (kind: BackendKind, err?: unknown): void {
    const h = this.health[kind]
    const consecutiveFailures = h.consecutiveFailures + 1
    // a cut-off node fails at once: every further write would also stay on it alone
    const cutOff = err instanceof NoLivePeerError
    const failed = cutOff || consecutiveFailures >= this.config.maxConsecutiveFailures
    this.health[kind] = { ...h, errorCount: h.errorCount + 1, consecutiveFailures, status: failed ? 'failed' : 'degraded' }
    if (kind === 'real' && failed && this.active === 'real' && this.config.fallbackOnError) {
      this.active = 'mock'
      if (cutOff) this.log.error('the real backend reaches no live peer although it expects some; falling back to the mock')
      else this.log.error('the real backend failed %d times in a row; falling back to the mock', consecutiveFailures)
    }
  }

  /**
   * Whether the real backend should be reaching peers: it was configured
   * with bootstrap nodes, or it knows peers. Only then is a put that no
   * remote peer answered a sign of a cut-off node rather than a lone one.
   */
  /**
   * Whether the real backend should reach peers: it was given bootstrap
   * nodes, or it knows or once knew peers. Sticky: the DHT drops peers it
   * cannot reach, and a node whose peers all vanished is cut off, not alone.
   */
  private expectsPeers (): boolean {
    if (this.config.bootstrapNodes.length > 0 || this.sawPeers) return true
    try {
      this.sawPeers = this.backends.real.getStats().totalPeers > 0
    } catch {}
    return this.sawPeers
  }

  /** A real put that neither stored the record on a remote peer nor met a refusal, while peers are expected. */
  private checkReached (key: string, result: PutResult): PutResult {
    const out = withRefused(result)
    if (out.remotePeers > 0 || out.refusedPeers > 0) this.sawPeers = true
    if (out.remotePeers === 0 && out.refusedPeers === 0 && this.expectsPeers()) {
      throw new NoLivePeerError(`The real DHT stored "${key}" on this node only: it expects peers but none accepted the record`)
    }
    return out
  }

  // --- switching and replay ---

  async switchBackend (kind: BackendKind, options: AbortOptions = {}): Promise<void> {
    if (kind !== 'mock' && kind !== 'real') throw new InvalidParametersError(`backend must be "mock" or "real", got ${String(kind)}`)
    const lifecycle = this.requireStarted()
    if (kind === 'mock') {
      this.manual = 'mock'
      this.active = 'mock'
      this.log('switched to the mock backend')
      return
    }
    if (!this.realStarted) {
      await this.backends.real.start()
      this.realStarted = true
    }
    this.realEnabled = true
    await withTimeout(this.config.timeout, [options.signal, lifecycle], async (signal) => this.replay(signal))
    this.manual = 'real'
    this.active = 'real'
    this.log('switched to the real backend')
  }

  /** Replays the journal, then makes the real backend active again. Failures leave the mock active. */
  private async tryRecover (lifecycle: AbortSignal, callerSignal?: AbortSignal): Promise<void> {
    try {
      await withTimeout(this.config.timeout, [callerSignal, lifecycle], async (signal) => this.replay(signal))
      if (this.manual !== 'mock') {
        if (this.active !== 'real') this.log('the real backend is healthy again; journal replayed, switching back')
        this.active = 'real'
      }
    } catch (err: any) {
      if (lifecycle.aborted || callerSignal?.aborted === true) throw err
      this.log.error('replay to the real backend failed, staying on the mock - %e', err)
    }
  }

  private async replay (signal: AbortSignal): Promise<void> {
    // single flight: a concurrent caller waits for the running replay
    this.replaying ??= this.replayAll(signal).finally(() => { this.replaying = undefined })
    await this.replaying
  }

  private async replayAll (signal: AbortSignal): Promise<void> {
    const real = this.backends.real
    for (let entry = this.journal.peek(); entry != null; entry = this.journal.peek()) {
      if (entry.op === 'provide') {
        await this.callBackend('real', signal, async (s) => real.provide(entry!.key, { signal: s }))
      } else if (entry.value != null) {
        const value = entry.value
        let current: Uint8Array | undefined
        try {
          // what the network holds, not this node's own copy: a cut-off node
          // stored the record locally, and an equal local copy proves nothing
          current = await this.callBackend('real', signal, async (s) => real.getValue(entry!.key, { remoteOnly: true, signal: s }))
        } catch (err: any) {
          if (!CALLER_ERRORS.has(err?.name)) throw err
        }
        const selector = this.selectorFor(entry.key)
        if (current != null && selector != null && !bytesEqual(current, value) && selector(entry.key, [current, value]) === 0) {
          this.dropped++
          this.log('replay of %s dropped: the real backend holds a record its selector prefers', entry.key)
        } else {
          // also when the network already holds these bytes: an identical re-put is accepted and costs little
          try {
            const put = await this.callBackend('real', signal, async (s) => this.checkReached(entry!.key, await real.putValue(entry!.key, value, { signal: s })))
            if (put.remotePeers === 0 && put.refusedPeers > 0) {
              this.dropped++
              this.log.error('replay of %s: every remote peer reached (%d) keeps the record it holds; dropping it', entry.key, put.refusedPeers)
            }
          } catch (err: any) {
            if (!REFUSALS.has(err?.name)) throw err
            // the real backend will never accept it: do not block the queue forever
            this.dropped++
            this.log.error('the real backend refused journaled record %s (%s), dropping it - %e', entry.key, err.name, err)
          }
        }
      }
      await this.journal.remove(entry.seq, { signal })
    }
  }

  private selectorFor (key: string): RecordSelector | undefined {
    const ns = namespaceOf(key)
    return ns === undefined ? undefined : this.selectors[ns]
  }

  // --- backend calls ---

  private requireStarted (): AbortSignal {
    if (this.state !== 'started' || this.lifecycle == null) throw new NotStartedError('HybridDHT is not started')
    return this.lifecycle.signal
  }

  /** Calls one backend under the backend timeout, recording metrics and health. */
  private async callBackend<T> (kind: BackendKind, opSignal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = this.clock.now()
    const m = this.metrics[kind]
    m.operations++
    try {
      const result = await withTimeout(this.config.backendTimeout, [opSignal], fn)
      m.totalLatency += this.clock.now() - started
      this.recordSuccess(kind)
      return result
    } catch (err: any) {
      m.totalLatency += this.clock.now() - started
      if (!CALLER_ERRORS.has(err?.name) && !opSignal.aborted) {
        m.errors++
        m.lastError = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`
        this.recordFailure(kind, err)
      } else if (err?.name === 'NotFoundError') {
        this.recordSuccess(kind)
      }
      throw err
    }
  }

  private isBackendFailure (err: any, opSignal: AbortSignal): boolean {
    return !CALLER_ERRORS.has(err?.name) && !opSignal.aborted
  }

  private async operation<T> (options: AbortOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const lifecycle = this.requireStarted()
    return withTimeout(this.config.timeout, [options.signal, lifecycle], fn)
  }

  /** Whether writes must go to the mock and the journal instead of the real backend. */
  private journaling (): boolean {
    return this.realEnabled && (this.active === 'mock' || this.journal.size > 0)
  }

  /**
   * Runs an operation on the active backend; when the real one fails and
   * fallback is on, runs it on the mock instead.
   */
  private async route<T> (opSignal: AbortSignal, run: (dht: DHT, signal: AbortSignal) => Promise<T>): Promise<{ result: T, on: BackendKind }> {
    if (this.active === 'real') {
      try {
        return { result: await this.callBackend('real', opSignal, async (s) => run(this.backends.real, s)), on: 'real' }
      } catch (err: any) {
        if (!this.config.fallbackOnError || !this.isBackendFailure(err, opSignal)) throw err
        this.log('real backend failed (%e), using the mock for this call', err)
      }
    }
    return { result: await this.callBackend('mock', opSignal, async (s) => run(this.backends.mock, s)), on: 'mock' }
  }

  // --- the DHT contract ---

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    return this.operation(options, async (signal) => {
      if (this.realEnabled && this.active === 'real' && this.journal.size > 0) {
        // keep write order: earlier journaled writes reach the real backend first
        await this.tryRecover(this.lifecycle!.signal, signal)
      }
      if (!this.journaling()) {
        const { result, on } = await this.route(signal, async (dht, s) => {
          const put = await dht.putValue(key, value, { ...options, signal: s })
          return dht === this.backends.real && this.realEnabled ? this.checkReached(key, put) : withRefused(put)
        })
        if (on === 'mock' && this.realEnabled) await this.journal.append('put', key, value, this.clock.now(), { signal })
        return result
      }
      const result = withRefused(await this.callBackend('mock', signal, async (s) => this.backends.mock.putValue(key, value, { ...options, signal: s })))
      await this.journal.append('put', key, value, this.clock.now(), { signal })
      return result
    })
  }

  async getValue (key: string, options: GetValueOptions = {}): Promise<Uint8Array> {
    return this.operation(options, async (signal) => {
      const fromMock = async (): Promise<Uint8Array> => {
        try {
          return await this.callBackend('mock', signal, async (s) => this.backends.mock.getValue(key, { ...options, signal: s }))
        } catch (err: any) {
          if (err?.name === 'NotFoundError' && this.realEnabled) {
            // A real node that is running but cut off still holds what it
            // stored before: its own copy beats no answer.
            const local = this.realStarted
              ? await this.backends.real.getValueFromPeer(this.backends.real.peerId, key, { signal }).catch(() => undefined)
              : undefined
            if (local != null) return local
            throw new BackendUnavailableError(`The real DHT is unavailable and neither the mock nor this node's own store holds a record for "${key}"`, { cause: err })
          }
          throw err
        }
      }
      if (this.active === 'mock') return fromMock()
      if (this.journal.hasKey(key)) {
        // our newest write for this key is still waiting in the journal
        try {
          return await this.callBackend('mock', signal, async (s) => this.backends.mock.getValue(key, { ...options, signal: s }))
        } catch {}
      }
      try {
        return await this.callBackend('real', signal, async (s) => this.backends.real.getValue(key, { ...options, signal: s }))
      } catch (err: any) {
        if (!this.config.fallbackOnError || !this.isBackendFailure(err, signal)) throw err
        this.log('real backend failed (%e), reading from the mock', err)
        return fromMock()
      }
    })
  }

  async getValueFromPeer (peerId: string, key: string, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    return this.operation(options, async (signal) => (await this.route(signal, async (dht, s) => dht.getValueFromPeer(peerId, key, { signal: s }))).result)
  }

  async getClosestPeers (key: string, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    return this.operation(options, async (signal) => (await this.route(signal, async (dht, s) => dht.getClosestPeers(key, { ...options, signal: s }))).result)
  }

  async provide (key: string, options: AbortOptions = {}): Promise<void> {
    await this.operation(options, async (signal) => {
      if (!this.journaling()) {
        const { on } = await this.route(signal, async (dht, s) => dht.provide(key, { signal: s }))
        if (on === 'mock' && this.realEnabled) await this.journal.append('provide', key, undefined, this.clock.now(), { signal })
        return
      }
      await this.callBackend('mock', signal, async (s) => this.backends.mock.provide(key, { signal: s }))
      await this.journal.append('provide', key, undefined, this.clock.now(), { signal })
    })
  }

  async findProviders (key: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    return this.operation(options, async (signal) => (await this.route(signal, async (dht, s) => dht.findProviders(key, { ...options, signal: s }))).result)
  }

  /**
   * A writer withdrawing its claim must withdraw it everywhere this node
   * could still publish it from: the active backend, the other backend's
   * local store (a cut-off real node stored the record before the mock took
   * it; the mock serves reads after a failover) and the journal, whose
   * replay would otherwise put the withdrawn record on the real DHT later.
   */
  async removeLocal (key: string, value: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    return this.operation(options, async (signal) => {
      // a replay in flight could be putting this very record: let it finish first
      await this.replaying?.catch(() => {})
      const kinds: BackendKind[] = this.active === 'real' ? ['real', 'mock'] : ['mock', 'real']
      let removed = false
      for (const kind of kinds) {
        if (kind === 'real' && !this.realStarted) continue
        try {
          if (await this.backends[kind].removeLocal(key, value, { signal })) removed = true
        } catch (err: any) {
          // the active backend's answer is the contract's; the other one is best effort
          if (kind === this.active || signal.aborted) throw err
          this.log('removeLocal of %s on the %s backend failed - %e', key, kind, err)
        }
      }
      for (const e of this.journal.all()) {
        if (e.op === 'put' && e.key === key && e.value != null && bytesEqual(e.value, value)) {
          await this.journal.remove(e.seq, { signal })
          removed = true
        }
      }
      return removed
    })
  }

  async bootstrap (options: AbortOptions = {}): Promise<void> {
    await this.operation(options, async (signal) => { await this.route(signal, async (dht, s) => dht.bootstrap({ signal: s })) })
  }

  isBootstrapped (): boolean {
    return this.state === 'started' && this.backends[this.active].isBootstrapped()
  }

  getConnectedPeers (): PeerInfo[] {
    return this.state === 'started' ? this.backends[this.active].getConnectedPeers() : []
  }

  getStats (): DHTStats {
    const stats = this.backends[this.active].getStats()
    return this.state === 'started' ? stats : { ...stats, uptime: 0 }
  }
}

