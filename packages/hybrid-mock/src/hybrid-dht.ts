import { logWarning } from '@chorus-dht/utils'
import { defaultLogger } from '@libp2p/logger'
import { repeatingTask } from '@libp2p/utils'
import { DEFAULT_LOG_PREFIX } from './constants.js'
import { BackendUnavailableError, InvalidParametersError, NotStartedError } from './errors.js'
import { HealthMonitor, withRefused } from './health-monitor.js'
import { resolveConfig } from './hybrid-config.js'
import { WriteJournal } from './journal.js'
import { JournalReplayer } from './journal-replay.js'
import { lifecycleController, withTimeout } from './util.js'
import type { BackendState } from './health-monitor.js'
import type { RepeatingTask } from '@libp2p/utils'
import type { BackendMetrics, HybridConfig, HybridDHT, HybridDHTComponents, HybridDHTInit } from './index.js'
import type {
  AbortOptions, BackendHealth, BackendKind, Clock, DHT, DHTStats, FindProvidersOptions, GetValueOptions, Logger,
  PeerInfo, PutResult, PutValueOptions, ServiceStatus
} from '@chorus-dht/types'

/**
 * The facade and the router: the lifecycle, the DHT contract routed to the
 * active backend (with the per-call fallback and the journal), and the
 * switches between backends. The health of each backend is the
 * {@link HealthMonitor}'s (`health-monitor.ts`), the journal's delivery the
 * {@link JournalReplayer}'s (`journal-replay.ts`); neither calls back here.
 */
export class DefaultHybridDHT implements HybridDHT {
  readonly config: Readonly<HybridConfig>
  private readonly backends: Record<BackendKind, DHT>
  private readonly clock: Clock
  private readonly log: Logger
  private readonly journal: WriteJournal
  private readonly state: BackendState
  private readonly monitor: HealthMonitor
  private readonly replayer: JournalReplayer

  private manual?: BackendKind
  private status_: ServiceStatus = 'stopped'
  private lifecycle?: AbortController
  private healthTask?: RepeatingTask
  private starting?: Promise<void>

  constructor (components: HybridDHTComponents, init: HybridDHTInit = {}) {
    if (components?.real == null || components.mock == null) {
      throw new InvalidParametersError('HybridDHT needs both a real and a mock DHT component')
    }
    this.config = resolveConfig(init)
    this.backends = { real: components.real, mock: components.mock }
    this.clock = components.clock ?? Date
    const logger = components.logger ?? defaultLogger()
    const logPrefix = init.logPrefix ?? DEFAULT_LOG_PREFIX
    this.log = logger.forComponent(`${logPrefix}:hybrid-dht`)
    this.journal = new WriteJournal(components.datastore, this.config.journalPrefix, logger.forComponent(`${logPrefix}:journal`))
    this.state = { active: this.config.useRealDHT ? 'real' : 'mock', realEnabled: this.config.useRealDHT, realStarted: false }
    this.monitor = new HealthMonitor({ backends: this.backends, state: this.state, clock: this.clock, log: logger.forComponent(`${logPrefix}:hybrid-dht:health`) }, this.config)
    this.replayer = new JournalReplayer({
      real: this.backends.real, mock: this.backends.mock, journal: this.journal, monitor: this.monitor, log: logger.forComponent(`${logPrefix}:hybrid-dht:replay`)
    }, { selectors: init.selectors ?? {} })
  }

  get peerId (): string {
    return this.backends[this.state.active].peerId
  }

  get activeBackend (): BackendKind {
    return this.state.active
  }

  get status (): ServiceStatus {
    return this.status_
  }

  get pendingWrites (): number {
    return this.journal.size
  }

  get droppedWrites (): number {
    return this.replayer.droppedWrites
  }

  // --- lifecycle ---

  async start (): Promise<void> {
    if (this.status_ === 'started') return
    this.starting ??= this.doStart().finally(() => { this.starting = undefined })
    await this.starting
  }

  private async doStart (): Promise<void> {
    this.status_ = 'starting'
    const lifecycle = lifecycleController()
    this.lifecycle = lifecycle
    const signal = lifecycle.signal
    const st = this.state
    try {
      await this.backends.mock.start()
      if (st.realEnabled) await this.startReal()
      await this.journal.load({ signal })
      // the mock must serve what the journal holds (a restart mid-outage)
      await this.replayer.restore(signal)
      // a real backend that failed to start stays active when there is no fallback: its calls fail
      st.active = st.realEnabled && (!this.monitor.failed('real') || !this.config.fallbackOnError) ? 'real' : 'mock'
      if (st.realEnabled && st.realStarted && this.journal.size > 0 && !this.monitor.failed('real')) {
        // a restart mid-outage: replay only once a probe (which joins the
        // network first) reaches a live peer, else wait for the next probe
        st.active = 'mock'
        await this.monitor.probe('real', undefined, signal)
        if (!this.monitor.failed('real')) await this.tryRecover(signal)
      }
      if (signal.aborted) throw new NotStartedError('HybridDHT was stopped while starting')
    } catch (err) {
      lifecycle.abort()
      this.lifecycle = undefined
      await this.stopBackends()
      this.status_ = 'stopped'
      throw err
    }
    this.status_ = 'started'
    this.startHealthTask()
    this.log('started, active backend %s, %d journaled writes', st.active, this.journal.size)
  }

