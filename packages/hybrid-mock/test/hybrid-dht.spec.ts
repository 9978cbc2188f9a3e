import { MemoryDatastore } from 'datastore-core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createMockNetwork, type HybridDHT, type HybridDHTInit, hybridDHT, type MockDHT, type MockNetwork, mergePolicies,
  mockDHT, probeRecordPolicy
} from '../src/index.js'
import type { Datastore } from 'interface-datastore'

const enc = new TextEncoder()
const dec = new TextDecoder()
const text = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : dec.decode(b)
// records are "<seq>:<text>"; the selector prefers the highest seq
const rec = (seq: number, t: string): Uint8Array => enc.encode(`${seq}:${t}`)
const seqOf = (v: Uint8Array): number => Number(dec.decode(v).split(':')[0])

const appPolicy = {
  validators: { app: (_k: string, v: Uint8Array) => { if (!Number.isInteger(seqOf(v))) throw new Error('no seq') } },
  selectors: { app: (_k: string, vs: Uint8Array[]) => vs.reduce((best, v, i) => (seqOf(v) > seqOf(vs[best]) ? i : best), 0) }
}
const policy = mergePolicies(appPolicy, probeRecordPolicy)

async function rejection (p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

interface Setup {
  hybrid: HybridDHT
  real: MockDHT
  mock: MockDHT
  observer: MockDHT
  realNet: MockNetwork
}

let cleanup: Array<{ stop: () => unknown }> = []

function build (real: MockDHT, init: HybridDHTInit = {}, datastore?: Datastore): HybridDHT {
  const mock = mockDHT({ ...policy, peerId: real.peerId })()
  const hybrid = hybridDHT({ useRealDHT: true, selectors: policy.selectors, ...init })({ real, mock, datastore })
  cleanup.push(hybrid)
  return hybrid
}

async function setup (init: HybridDHTInit = {}, datastore?: Datastore): Promise<Setup> {
  const realNet = createMockNetwork()
  // another node of the real DHT: what the rest of the network sees
  const observer = mockDHT(policy)({ network: realNet })
  await observer.start()
  cleanup.push(observer)
  const real = mockDHT({ ...policy, peerId: 'node' })({ network: realNet })
  const mock = mockDHT({ ...policy, peerId: 'node' })()
  const hybrid = hybridDHT({ useRealDHT: true, selectors: policy.selectors, ...init })({ real, mock, datastore })
  cleanup.push(hybrid)
  await hybrid.start()
  return { hybrid, real, mock, observer, realNet }
}

/** Makes the real backend fail until the returned function is called. */
function outage (real: MockDHT): () => void {
  real.setFailureRate(1)
  return () => { real.setFailureRate(0) }
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(async () => {
  for (const c of cleanup) await c.stop()
  cleanup = []
  vi.useRealTimers()
})

describe('HybridDHT failover', () => {
  it('uses the real backend while it is healthy', async () => {
    const { hybrid, observer } = await setup()
    expect(hybrid.activeBackend).toBe('real')
    await hybrid.putValue('/app/a', rec(1, 'x'))
    expect(text(await observer.getValue('/app/a'))).toBe('1:x')
    expect(hybrid.getMetrics().real.operations).toBe(1)
    expect(hybrid.getMetrics().mock.operations).toBe(0)
  })

  it('falls back per call at once and fails over after maxConsecutiveFailures', async () => {
    const { hybrid, real } = await setup({ maxConsecutiveFailures: 3 })
    outage(real)
    await hybrid.putValue('/app/a', rec(1, 'a'))
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.getBackendHealth().real).toMatchObject({ status: 'degraded', consecutiveFailures: 1, errorCount: 1 })
    await hybrid.putValue('/app/b', rec(1, 'b'))
    expect(hybrid.activeBackend).toBe('real')
    await hybrid.putValue('/app/c', rec(1, 'c'))
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real).toMatchObject({ backend: 'real', status: 'failed', consecutiveFailures: 3 })
    expect(hybrid.getMetrics().real.errors).toBe(3)
    expect(hybrid.getMetrics().real.lastError).toMatch(/BackendUnavailableError/)
    expect(hybrid.pendingWrites).toBe(3)
    // nothing was lost: every write is readable through the hybrid
    for (const k of ['a', 'b', 'c']) expect(text(await hybrid.getValue(`/app/${k}`))).toBe(`1:${k}`)
  })

  it('reads during fallback try the mock, then report BackendUnavailableError instead of a false not-found', async () => {
    const { hybrid, real } = await setup({ maxConsecutiveFailures: 1 })
    await hybrid.putValue('/app/before', rec(1, 'only on real'))
    outage(real)
    await hybrid.putValue('/app/during', rec(1, 'on mock'))
    expect(hybrid.activeBackend).toBe('mock')
    expect(text(await hybrid.getValue('/app/during'))).toBe('1:on mock')
    const err = await rejection(hybrid.getValue('/app/before'))
    expect(err.name).toBe('BackendUnavailableError')
  })

  it('a healthy real backend still reports NotFoundError', async () => {
    const { hybrid } = await setup()
    expect((await rejection(hybrid.getValue('/app/none'))).name).toBe('NotFoundError')
    expect(hybrid.getBackendHealth().real.consecutiveFailures).toBe(0)
  })

  it('with fallbackOnError false the error reaches the caller and nothing is journaled', async () => {
    const { hybrid, real } = await setup({ fallbackOnError: false, maxConsecutiveFailures: 1 })
    outage(real)
    expect((await rejection(hybrid.putValue('/app/a', rec(1, 'a')))).name).toBe('BackendUnavailableError')
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(hybrid.getBackendHealth().real.status).toBe('failed')
  })

  it('an invalid record is the caller\'s error, not a backend failure', async () => {
    const { hybrid } = await setup()
    expect((await rejection(hybrid.putValue('/app/a', enc.encode('no-seq')))).name).toBe('InvalidParametersError')
    expect(hybrid.getBackendHealth().real.consecutiveFailures).toBe(0)
    expect(hybrid.pendingWrites).toBe(0)
  })
})

