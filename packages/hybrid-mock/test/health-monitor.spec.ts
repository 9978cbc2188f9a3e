import { describe, expect, it } from 'vitest'
import { HealthMonitor } from '../src/health-monitor.js'
import type { BackendState } from '../src/health-monitor.js'
import type { DHT, PutResult } from '@chorus-dht/types'

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name })
const silent: any = Object.assign(() => {}, { error: () => {}, trace: () => {} })

function setup (init: { maxConsecutiveFailures?: number, fallbackOnError?: boolean, bootstrapNodes?: string[], totalPeers?: number } = {}): { monitor: HealthMonitor, state: BackendState, clock: { t: number, now: () => number } } {
  const clock = { t: 1_000, now () { return this.t } }
  const state: BackendState = { active: 'real', realEnabled: true, realStarted: true }
  const real = { peerId: 'real', getStats: () => ({ totalPeers: init.totalPeers ?? 0 }) } as unknown as DHT
  const mock = { peerId: 'mock' } as unknown as DHT
  const monitor = new HealthMonitor({ backends: { real, mock }, state, clock, log: silent }, {
    fallbackOnError: init.fallbackOnError ?? true,
    maxConsecutiveFailures: init.maxConsecutiveFailures ?? 3,
    backendTimeout: 10_000,
    probeTimeout: 10_000,
    degradedLatency: 2_000,
    bootstrapNodes: init.bootstrapNodes ?? []
  })
  return { monitor, state, clock }
}

const signal = new AbortController().signal

