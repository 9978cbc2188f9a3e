import { logWarning } from '@chorus-dht/utils'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { BackendUnavailableError } from './errors.js'
import { probeKey, probeValue } from './probe.js'
import { withTimeout } from './util.js'
import type { BackendMetrics } from './index.js'
import type { BackendHealth, BackendKind, Clock, DHT, Logger, PutResult } from '@chorus-dht/types'

/** Errors that say something about the request, not about the backend's health. */
export const CALLER_ERRORS = new Set(['NotFoundError', 'InvalidParametersError', 'RecordConflictError'])

/**
 * A real put that stored the record on this node only although the real
 * backend expects peers: the node is cut off. Still a
 * `BackendUnavailableError` by name (callers branch on the name); the
 * class lets the monitor tell it from other failures, since it fails over
 * at once instead of after `maxConsecutiveFailures`.
 */
class NoLivePeerError extends BackendUnavailableError {}

/** Fills in `refusedPeers` for a real DHT built against an older contract. */
export function withRefused (result: PutResult): PutResult {
  return { ...result, refusedPeers: result.refusedPeers ?? 0 }
}

/** Which backend serves calls, shared by the hybrid's parts (the monitor fails over by setting `active`). */
export interface BackendState {
  active: BackendKind
  /** The real backend is in use (configured, or switched to). */
  realEnabled: boolean
  /** The real backend's `start()` succeeded and it was not stopped since. */
  realStarted: boolean
}

export interface HealthMonitorComponents {
  backends: Record<BackendKind, DHT>
  state: BackendState
  clock: Clock
  /** Logs as `<logPrefix>:hybrid-dht:health`. */
  log: Logger
}

export interface HealthMonitorInit {
  fallbackOnError: boolean
  maxConsecutiveFailures: number
  backendTimeout: number
  probeTimeout: number
  degradedLatency: number
  /** Non-empty: the real backend expects peers from the start. */
  bootstrapNodes: readonly string[]
}

interface MetricState { operations: number, errors: number, totalLatency: number, lastError?: string }

function freshHealth (backend: BackendKind): BackendHealth {
  return { backend, status: 'healthy', lastCheck: 0, errorCount: 0, latency: 0, consecutiveFailures: 0 }
}

/**
 * Each backend's health and metrics: every backend call goes through
 * {@link HealthMonitor.call}, which times it out and records its outcome;
 * the probe writes and reads back a probe record. When the real backend
 * turns `failed` and fallback is on, the monitor makes the mock active.
 */
export class HealthMonitor {
  private readonly c: HealthMonitorComponents
  private readonly init: HealthMonitorInit
  private readonly health: Record<BackendKind, BackendHealth> = { mock: freshHealth('mock'), real: freshHealth('real') }
  private readonly metrics: Record<BackendKind, MetricState> = {
    mock: { operations: 0, errors: 0, totalLatency: 0 },
    real: { operations: 0, errors: 0, totalLatency: 0 }
  }

  private probeNonce = 0
  /** The real backend has known peers since start (see expectsPeers). */
  private sawPeers = false

  constructor (components: HealthMonitorComponents, init: HealthMonitorInit) {
    this.c = components
    this.init = init
  }

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

  /** Whether a backend's latest state is `failed`. */
  failed (kind: BackendKind): boolean {
    return this.health[kind].status === 'failed'
  }

  /** The real backend did not start: it counts as failed at once. */
  startFailed (): void {
    const h = this.health.real
    this.health.real = { ...h, status: 'failed', lastCheck: this.c.clock.now(), consecutiveFailures: Math.max(h.consecutiveFailures + 1, this.init.maxConsecutiveFailures), errorCount: h.errorCount + 1 }
    if (this.c.state.active === 'real' && this.init.fallbackOnError) this.c.state.active = 'mock'
  }

  /** Whether `err` says the backend is unwell (not the request, not the caller's abort). */
  isBackendFailure (err: any, opSignal: AbortSignal): boolean {
    return !CALLER_ERRORS.has(err?.name) && !opSignal.aborted
  }