describe('HybridDHT recovery', () => {
  it('the periodic probe finds the real backend healthy again, replays the journal and switches back', async () => {
    const { hybrid, real, observer } = await setup({ maxConsecutiveFailures: 1, healthCheckInterval: 10_000 })
    const end = outage(real)
    await hybrid.putValue('/app/a', rec(1, 'a'))
    await hybrid.provide('chorus:role:tester')
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.pendingWrites).toBe(2)

    await vi.advanceTimersByTimeAsync(10_000)
    // still down: the probe failed, nothing moved
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real.lastCheck).toBe(Date.now())
    expect(hybrid.pendingWrites).toBe(2)

    end()
    await vi.advanceTimersByTimeAsync(9_999)
    expect(hybrid.activeBackend).toBe('mock')
    await vi.advanceTimersByTimeAsync(1)
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(hybrid.getBackendHealth().real).toMatchObject({ status: 'healthy', consecutiveFailures: 0 })
    expect(text(await observer.getValue('/app/a'))).toBe('1:a')
    expect((await observer.findProviders('chorus:role:tester')).map((p) => p.id)).toContain('node')
  })

  it('replays in write order, and the selector keeps a newer record written elsewhere meanwhile', async () => {
    const { hybrid, real, observer } = await setup({ maxConsecutiveFailures: 1 })
    const replayed: string[] = []
    const put = real.putValue.bind(real)
    real.putValue = async (key, value, options) => {
      replayed.push(`${key}=${dec.decode(value)}`)
      return put(key, value, options)
    }
    const end = outage(real)
    await hybrid.putValue('/app/x', rec(1, 'first'))
    replayed.length = 0
    await hybrid.putValue('/app/y', rec(1, 'y'))
    await hybrid.putValue('/app/x', rec(2, 'second'))
    await hybrid.putValue('/app/z', rec(3, 'mine'))
    await hybrid.putValue('/app/w', rec(3, 'mine'))
    // meanwhile the rest of the network wrote z newer and w older than ours
    await observer.putValue('/app/z', rec(5, 'theirs'))
    await observer.putValue('/app/w', rec(1, 'theirs'))
    replayed.length = 0

    end()
    await hybrid.checkHealth()
    expect(hybrid.activeBackend).toBe('real')
    expect(replayed.filter((r) => r.startsWith('/app/'))).toEqual([
      '/app/x=1:first', '/app/y=1:y', '/app/x=2:second', '/app/w=3:mine'
    ])
    expect(text(await observer.getValue('/app/x'))).toBe('2:second')
    expect(text(await observer.getValue('/app/z'))).toBe('5:theirs')
    expect(text(await observer.getValue('/app/w'))).toBe('3:mine')
    expect(text(await hybrid.getValue('/app/z'))).toBe('5:theirs')
  })

  it('writes after a single failed call queue behind the journal until it is replayed', async () => {
    const { hybrid, real, observer } = await setup({ maxConsecutiveFailures: 5 })
    const order: string[] = []
    const put = real.putValue.bind(real)
    real.putValue = async (key, value, options) => {
      if (key.startsWith('/app/')) order.push(`${key}=${dec.decode(value)}`)
      return put(key, value, options)
    }
    const end = outage(real)
    await hybrid.putValue('/app/k', rec(1, 'old'))
    end()
    order.length = 0
    // real is reachable again: this write first replays the journal, then goes to real
    await hybrid.putValue('/app/k', rec(2, 'new'))
    expect(order).toEqual(['/app/k=1:old', '/app/k=2:new'])
    expect(hybrid.pendingWrites).toBe(0)
    expect(text(await observer.getValue('/app/k'))).toBe('2:new')
  })

  it('a restart in the middle of an outage loses nothing with a persisted journal', async () => {
    const datastore = new MemoryDatastore()
    const { hybrid, real, observer } = await setup({ maxConsecutiveFailures: 1 }, datastore)
    const end = outage(real)
    await hybrid.putValue('/app/p', rec(1, 'p'))
    await hybrid.putValue('/app/q', rec(1, 'q'))
    expect(hybrid.pendingWrites).toBe(2)
    await hybrid.stop()

    // a new process: fresh hybrid, fresh mock, same datastore, real still down
    const again = build(real, { maxConsecutiveFailures: 1, healthCheckInterval: 5_000 }, datastore)
    await again.start()
    expect(again.activeBackend).toBe('mock')
    expect(again.pendingWrites).toBe(2)
    expect(text(await again.getValue('/app/p'))).toBe('1:p')
    await again.putValue('/app/r', rec(1, 'r'))

    end()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(again.activeBackend).toBe('real')
    expect(again.pendingWrites).toBe(0)
    for (const k of ['p', 'q', 'r']) expect(text(await observer.getValue(`/app/${k}`))).toBe(`1:${k}`)
    // the replayed entries are gone from the datastore too
    const left = []
    for await (const pair of datastore.query({ prefix: '/chorus-hybrid/journal' })) left.push(pair)
    expect(left).toHaveLength(0)
  })

  it('a real backend that fails to start is retried by the health check', async () => {
    const realNet = createMockNetwork()
    const real = mockDHT({ ...policy, peerId: 'node' })({ network: realNet })
    const start = real.start.bind(real)
    let attempts = 0
    real.start = () => {
      if (++attempts === 1) throw new Error('port in use')
      start()
    }
    const hybrid = build(real, { healthCheckInterval: 1_000 })
    await hybrid.start()
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real.status).toBe('failed')
    await hybrid.putValue('/app/early', rec(1, 'e'))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(attempts).toBe(2)
    expect(hybrid.activeBackend).toBe('real')
    expect(text(await real.getValue('/app/early'))).toBe('1:e')
  })

  it('stop() during a start that is replaying ends it and leaves nothing running', async () => {
    const datastore = new MemoryDatastore()
    const { hybrid, real, realNet } = await setup({ maxConsecutiveFailures: 1 }, datastore)
    const end = outage(real)
    await hybrid.putValue('/app/s', rec(1, 's'))
    await hybrid.stop()
    end()
    realNet.setConditions({ latency: 60_000 })
    const again = build(real, {}, datastore)
    const starting = rejection((async () => { await again.start() })())
    await vi.advanceTimersByTimeAsync(10)
    expect(again.status).toBe('starting')
    await again.stop()
    expect((await starting).name).toBe('NotStartedError')
    expect(again.status).toBe('stopped')
    expect(real.status).toBe('stopped')
    expect(vi.getTimerCount()).toBe(0)
    // the journal survived for the next start
    realNet.setConditions({ latency: 0 })
    const third = build(real, {}, datastore)
    await third.start()
    expect(third.pendingWrites).toBe(0)
    expect(text(await real.getValue('/app/s'))).toBe('1:s')
  })

  it('a restart after the outage replays the persisted journal during start', async () => {
    const datastore = new MemoryDatastore()
    const { hybrid, real, observer } = await setup({ maxConsecutiveFailures: 1 }, datastore)
    const end = outage(real)
    await hybrid.putValue('/app/s', rec(1, 's'))
    await hybrid.stop()
    end()
    const again = build(real, {}, datastore)
    await again.start()
    expect(again.activeBackend).toBe('real')
    expect(again.pendingWrites).toBe(0)
    expect(text(await observer.getValue('/app/s'))).toBe('1:s')
  })
})