describe('HealthMonitor', () => {
  it('counts calls, backend errors and latency (from the clock) per backend', async () => {
    const { monitor, clock } = setup({ maxConsecutiveFailures: 10 })
    await monitor.call('real', signal, async () => { clock.t += 30; return 1 })
    await expect(monitor.call('real', signal, async () => { clock.t += 10; throw named('BackendUnavailableError', 'down') })).rejects.toThrow('down')
    await monitor.call('mock', signal, async () => 2)
    expect(monitor.getMetrics()).toEqual({
      real: { operations: 2, errors: 1, averageLatency: 20, lastError: 'BackendUnavailableError: down' },
      mock: { operations: 1, errors: 0, averageLatency: 0, lastError: undefined }
    })
    expect(monitor.getBackendHealth().real).toEqual({ backend: 'real', status: 'degraded', lastCheck: 0, errorCount: 1, latency: 0, consecutiveFailures: 1 })
    expect(monitor.getBackendHealth().mock).toEqual({ backend: 'mock', status: 'healthy', lastCheck: 0, errorCount: 0, latency: 0, consecutiveFailures: 0 })
  })

  it('the request\'s own errors are not failures; NotFoundError even resets the streak', async () => {
    const { monitor } = setup()
    await expect(monitor.call('real', signal, async () => { throw named('TimeoutError') })).rejects.toThrow()
    expect(monitor.getBackendHealth().real.consecutiveFailures).toBe(1)
    for (const name of ['InvalidParametersError', 'RecordConflictError']) {
      await expect(monitor.call('real', signal, async () => { throw named(name) })).rejects.toMatchObject({ name })
    }
    expect(monitor.getBackendHealth().real).toMatchObject({ consecutiveFailures: 1, errorCount: 1, status: 'degraded' })
    await expect(monitor.call('real', signal, async () => { throw named('NotFoundError') })).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(monitor.getBackendHealth().real).toMatchObject({ consecutiveFailures: 0, errorCount: 1, status: 'healthy' })
    expect(monitor.getMetrics().real).toMatchObject({ operations: 4, errors: 1 })
    // a failure while the caller's signal is aborted is the caller's, not the backend's
    const aborted = new AbortController()
    aborted.abort()
    await expect(monitor.call('real', aborted.signal, async () => { throw named('Error') })).rejects.toBeDefined()
    expect(monitor.getBackendHealth().real.consecutiveFailures).toBe(0)
    expect(monitor.isBackendFailure(named('Error'), signal)).toBe(true)
    expect(monitor.isBackendFailure(named('NotFoundError'), signal)).toBe(false)
    expect(monitor.isBackendFailure(named('Error'), aborted.signal)).toBe(false)
  })

  it('maxConsecutiveFailures in a row mark the real backend failed and make the mock active', async () => {
    const { monitor, state } = setup({ maxConsecutiveFailures: 2 })
    const fail = async (): Promise<never> => { throw named('BackendUnavailableError') }
    await expect(monitor.call('real', signal, fail)).rejects.toThrow()
    expect(state.active).toBe('real')
    expect(monitor.failed('real')).toBe(false)
    await expect(monitor.call('real', signal, fail)).rejects.toThrow()
    expect(monitor.failed('real')).toBe(true)
    expect(state.active).toBe('mock')
    // a success heals it, but switching back is the hybrid's (after replay)
    await monitor.call('real', signal, async () => 1)
    expect(monitor.getBackendHealth().real).toMatchObject({ status: 'healthy', consecutiveFailures: 0, errorCount: 2 })
    expect(state.active).toBe('mock')
  })

  it('without fallback a failed real backend stays active; a failed mock never switches anything', async () => {
    const off = setup({ maxConsecutiveFailures: 1, fallbackOnError: false })
    await expect(off.monitor.call('real', signal, async () => { throw named('Error') })).rejects.toThrow()
    expect(off.monitor.failed('real')).toBe(true)
    expect(off.state.active).toBe('real')
    const on = setup({ maxConsecutiveFailures: 1 })
    await expect(on.monitor.call('mock', signal, async () => { throw named('Error') })).rejects.toThrow()
    expect(on.monitor.failed('mock')).toBe(true)
    expect(on.state.active).toBe('real')
  })

  it('a real backend that did not start is failed at once', () => {
    const { monitor, state, clock } = setup({ maxConsecutiveFailures: 4 })
    monitor.startFailed()
    expect(monitor.getBackendHealth().real).toEqual({ backend: 'real', status: 'failed', lastCheck: clock.t, errorCount: 1, latency: 0, consecutiveFailures: 4 })
    expect(state.active).toBe('mock')
  })

  it('checkReached: a put stored on this node only fails (at once) when peers are expected', async () => {
    const only: PutResult = { remotePeers: 0, peers: [], refusedPeers: 0 }
    // a lone node that never saw a peer: fine, and refusedPeers is filled in
    const lone = setup()
    expect(lone.monitor.checkReached('/k', { remotePeers: 0, peers: [] } as unknown as PutResult)).toEqual(only)
    // bootstrap nodes given: peers are expected
    const expecting = setup({ bootstrapNodes: ['/memory/b'] })
    expect(() => expecting.monitor.checkReached('/k', only)).toThrow(expect.objectContaining({ name: 'BackendUnavailableError', message: expect.stringContaining('"/k"') }))
    // through a call it fails the backend at once, not after maxConsecutiveFailures (3)
    await expect(expecting.monitor.call('real', signal, async () => expecting.monitor.checkReached('/k', only))).rejects.toMatchObject({ name: 'BackendUnavailableError' })
    expect(expecting.monitor.getBackendHealth().real).toMatchObject({ status: 'failed', consecutiveFailures: 1 })
    expect(expecting.state.active).toBe('mock')
    // refused by every peer reached: the network answered
    expect(expecting.monitor.checkReached('/k', { ...only, refusedPeers: 1 })).toEqual({ ...only, refusedPeers: 1 })
    // known peers make it expect them
    const known = setup({ totalPeers: 2 })
    expect(() => known.monitor.checkReached('/k', only)).toThrow(expect.objectContaining({ name: 'BackendUnavailableError' }))
    // and once a put reached a peer, peers stay expected
    const seen = setup()
    seen.monitor.checkReached('/k', { remotePeers: 1, peers: ['p'], refusedPeers: 0 })
    expect(() => seen.monitor.checkReached('/k', only)).toThrow(expect.objectContaining({ name: 'BackendUnavailableError' }))
  })
})

interface ProbeScript {
  bootstrapped?: boolean
  totalPeers?: number
  remotePeers?: number
  readBack?: 'same' | 'other'
  putError?: Error
  bootstrapError?: Error
  latency?: number
}

/** A backend whose probe answers are scripted; records the calls it gets. */
function probed (script: ProbeScript, clock: { t: number }): { dht: DHT, calls: string[] } {
  const calls: string[] = []
  let stored: Uint8Array | undefined
  const dht = {
    peerId: 'p1',
    isBootstrapped: () => script.bootstrapped ?? true,
    getStats: () => ({ totalPeers: script.totalPeers ?? 1 }),
    async bootstrap (options: { signal?: AbortSignal }) { calls.push(`bootstrap ${options.signal instanceof AbortSignal}`); if (script.bootstrapError != null) throw script.bootstrapError },
    async putValue (key: string, value: Uint8Array, options: { signal?: AbortSignal }) {
      calls.push(`put ${key} ${options.signal instanceof AbortSignal}`)
      clock.t += script.latency ?? 0
      if (script.putError != null) throw script.putError
      stored = value
      return { remotePeers: script.remotePeers ?? 1, peers: [], refusedPeers: 0 }
    },
    async getValue (key: string, options: { signal?: AbortSignal }) {
      calls.push(`get ${key} ${options.signal instanceof AbortSignal}`)
      return script.readBack === 'other' ? new Uint8Array([0]) : stored!
    }
  } as unknown as DHT
  return { dht, calls }
}