  async stop (): Promise<void> {
    if (this.status_ === 'starting') {
      // end a start that is still replaying, then make sure all is down
      this.lifecycle?.abort(new NotStartedError('HybridDHT was stopped while starting'))
      await this.starting?.catch(() => {})
    }
    if (this.status_ !== 'started') return
    this.status_ = 'stopping'
    this.healthTask?.stop()
    this.healthTask = undefined
    this.lifecycle?.abort(new NotStartedError('HybridDHT was stopped'))
    this.lifecycle = undefined
    await this.replayer.idle()
    await this.stopBackends()
    this.status_ = 'stopped'
    this.log('stopped')
  }

  private async stopBackends (): Promise<void> {
    this.state.realStarted = false
    for (const kind of ['real', 'mock'] as const) {
      try {
        await this.backends[kind].stop()
      } catch (err: any) {
        this.log.error('stopping the %s backend failed - %e', kind, err)
      }
    }
  }

  /**
   * The health probe every `healthCheckInterval` after the previous one
   * ended; `stop()` leaves no timer. No `timeout` option: a probe has its
   * own `probeTimeout` and a replay the operation `timeout`.
   */
  private startHealthTask (): void {
    this.healthTask = repeatingTask(async () => {
      const signal = this.lifecycle?.signal
      if (signal == null || this.status_ !== 'started') return
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
      this.state.realStarted = true
    } catch (err: any) {
      this.log.error('the real backend did not start - %e', err)
      this.monitor.startFailed()
    }
  }

  // --- health ---

  getBackendHealth (): Record<BackendKind, BackendHealth> {
    return this.monitor.getBackendHealth()
  }

  getMetrics (): Record<BackendKind, BackendMetrics> {
    return this.monitor.getMetrics()
  }

  async checkHealth (options: AbortOptions = {}): Promise<Record<BackendKind, BackendHealth>> {
    const signal = this.requireStarted()
    const st = this.state
    // a real backend that failed to start is retried before it is probed
    if (st.realEnabled && !st.realStarted) await this.startReal()
    const kinds: BackendKind[] = st.realEnabled && st.realStarted ? ['mock', 'real'] : ['mock']
    for (const kind of kinds) await this.monitor.probe(kind, options.signal, signal)
    if (st.realEnabled && !this.monitor.failed('real') && this.manual !== 'mock' && (st.active === 'mock' || this.journal.size > 0)) {
      await this.tryRecover(signal, options.signal)
    }
    return this.getBackendHealth()
  }

  // --- switching and replay ---

  async switchBackend (kind: BackendKind, options: AbortOptions = {}): Promise<void> {
    if (kind !== 'mock' && kind !== 'real') throw new InvalidParametersError(`backend must be "mock" or "real", got ${String(kind)}`)
    const lifecycle = this.requireStarted()
    if (kind === 'mock') {
      this.manual = 'mock'
      this.state.active = 'mock'
      this.log('switched to the mock backend')
      return
    }
    if (!this.state.realStarted) {
      await this.backends.real.start()
      this.state.realStarted = true
    }
    this.state.realEnabled = true
    await withTimeout(this.config.timeout, [options.signal, lifecycle], async (signal) => this.replayer.replay(signal))
    this.manual = 'real'
    this.state.active = 'real'
    this.log('switched to the real backend')
  }

  /** Replays the journal, then makes the real backend active again. Failures leave the mock active. */
  private async tryRecover (lifecycle: AbortSignal, callerSignal?: AbortSignal): Promise<void> {
    try {
      await withTimeout(this.config.timeout, [callerSignal, lifecycle], async (signal) => this.replayer.replay(signal))
      if (this.manual !== 'mock') {
        if (this.state.active !== 'real') this.log('the real backend is healthy again; journal replayed, switching back')
        this.state.active = 'real'
      }
    } catch (err: any) {
      if (lifecycle.aborted || callerSignal?.aborted === true) throw err
      logWarning(this.log, 'replay to the real backend failed, staying on the mock - %e', err)
    }
  }

  // --- backend calls ---

  private requireStarted (): AbortSignal {
    if (this.status_ !== 'started' || this.lifecycle == null) throw new NotStartedError('HybridDHT is not started')
    return this.lifecycle.signal
  }

  private async operation<T> (options: AbortOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const lifecycle = this.requireStarted()
    return withTimeout(this.config.timeout, [options.signal, lifecycle], fn)
  }

  /** Whether writes must go to the mock and the journal instead of the real backend. */
  private journaling (): boolean {
    return this.state.realEnabled && (this.state.active === 'mock' || this.journal.size > 0)
  }

  /**
   * Runs an operation on the active backend; when the real one fails and
   * fallback is on, runs it on the mock instead.
   */
  private async route<T> (opSignal: AbortSignal, run: (dht: DHT, signal: AbortSignal) => Promise<T>): Promise<{ result: T, on: BackendKind }> {
    if (this.state.active === 'real') {
      try {
        return { result: await this.monitor.call('real', opSignal, async (s) => run(this.backends.real, s)), on: 'real' }
      } catch (err: any) {
        if (!this.config.fallbackOnError || !this.monitor.isBackendFailure(err, opSignal)) throw err
        logWarning(this.log, 'real backend failed (%e), using the mock for this call', err)
      }
    }
    return { result: await this.monitor.call('mock', opSignal, async (s) => run(this.backends.mock, s)), on: 'mock' }
  }

  // --- the DHT contract ---

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    return this.operation(options, async (signal) => {
      if (this.state.realEnabled && this.state.active === 'real' && this.journal.size > 0) {
        // keep write order: earlier journaled writes reach the real backend first
        await this.tryRecover(this.lifecycle!.signal, signal)
      }
      if (!this.journaling()) {
        const { result, on } = await this.route(signal, async (dht, s) => {
          const put = await dht.putValue(key, value, { ...options, signal: s })
          return dht === this.backends.real && this.state.realEnabled ? this.monitor.checkReached(key, put) : withRefused(put)
        })
        if (on === 'mock' && this.state.realEnabled) await this.journal.append('put', key, value, this.clock.now(), { signal })
        return result
      }
      const result = withRefused(await this.monitor.call('mock', signal, async (s) => this.backends.mock.putValue(key, value, { ...options, signal: s })))
      await this.journal.append('put', key, value, this.clock.now(), { signal })
      return result
    })
  }