describe('HybridDHT isolation', () => {
  it('fails over when the real node knows peers but reaches none, and replays once they answer again', async () => {
    vi.useFakeTimers()
    const { hybrid, realNet, observer } = await setup({ maxConsecutiveFailures: 2, healthCheckInterval: 1_000 })
    expect(hybrid.activeBackend).toBe('real')
    // every message on the real network is lost: puts still resolve (stored locally) with no remote peer
    await hybrid.putValue('/app/before', rec(1, 'local'))
    realNet.setConditions({ failureRate: 1 })
    await vi.advanceTimersByTimeAsync(2_100)
    expect(hybrid.getBackendHealth().real.status).toBe('failed')
    expect(hybrid.activeBackend).toBe('mock')
    // the cut-off node still serves its own copy of what it stored before
    expect(text(await hybrid.getValue('/app/before'))).toBe('1:local')
    await hybrid.putValue('/app/cut-off', rec(1, 'kept'))
    expect(hybrid.pendingWrites).toBe(1)

    realNet.setConditions({ failureRate: 0 })
    await vi.advanceTimersByTimeAsync(1_100)
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(text(await observer.getValue('/app/cut-off'))).toBe('1:kept')
  })

  it('a lone real node with no known peer stays healthy', async () => {
    const real = mockDHT({ ...policy, peerId: 'lone' })({ network: createMockNetwork() })
    const hybrid = build(real)
    await hybrid.start()
    await hybrid.checkHealth()
    expect(hybrid.getBackendHealth().real.status).toBe('healthy')
    expect(hybrid.activeBackend).toBe('real')
  })
})