function probeSetup (script: ProbeScript, init: { bootstrapNodes?: string[], maxConsecutiveFailures?: number } = {}): { monitor: HealthMonitor, calls: string[], errors: unknown[][], debug: unknown[][], clock: { t: number, now: () => number }, state: BackendState } {
  const clock = { t: 5_000, now () { return this.t } }
  const { dht, calls } = probed(script, clock)
  const errors: unknown[][] = []
  const debug: unknown[][] = []
  const log: any = (...a: unknown[]) => { debug.push(a) }
  log.error = (...a: unknown[]) => { errors.push(a) }
  log.trace = () => {}
  const state: BackendState = { active: 'real', realEnabled: true, realStarted: true }
  const monitor = new HealthMonitor({ backends: { real: dht, mock: dht }, state, clock, log }, {
    fallbackOnError: true, maxConsecutiveFailures: init.maxConsecutiveFailures ?? 3, backendTimeout: 10_000, probeTimeout: 10_000, degradedLatency: 2_000, bootstrapNodes: init.bootstrapNodes ?? []
  })
  return { monitor, calls, errors, debug, clock, state }
}

describe('HealthMonitor probe', () => {
  const lifecycle = new AbortController().signal

  it('writes a fresh probe record, reads it back and records the latency; slower than degradedLatency is degraded', async () => {
    const { monitor, calls, clock } = probeSetup({ latency: 2_000 })
    await monitor.probe('real', undefined, lifecycle)
    expect(calls).toEqual(['put /chorus-probe/p1 true', 'get /chorus-probe/p1 true'])
    expect(monitor.getBackendHealth().real).toEqual({ backend: 'real', status: 'healthy', lastCheck: clock.t, errorCount: 0, latency: 2_000, consecutiveFailures: 0 })
    const slow = probeSetup({ latency: 2_001 })
    await slow.monitor.probe('real', undefined, lifecycle)
    expect(slow.monitor.getBackendHealth().real).toMatchObject({ status: 'degraded', latency: 2_001 })
    // probes do not count as operations
    expect(monitor.getMetrics().real.operations).toBe(0)
  })

  it('each probe writes a different value', async () => {
    const values: string[] = []
    const { monitor } = probeSetup({})
    const real = (monitor as any).c.backends.real
    const put = real.putValue
    real.putValue = async (k: string, v: Uint8Array, o: any) => { values.push(new TextDecoder().decode(v)); return put(k, v, o) }
    await monitor.probe('real', undefined, lifecycle)
    await monitor.probe('real', undefined, lifecycle)
    expect(values).toHaveLength(2)
    expect(values[0]).not.toBe(values[1])
  })

  it('a real backend that expects peers is bootstrapped first when not bootstrapped or with no peer, and needs a remote acceptance', async () => {
    for (const script of [{ bootstrapped: false }, { totalPeers: 0 }]) {
      const { monitor, calls } = probeSetup(script, { bootstrapNodes: ['/memory/b'] })
      await monitor.probe('real', undefined, lifecycle)
      expect(calls[0]).toBe('bootstrap true')
      expect(monitor.getBackendHealth().real.status).toBe('healthy')
    }
    // bootstrapped with peers: no bootstrap
    const ready = probeSetup({}, { bootstrapNodes: ['/memory/b'] })
    await ready.monitor.probe('real', undefined, lifecycle)
    expect(ready.calls.some(c => c.startsWith('bootstrap'))).toBe(false)
    // the mock is never bootstrapped, and a lone real node neither
    const mock = probeSetup({ bootstrapped: false }, { bootstrapNodes: ['/memory/b'] })
    await mock.monitor.probe('mock', undefined, lifecycle)
    expect(mock.calls.some(c => c.startsWith('bootstrap'))).toBe(false)
    const lone = probeSetup({ bootstrapped: false, totalPeers: 0, remotePeers: 0 })
    await lone.monitor.probe('real', undefined, lifecycle)
    expect(lone.calls.some(c => c.startsWith('bootstrap'))).toBe(false)
    expect(lone.monitor.getBackendHealth().real.status).toBe('healthy')
    // a failed bootstrap is logged, and the put decides
    const failing = probeSetup({ bootstrapped: false, bootstrapError: named('Error', 'no route') }, { bootstrapNodes: ['/memory/b'] })
    await failing.monitor.probe('real', undefined, lifecycle)
    expect(failing.monitor.getBackendHealth().real.status).toBe('healthy')
    expect(failing.debug.some(a => String(a[0]).includes('bootstrap'))).toBe(true)
    // expected peers but nobody took the probe record: failed at once
    const cut = probeSetup({ remotePeers: 0 }, { bootstrapNodes: ['/memory/b'] })
    await cut.monitor.probe('real', undefined, lifecycle)
    expect(cut.monitor.getBackendHealth().real).toMatchObject({ status: 'failed', consecutiveFailures: 1, errorCount: 1 })
    expect(cut.state.active).toBe('mock')
  })

  it('a probe put that reached a peer makes the real backend expect peers from then on', async () => {
    const s = probeSetup({ totalPeers: 0, remotePeers: 1 })
    await s.monitor.probe('real', undefined, lifecycle)
    expect(() => s.monitor.checkReached('/k', { remotePeers: 0, peers: [], refusedPeers: 0 })).toThrow(expect.objectContaining({ name: 'BackendUnavailableError' }))
    // the mock's remote peers say nothing about the real backend
    const m = probeSetup({ totalPeers: 0, remotePeers: 1 })
    await m.monitor.probe('mock', undefined, lifecycle)
    expect(m.monitor.checkReached('/k', { remotePeers: 0, peers: [], refusedPeers: 0 })).toEqual({ remotePeers: 0, peers: [], refusedPeers: 0 })
  })

  it('a failed probe counts as a failure; a refused probe record is logged as an error naming probeRecordPolicy', async () => {
    const other = probeSetup({ readBack: 'other' })
    await other.monitor.probe('real', undefined, lifecycle)
    expect(other.monitor.getBackendHealth().real).toMatchObject({ status: 'degraded', consecutiveFailures: 1, errorCount: 1, lastCheck: other.clock.t })
    expect(other.errors).toEqual([])
    const refused = probeSetup({ putError: named('InvalidParametersError') }, { maxConsecutiveFailures: 1 })
    await refused.monitor.probe('real', undefined, lifecycle)
    expect(refused.monitor.getBackendHealth().real.status).toBe('failed')
    expect(refused.errors).toHaveLength(1)
    expect(String(refused.errors[0][0])).toContain('probeRecordPolicy')
    const down = probeSetup({ putError: named('BackendUnavailableError') })
    await down.monitor.probe('real', undefined, lifecycle)
    expect(down.errors).toEqual([])
    expect(down.debug.some(a => String(a[0]).startsWith('probe of the %s backend failed'))).toBe(true)
  })

  it('an aborted caller or lifecycle ends the probe with its error and records nothing', async () => {
    for (const which of ['caller', 'lifecycle'] as const) {
      const s = probeSetup({ putError: named('AbortError') })
      const c = new AbortController()
      c.abort()
      const p = which === 'caller' ? s.monitor.probe('real', c.signal, lifecycle) : s.monitor.probe('real', undefined, c.signal)
      await expect(p).rejects.toBeDefined()
      expect(s.monitor.getBackendHealth().real).toMatchObject({ consecutiveFailures: 0, errorCount: 0, lastCheck: 0 })
    }
  })

  it('a success after failures heals the backend; a success without failures changes nothing', async () => {
    const { monitor } = setup({ maxConsecutiveFailures: 1 })
    await monitor.call('real', signal, async () => 1)
    expect(monitor.getBackendHealth().real).toEqual({ backend: 'real', status: 'healthy', lastCheck: 0, errorCount: 0, latency: 0, consecutiveFailures: 0 })
    await expect(monitor.call('real', signal, async () => { throw named('Error') })).rejects.toThrow()
    expect(monitor.getBackendHealth().real.status).toBe('failed')
    await expect(monitor.call('real', signal, async () => { throw named('NotFoundError') })).rejects.toThrow()
    expect(monitor.getBackendHealth().real).toMatchObject({ status: 'healthy', consecutiveFailures: 0, errorCount: 1 })
  })

  it('lastError names a thrown non-error too', async () => {
    const { monitor } = setup()
    await expect(monitor.call('real', signal, async () => { throw 'plain' })).rejects.toBe('plain')
    expect(monitor.getMetrics().real.lastError).toBe('Error: plain')
  })
})