  async getValue (key: string, options: GetValueOptions = {}): Promise<Uint8Array> {
    return this.operation(options, async (signal) => {
      const fromMock = async (): Promise<Uint8Array> => {
        try {
          return await this.monitor.call('mock', signal, async (s) => this.backends.mock.getValue(key, { ...options, signal: s }))
        } catch (err: any) {
          if (err?.name === 'NotFoundError' && this.state.realEnabled) {
            // A real node that is running but cut off still holds what it
            // stored before: its own copy beats no answer.
            const local = this.state.realStarted
              ? await this.backends.real.getValueFromPeer(this.backends.real.peerId, key, { signal }).catch(() => undefined)
              : undefined
            if (local != null) return local
            throw new BackendUnavailableError(`The real DHT is unavailable and neither the mock nor this node's own store holds a record for "${key}"`, { cause: err })
          }
          throw err
        }
      }
      if (this.state.active === 'mock') return fromMock()
      if (this.journal.hasKey(key)) {
        // our newest write for this key is still waiting in the journal
        try {
          return await this.monitor.call('mock', signal, async (s) => this.backends.mock.getValue(key, { ...options, signal: s }))
        } catch {}
      }
      try {
        return await this.monitor.call('real', signal, async (s) => this.backends.real.getValue(key, { ...options, signal: s }))
      } catch (err: any) {
        if (!this.config.fallbackOnError || !this.monitor.isBackendFailure(err, signal)) throw err
        logWarning(this.log, 'real backend failed (%e), reading from the mock', err)
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
        if (on === 'mock' && this.state.realEnabled) await this.journal.append('provide', key, undefined, this.clock.now(), { signal })
        return
      }
      await this.monitor.call('mock', signal, async (s) => this.backends.mock.provide(key, { signal: s }))
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
      await this.replayer.idle()
      const kinds: BackendKind[] = this.state.active === 'real' ? ['real', 'mock'] : ['mock', 'real']
      let removed = false
      for (const kind of kinds) {
        if (kind === 'real' && !this.state.realStarted) continue
        try {
          if (await this.backends[kind].removeLocal(key, value, { signal })) removed = true
        } catch (err: any) {
          // the active backend's answer is the contract's; the other one is best effort
          if (kind === this.state.active || signal.aborted) throw err
          this.log('removeLocal of %s on the %s backend failed - %e', key, kind, err)
        }
      }
      return (await this.journal.removePuts(key, value, { signal })) || removed
    })
  }

  async bootstrap (options: AbortOptions = {}): Promise<void> {
    await this.operation(options, async (signal) => { await this.route(signal, async (dht, s) => dht.bootstrap({ signal: s })) })
  }

  isBootstrapped (): boolean {
    return this.status_ === 'started' && this.backends[this.state.active].isBootstrapped()
  }

  getConnectedPeers (): PeerInfo[] {
    return this.status_ === 'started' ? this.backends[this.state.active].getConnectedPeers() : []
  }

  getStats (): DHTStats {
    const stats = this.backends[this.state.active].getStats()
    return this.status_ === 'started' ? stats : { ...stats, uptime: 0 }
  }
}