describe('HybridDHT writes that hold', () => {
  // the real node was told to expect peers; its only peer (the observer) dies
  const expecting: HybridDHTInit = { bootstrapNodes: ['/memory/observer'], healthCheckInterval: 1_000 }

  it('a put that reaches no live peer while peers are expected fails over at once and is journaled', async () => {
    const { hybrid, real, observer } = await setup(expecting)
    await hybrid.putValue('/app/before', rec(1, 'b'))
    await observer.stop()
    expect(real.getStats().totalPeers).toBe(0)
    const result = await hybrid.putValue('/app/k', rec(1, 'k'))
    // the mock took it (a lone mock: no remote peer), not the cut-off real node
    expect(result).toEqual({ remotePeers: 0, peers: [], refusedPeers: 0 })
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real).toMatchObject({ status: 'failed', consecutiveFailures: 1 })
    expect(hybrid.getMetrics().real.lastError).toMatch(/BackendUnavailableError/)
    expect(hybrid.pendingWrites).toBe(1)
    expect(text(await hybrid.getValue('/app/k'))).toBe('1:k')
    // later writes go straight to the mock and the journal
    await hybrid.putValue('/app/l', rec(1, 'l'))
    expect(hybrid.pendingWrites).toBe(2)
  })

  it('known peers that stop answering count the same, without bootstrapNodes', async () => {
    const { hybrid, realNet } = await setup({ maxConsecutiveFailures: 3 })
    realNet.setConditions({ failureRate: 1 })
    await hybrid.putValue('/app/k', rec(1, 'k'))
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.pendingWrites).toBe(1)
  })

  it('a put refused by every peer it reached is not a failure: the network answered', async () => {
    const { hybrid, observer } = await setup(expecting)
    await observer.putValue('/app/r', rec(5, 'theirs'))
    await hybrid.removeLocal('/app/r', rec(5, 'theirs'))
    const result = await hybrid.putValue('/app/r', rec(1, 'mine'))
    expect(result).toEqual({ remotePeers: 0, peers: [], refusedPeers: 1 })
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
  })

  it('a local refusal is the caller\'s RecordConflictError, not a backend failure', async () => {
    const { hybrid, observer } = await setup(expecting)
    await hybrid.putValue('/app/c', rec(5, 'newer'))
    expect((await rejection(hybrid.putValue('/app/c', rec(1, 'older')))).name).toBe('RecordConflictError')
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.getBackendHealth().real.consecutiveFailures).toBe(0)
    expect(hybrid.pendingWrites).toBe(0)
    expect(text(await observer.getValue('/app/c'))).toBe('5:newer')
  })

  it('with fallbackOnError false a cut-off put rejects BackendUnavailableError and nothing is journaled', async () => {
    const { hybrid, observer } = await setup({ ...expecting, fallbackOnError: false })
    await observer.stop()
    expect((await rejection(hybrid.putValue('/app/k', rec(1, 'k')))).name).toBe('BackendUnavailableError')
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.getBackendHealth().real.status).toBe('failed')
    expect(hybrid.pendingWrites).toBe(0)
  })

  it('bootstrapNodes alone make a real node that never saw a peer expect them: its lone put fails over', async () => {
    // the control of the test below: the same lone node, told to expect peers
    const real = mockDHT({ ...policy, peerId: 'lone' })({ network: createMockNetwork() })
    const hybrid = build(real, { bootstrapNodes: ['/memory/bootstrap'], healthCheckInterval: 1_000 })
    await hybrid.start()
    expect(hybrid.config.bootstrapNodes).toEqual(['/memory/bootstrap'])
    expect(real.getStats().totalPeers).toBe(0)
    expect(await hybrid.putValue('/app/k', rec(1, 'k'))).toEqual({ remotePeers: 0, peers: [], refusedPeers: 0 })
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real).toMatchObject({ status: 'failed', consecutiveFailures: 1 })
    expect(hybrid.pendingWrites).toBe(1)
    // and the probe does not pass while no remote peer takes the probe record
    await vi.advanceTimersByTimeAsync(3_000)
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.pendingWrites).toBe(1)
  })

  it('a lone real node with no bootstrapNodes and no peer keeps working locally', async () => {
    const real = mockDHT({ ...policy, peerId: 'lone' })({ network: createMockNetwork() })
    const hybrid = build(real, { healthCheckInterval: 1_000 })
    await hybrid.start()
    expect(await hybrid.putValue('/app/k', rec(1, 'k'))).toEqual({ remotePeers: 0, peers: [], refusedPeers: 0 })
    await vi.advanceTimersByTimeAsync(3_000)
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(hybrid.getBackendHealth().real.status).toBe('healthy')
    expect(text(await real.getValue('/app/k'))).toBe('1:k')
  })

  it('stays on the mock while the probe reaches no live peer, bootstrapping first; then replays in order and switches back', async () => {
    const { hybrid, real, observer } = await setup(expecting)
    const order: string[] = []
    const put = real.putValue.bind(real)
    real.putValue = async (key, value, options) => {
      if (key.startsWith('/app/')) order.push(`${key}=${dec.decode(value)}`)
      return put(key, value, options)
    }
    let bootstraps = 0
    const bootstrap = real.bootstrap.bind(real)
    real.bootstrap = async (options) => { bootstraps++; return bootstrap(options) }
    await observer.stop()
    await hybrid.putValue('/app/a', rec(1, 'a'))
    await hybrid.putValue('/app/b', rec(1, 'b'))
    await hybrid.putValue('/app/a', rec(2, 'a'))
    expect(hybrid.activeBackend).toBe('mock')
    order.length = 0

    for (let i = 1; i <= 3; i++) {
      await vi.advanceTimersByTimeAsync(1_000)
      expect(hybrid.getBackendHealth().real.lastCheck).toBe(Date.now())
      expect(bootstraps).toBe(i)
    }
    // the probe's put stored locally but reached nobody: not healthy
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real.status).toBe('failed')
    expect(hybrid.pendingWrites).toBe(3)
    expect(order).toEqual([])

    await observer.start()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(hybrid.droppedWrites).toBe(0)
    expect(order).toEqual(['/app/a=1:a', '/app/b=1:b', '/app/a=2:a'])
    expect(text(await observer.getValueFromPeer(observer.peerId, '/app/a'))).toBe('2:a')
    expect(text(await observer.getValueFromPeer(observer.peerId, '/app/b'))).toBe('1:b')
  })

  it('a bootstrap that hangs is bounded by probeTimeout', async () => {
    const { hybrid, real, observer } = await setup({ ...expecting, probeTimeout: 500 })
    await observer.stop()
    await hybrid.putValue('/app/k', rec(1, 'k'))
    real.bootstrap = async () => new Promise<void>(() => {})
    const checked = hybrid.checkHealth()
    await vi.advanceTimersByTimeAsync(500)
    const health = await checked
    expect(health.real).toMatchObject({ status: 'failed', latency: 500 })
    expect(hybrid.activeBackend).toBe('mock')
  })

  it('a replayed record the real DHT refuses is dropped, counted and logged, and the replay goes on', async () => {
    // claims: the first record wins on every node (replacer); the selector prefers the higher seq
    const claims = mergePolicies(policy, { validators: { claim: appPolicy.validators.app }, selectors: { claim: appPolicy.selectors.app }, replacers: { claim: () => false } })
    const strict = mergePolicies(claims, { validators: { claim: (_k: string, v: Uint8Array) => { if (dec.decode(v).includes('banned')) throw new Error('banned') } } })
    const realNet = createMockNetwork()
    const observer = mockDHT({ ...claims, peerId: 'observer' })({ network: realNet })
    await observer.start()
    cleanup.push(observer)
    const real = mockDHT({ ...strict, peerId: 'node' })({ network: realNet })
    const mock = mockDHT({ ...claims, peerId: 'node' })()
    const errors: string[] = []
    const logger = { forComponent: () => Object.assign(() => {}, { error: (f: string, ...a: unknown[]) => { errors.push([f, ...a].join(' ')) }, trace: () => {}, enabled: true }) }
    const hybrid = hybridDHT({ useRealDHT: true, bootstrapNodes: ['/memory/observer'], maxConsecutiveFailures: 1, selectors: claims.selectors })({ real, mock, logger })
    cleanup.push(hybrid)
    await hybrid.start()

    const end = outage(real)
    await hybrid.putValue('/claim/v1', rec(2, 'mine'))
    await hybrid.putValue('/claim/v2', rec(1, 'banned'))
    await hybrid.putValue('/claim/v3', rec(1, 'ok'))
    expect(hybrid.pendingWrites).toBe(3)
    // meanwhile another writer claimed v1 first, on the real network
    await observer.putValue('/claim/v1', rec(1, 'theirs'))
    end()

    await hybrid.checkHealth()
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(hybrid.droppedWrites).toBe(2)
    expect(errors.filter((e) => e.includes('/claim/v1') && e.includes('RecordConflictError'))).toHaveLength(1)
    expect(errors.filter((e) => e.includes('/claim/v2') && e.includes('InvalidParametersError'))).toHaveLength(1)
    expect(text(await observer.getValueFromPeer(observer.peerId, '/claim/v1'))).toBe('1:theirs')
    expect(await observer.getValueFromPeer(observer.peerId, '/claim/v2')).toBeUndefined()
    expect(text(await observer.getValueFromPeer(observer.peerId, '/claim/v3'))).toBe('1:ok')
  })

  it('removeLocal withdraws a claim from the mock, the cut-off real node and the journal', async () => {
    const { hybrid, real, observer } = await setup(expecting)
    await observer.stop()
    await hybrid.putValue('/app/w', rec(1, 'withdrawn'))
    await hybrid.putValue('/app/x', rec(1, 'kept'))
    expect(hybrid.activeBackend).toBe('mock')
    // the cut-off real node stored it before the mock took it
    expect(text(await real.getValueFromPeer(real.peerId, '/app/w'))).toBe('1:withdrawn')
    expect(await hybrid.removeLocal('/app/w', rec(1, 'other'))).toBe(false)
    expect(hybrid.pendingWrites).toBe(2)
    expect(await hybrid.removeLocal('/app/w', rec(1, 'withdrawn'))).toBe(true)
    expect(hybrid.pendingWrites).toBe(1)
    expect(await real.getValueFromPeer(real.peerId, '/app/w')).toBeUndefined()
    expect((await rejection(hybrid.getValue('/app/w'))).name).toBe('BackendUnavailableError')
    expect(await hybrid.removeLocal('/app/w', rec(1, 'withdrawn'))).toBe(false)

    await observer.start()
    await hybrid.checkHealth()
    expect(hybrid.activeBackend).toBe('real')
    expect(await observer.getValueFromPeer(observer.peerId, '/app/w')).toBeUndefined()
    expect(text(await observer.getValueFromPeer(observer.peerId, '/app/x'))).toBe('1:kept')
  })
})