  /** Calls one backend under the backend timeout, recording metrics and health. */
  async call<T> (kind: BackendKind, opSignal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = this.c.clock.now()
    const m = this.metrics[kind]
    m.operations++
    try {
      const result = await withTimeout(this.init.backendTimeout, [opSignal], fn)
      m.totalLatency += this.c.clock.now() - started
      this.recordSuccess(kind)
      return result
    } catch (err: any) {
      m.totalLatency += this.c.clock.now() - started
      if (this.isBackendFailure(err, opSignal)) {
        m.errors++
        m.lastError = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`
        this.recordFailure(kind, err)
      } else if (err?.name === 'NotFoundError') {
        this.recordSuccess(kind)
      }
      throw err
    }
  }

  /**
   * Writes a probe record and reads it back, under `probeTimeout`. A real
   * backend that expects peers is bootstrapped first when it knows none,
   * and passes only when a remote peer accepted the record.
   */
  async probe (kind: BackendKind, callerSignal: AbortSignal | undefined, lifecycle: AbortSignal): Promise<void> {
    const backend = this.c.backends[kind]
    const key = probeKey(backend.peerId)
    const value = probeValue(this.c.clock.now(), ++this.probeNonce)
    const started = this.c.clock.now()
    try {
      await withTimeout(this.init.probeTimeout, [callerSignal, lifecycle], async (signal) => {
        const expects = kind === 'real' && this.expectsPeers()
        // connected is not enough: until the routing table holds a peer, a put reaches nobody
        if (expects && (!backend.isBootstrapped() || backend.getStats().totalPeers === 0)) {
          // a node whose peers all left has to find the network again before
          // a probe can reach anyone; the put below decides either way
          try {
            await backend.bootstrap({ signal })
          } catch (err: any) {
            if (signal.aborted) throw err
            this.c.log('bootstrap of the real backend failed - %e', err)
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
      const latency = this.c.clock.now() - started
      this.health[kind] = {
        ...this.health[kind],
        status: latency > this.init.degradedLatency ? 'degraded' : 'healthy',
        lastCheck: this.c.clock.now(),
        latency,
        consecutiveFailures: 0
      }
    } catch (err: any) {
      if (lifecycle.aborted || callerSignal?.aborted === true) throw err
      if (err?.name === 'InvalidParametersError') {
        this.c.log.error('the %s backend refused the probe record %s; merge probeRecordPolicy into its validators - %e', kind, key, err)
      } else {
        this.c.log('probe of the %s backend failed - %e', kind, err)
      }
      this.health[kind] = { ...this.health[kind], lastCheck: this.c.clock.now(), latency: this.c.clock.now() - started }
      this.recordFailure(kind, err)
    }
  }

  /**
   * A real put that neither stored the record on a remote peer nor met a
   * refusal while peers are expected: rejects (a cut-off node). Returns the
   * result with `refusedPeers` filled in otherwise.
   */
  checkReached (key: string, result: PutResult): PutResult {
    const out = withRefused(result)
    if (out.remotePeers > 0 || out.refusedPeers > 0) this.sawPeers = true
    if (out.remotePeers === 0 && out.refusedPeers === 0 && this.expectsPeers()) {
      throw new NoLivePeerError(`The real DHT stored "${key}" on this node only: it expects peers but none accepted the record`)
    }
    return out
  }

  /**
   * Whether the real backend should reach peers: it was given bootstrap
   * nodes, or it knows or once knew peers. Sticky: the DHT drops peers it
   * cannot reach, and a node whose peers all vanished is cut off, not alone.
   */
  private expectsPeers (): boolean {
    if (this.init.bootstrapNodes.length > 0 || this.sawPeers) return true
    try {
      this.sawPeers = this.c.backends.real.getStats().totalPeers > 0
    } catch {}
    return this.sawPeers
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
    const failed = cutOff || consecutiveFailures >= this.init.maxConsecutiveFailures
    this.health[kind] = { ...h, errorCount: h.errorCount + 1, consecutiveFailures, status: failed ? 'failed' : 'degraded' }
    if (kind === 'real' && failed && this.c.state.active === 'real' && this.init.fallbackOnError) {
      this.c.state.active = 'mock'
      if (cutOff) logWarning(this.c.log, 'the real backend reaches no live peer although it expects some; falling back to the mock')
      else logWarning(this.c.log, 'the real backend failed %d times in a row; falling back to the mock', consecutiveFailures)
    }
  }
}