describe('HybridDHT switching', () => {
  it('switchBackend("mock") holds until switchBackend("real"), which replays first', async () => {
    const { hybrid, observer } = await setup({ healthCheckInterval: 1_000 })
    await hybrid.switchBackend('mock')
    expect(hybrid.activeBackend).toBe('mock')
    await hybrid.putValue('/app/m', rec(1, 'm'))
    expect(hybrid.pendingWrites).toBe(1)
    await vi.advanceTimersByTimeAsync(3_000)
    // a healthy probe does not undo a manual switch
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.getBackendHealth().real.lastCheck).toBeGreaterThan(0)
    expect((await rejection(observer.getValue('/app/m'))).name).toBe('NotFoundError')

    await hybrid.switchBackend('real')
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.pendingWrites).toBe(0)
    expect(text(await observer.getValue('/app/m'))).toBe('1:m')
  })

  it('switchBackend("real") rejects and stays on the mock when the replay fails', async () => {
    const { hybrid, real } = await setup()
    await hybrid.switchBackend('mock')
    await hybrid.putValue('/app/m', rec(1, 'm'))
    outage(real)
    expect((await rejection(hybrid.switchBackend('real'))).name).toBe('BackendUnavailableError')
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybrid.pendingWrites).toBe(1)
  })

  it('a mock-only hybrid starts the real backend on switchBackend("real")', async () => {
    const { hybrid, real } = await setup({ useRealDHT: false })
    expect(hybrid.activeBackend).toBe('mock')
    expect(real.status).toBe('stopped')
    await hybrid.putValue('/app/local', rec(1, 'l'))
    expect(hybrid.pendingWrites).toBe(0)
    await hybrid.switchBackend('real')
    expect(real.status).toBe('started')
    expect(hybrid.activeBackend).toBe('real')
    expect(hybrid.peerId).toBe(real.peerId)
  })

  it('rejects an unknown backend name', async () => {
    const { hybrid } = await setup()
    expect((await rejection(hybrid.switchBackend('other' as any))).name).toBe('InvalidParametersError')
  })
})

describe('HybridDHT health', () => {
  it('reports the SPEC fields for each backend, and degraded for a slow probe', async () => {
    const { hybrid, realNet } = await setup({ degradedLatency: 2_000 })
    realNet.setConditions({ latency: 3_000 })
    const p = hybrid.checkHealth()
    await vi.advanceTimersByTimeAsync(3_000)
    const health = await p
    expect(health.real).toEqual({ backend: 'real', status: 'degraded', lastCheck: Date.now(), errorCount: 0, latency: 3_000, consecutiveFailures: 0 })
    expect(health.mock).toMatchObject({ backend: 'mock', status: 'healthy', latency: 0 })
  })

  it('a backend that refuses the probe record is reported failed', async () => {
    const real = mockDHT({ ...appPolicy, peerId: 'strict' })()
    const hybrid = build(real, { maxConsecutiveFailures: 2 })
    await hybrid.start()
    await hybrid.checkHealth()
    await hybrid.checkHealth()
    expect(hybrid.getBackendHealth().real).toMatchObject({ status: 'failed', consecutiveFailures: 2, errorCount: 2 })
  })

  it('the health loop runs every interval and stops on stop()', async () => {
    const { hybrid } = await setup({ healthCheckInterval: 1_000 })
    expect(hybrid.getBackendHealth().real.lastCheck).toBe(0)
    await vi.advanceTimersByTimeAsync(1_000)
    const first = hybrid.getBackendHealth().real.lastCheck
    expect(first).toBe(Date.now())
    await hybrid.stop()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(hybrid.getBackendHealth().real.lastCheck).toBe(first)
    expect((await rejection(hybrid.checkHealth())).name).toBe('NotStartedError')
  })

  it('counts operations and errors per backend', async () => {
    const { hybrid, real } = await setup({ maxConsecutiveFailures: 10 })
    await hybrid.putValue('/app/a', rec(1, 'a'))
    await hybrid.getValue('/app/a')
    outage(real)
    await hybrid.getClosestPeers('/app/a')
    const m = hybrid.getMetrics()
    expect(m.real).toMatchObject({ operations: 3, errors: 1 })
    expect(m.mock).toMatchObject({ operations: 1, errors: 0 })
    expect(m.real.averageLatency).toBeGreaterThanOrEqual(0)
  })

  it('validates its configuration', () => {
    const real = mockDHT()()
    const mock = mockDHT()()
    expect(() => hybridDHT({ healthCheckInterval: 0 })({ real, mock })).toThrow(/healthCheckInterval/)
    expect(() => hybridDHT({ bootstrapNodes: ['not-a-multiaddr'] })({ real, mock })).toThrow(/bootstrapNodes/)
    expect(() => hybridDHT()({ real } as any)).toThrow(/real and a mock/)
  })
})
