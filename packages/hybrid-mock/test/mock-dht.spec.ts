import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createMockNetwork, type MockDHT, type MockDHTInit, type MockNetwork, mergePolicies, mockDHT, mulberry32, probeKey,
  probeRecordPolicy, seededRandom
} from '../src/index.js'
import type { RecordPolicy } from '@chorus-dht/types'

const enc = new TextEncoder()
const dec = new TextDecoder()
const bytes = (s: string): Uint8Array => enc.encode(s)
const text = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : dec.decode(b)

const policy: RecordPolicy = {
  validators: { app: () => {} },
  selectors: { app: (_k, values) => values.map((v) => dec.decode(v)).reduce((best, t, i, all) => (t > all[best] ? i : best), 0) }
}

async function rejection (p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

let started: MockDHT[] = []
async function nodesOn (network: MockNetwork, count: number, init: MockDHTInit = {}): Promise<MockDHT[]> {
  const dhts = Array.from({ length: count }, () => mockDHT({ ...policy, ...init })({ network }))
  for (const d of dhts) await d.start()
  started.push(...dhts)
  return dhts
}

afterEach(async () => {
  vi.useRealTimers()
  for (const d of started) await d.stop()
  started = []
})

describe('seeded randomness', () => {
  it('seededRandom repeats its sequence for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const c = mulberry32(43)
    const xs = Array.from({ length: 100 }, () => a.next())
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs)
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(xs)
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
  })

  it('a lossy network run is reproduced exactly from the same seed', async () => {
    async function run (seed: number): Promise<string[][]> {
      const network = createMockNetwork({ failureRate: 0.4, random: seededRandom(seed) })
      const nodes = await nodesOn(network, 6)
      const out: string[][] = []
      for (let i = 0; i < 8; i++) out.push((await nodes[i % 6].putValue(`/app/k${i}`, bytes(`v${i}`))).peers)
      for (const d of nodes) await d.stop()
      return out
    }
    const first = await run(7)
    expect(await run(7)).toEqual(first)
    // some messages were lost, so the failure rate is really applied
    expect(first.some((peers) => peers.length < 5)).toBe(true)
  })
})

describe('seeded jitter', () => {
  it('the same seed gives the same message timings, so concurrent answers arrive in the same order', async () => {
    vi.useFakeTimers()
    async function order (seed: number): Promise<string[]> {
      const network = createMockNetwork({ latency: 10, jitter: 100, random: seededRandom(seed) })
      const nodes = await nodesOn(network, 6)
      const arrived: string[] = []
      const all = Promise.all(nodes.slice(1).map(async (d) => {
        await nodes[0].getValueFromPeer(d.peerId, '/app/none')
        arrived.push(d.peerId)
      }))
      await vi.advanceTimersByTimeAsync(110)
      await all
      for (const d of nodes) await d.stop()
      return arrived
    }
    const first = await order(11)
    expect(first).toHaveLength(5)
    expect(await order(11)).toEqual(first)
    const others: string[] = []
    for (const seed of [12, 13, 14]) others.push((await order(seed)).join())
    expect(others.some((o) => o !== first.join())).toBe(true)
  })
})

describe('MockNetwork', () => {
  it('a stopped node is unreachable and keeps its records for when it restarts', async () => {
    const [a, b] = await nodesOn(createMockNetwork(), 2)
    await b.putValue('/app/x', bytes('v1'))
    await b.stop()
    expect((await rejection(a.getValueFromPeer(b.peerId, '/app/x'))).name).toBe('BackendUnavailableError')
    expect(a.getStats().totalPeers).toBe(0)
    expect(a.isBootstrapped()).toBe(false)
    await b.start()
    expect(text(await a.getValueFromPeer(b.peerId, '/app/x'))).toBe('v1')
  })

  it('refuses a second node with the same id', async () => {
    const network = createMockNetwork()
    await nodesOn(network, 1, { peerId: 'same' })
    const twin = mockDHT({ peerId: 'same' })({ network })
    expect((await rejection(Promise.resolve().then(() => twin.start()))).name).toBe('InvalidParametersError')
  })

  it('validates conditions', () => {
    expect(() => createMockNetwork({ failureRate: 2 })).toThrow(/failureRate/)
    expect(() => createMockNetwork().setConditions({ latency: -1 })).toThrow(/latency/)
  })

  it('generated ids are mock-<n> per network', async () => {
    const network = createMockNetwork()
    const [a, b] = await nodesOn(network, 2)
    expect([a.peerId, b.peerId]).toEqual(['mock-1', 'mock-2'])
  })

  it('latency delays a remote answer until the (fake) clock has advanced', async () => {
    vi.useFakeTimers()
    const network = createMockNetwork({ latency: 100 })
    const [a, b] = await nodesOn(network, 2)
    let done = false
    const p = b.getValueFromPeer(a.peerId, '/app/none').then((v) => { done = true; return v })
    await vi.advanceTimersByTimeAsync(99)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await p).toBeUndefined()
  })

  it('an operation slower than the default timeout rejects TimeoutError', async () => {
    vi.useFakeTimers()
    const network = createMockNetwork({ latency: 5_000 })
    const [a, b] = await nodesOn(network, 2, { timeout: 1_000 })
    const p = rejection(b.getValueFromPeer(a.peerId, '/app/slow'))
    await vi.advanceTimersByTimeAsync(1_000)
    expect((await p).name).toBe('TimeoutError')
  })

  it('stop() ends an in-flight operation with NotStartedError', async () => {
    vi.useFakeTimers()
    const network = createMockNetwork({ latency: 5_000 })
    const [a, b] = await nodesOn(network, 2)
    const p = rejection(b.getValue('/app/in-flight'))
    await b.stop()
    expect((await p).name).toBe('NotStartedError')
    expect(a.status).toBe('started')
  })

  it('many concurrent operations print no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error): void => { warnings.push(w) }
    process.on('warning', onWarning)
    try {
      const network = createMockNetwork()
      const [a, b] = await nodesOn(network, 2)
      await a.putValue('/app/busy', bytes('v'))
      const reads = await Promise.all(Array.from({ length: 50 }, async () => text(await b.getValue('/app/busy'))))
      expect(reads.every((r) => r === 'v')).toBe(true)
      // warnings are emitted on the next tick
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('MockDHT', () => {
  it('a put reaches only the k closest peers', async () => {
    const nodes = await nodesOn(createMockNetwork(), 6, { k: 2 })
    const result = await nodes[0].putValue('/app/k', bytes('v1'))
    expect(result.remotePeers).toBe(2)
    expect(result.peers).toEqual(await nodes[0].getClosestPeers('/app/k', { limit: 2 }))
    // the others do not hold it, but still find it through the network
    const others = nodes.slice(1).filter((d) => !result.peers.includes(d.peerId))
    expect(others).toHaveLength(3)
    for (const d of others) {
      expect(await d.getValueFromPeer(d.peerId, '/app/k')).toBeUndefined()
      expect(text(await d.getValue('/app/k'))).toBe('v1')
    }
  })

  it('the selector chooses among differing copies and the outdated copy is corrected', async () => {
    const [a, b, c] = await nodesOn(createMockNetwork(), 3)
    await a.putValue('/app/doc', bytes('v1'))
    await c.stop()
    await a.putValue('/app/doc', bytes('v2'))
    await c.start()
    // c holds the outdated v1; with quorum 1 its local copy is the first answer
    expect(text(await c.getValue('/app/doc'))).toBe('v1')
    expect(text(await c.getValue('/app/doc', { quorum: 3 }))).toBe('v2')
    expect(text(await c.getValueFromPeer(c.peerId, '/app/doc'))).toBe('v2')
    expect(text(await b.getValue('/app/doc', { quorum: 3 }))).toBe('v2')
  })

  it('the selector wins even when the better copy was written first', async () => {
    const [a, b, c] = await nodesOn(createMockNetwork(), 3)
    await c.stop()
    await a.putValue('/app/doc', bytes('v9'))
    await c.start()
    // c holds nothing, so it stores v1; a and b keep their v9 and refuse it
    const result = await c.putValue('/app/doc', bytes('v1'))
    expect(result).toEqual({ remotePeers: 0, peers: [], refusedPeers: 2 })
    expect(text(await c.getValueFromPeer(c.peerId, '/app/doc'))).toBe('v1')
    expect(text(await a.getValue('/app/doc', { quorum: 3 }))).toBe('v9')
    expect(text(await c.getValue('/app/doc', { quorum: 3 }))).toBe('v9')
    // c's outdated copy was corrected by its own read
    expect(text(await c.getValueFromPeer(c.peerId, '/app/doc'))).toBe('v9')
    expect(text(await b.getValueFromPeer(b.peerId, '/app/doc'))).toBe('v9')
  })

  it('a remote peer refuses a record its own validator rejects', async () => {
    const network = createMockNetwork()
    const strict = mockDHT({ validators: { app: () => { throw new Error('no') } }, selectors: policy.selectors })({ network })
    await strict.start()
    started.push(strict)
    const [a] = await nodesOn(network, 1)
    const result = await a.putValue('/app/x', bytes('v1'))
    expect(result.remotePeers).toBe(0)
    expect(await strict.getValueFromPeer(strict.peerId, '/app/x')).toBeUndefined()
  })

  it('whole-operation fault injection fails with BackendUnavailableError until switched off', async () => {
    const [a] = await nodesOn(createMockNetwork({ random: seededRandom(1) }), 1, { failureRate: 1 })
    expect((await rejection(a.putValue('/app/x', bytes('v1')))).name).toBe('BackendUnavailableError')
    a.setFailureRate(0)
    await a.putValue('/app/x', bytes('v1'))
    expect(text(await a.getValue('/app/x'))).toBe('v1')
    expect(() => { a.setFailureRate(1.5) }).toThrow(/failureRate/)
  })

  it('minPeers that cannot be met rejects BackendUnavailableError (the local copy is kept)', async () => {
    const network = createMockNetwork({ random: seededRandom(3) })
    const [a] = await nodesOn(network, 3)
    network.setConditions({ failureRate: 1 })
    expect((await rejection(a.putValue('/app/m', bytes('v1'), { minPeers: 2 }))).name).toBe('BackendUnavailableError')
    expect(text(await a.getValue('/app/m'))).toBe('v1')
  })

  it('refuses keys without a namespace and reads of a namespace without a selector', async () => {
    const network = createMockNetwork()
    const noSelector = mockDHT({ validators: { app: () => {} } })({ network })
    await noSelector.start()
    started.push(noSelector)
    expect((await rejection(noSelector.putValue('plain-key', bytes('v1')))).message).toMatch(/namespace/)
    await noSelector.putValue('/app/x', bytes('v1'))
    expect((await rejection(noSelector.getValue('/app/x'))).name).toBe('InvalidParametersError')
  })

  it('bad arguments are InvalidParametersError naming the parameter', async () => {
    const [a] = await nodesOn(createMockNetwork(), 1)
    expect((await rejection(a.getValue('/app/x', { quorum: 0 }))).message).toMatch(/quorum/)
    expect((await rejection(a.putValue('', bytes('v'))))).toHaveProperty('name', 'InvalidParametersError')
    expect((await rejection(a.putValue('/app/x', 'v' as any))).message).toMatch(/value/)
    expect(() => mockDHT({ k: 0 })()).toThrow(/k must/)
  })

  it('stats count keys and uptime from the injected clock', async () => {
    let now = 1_000
    const dht = mockDHT(policy)({ clock: { now: () => now } })
    await dht.start()
    started.push(dht)
    now += 250
    await dht.putValue('/app/a', bytes('v1'))
    expect(dht.getStats()).toEqual({ totalPeers: 0, totalKeys: 1, uptime: 250, connectedPeers: 0 })
  })
})

describe('MockDHT replacement rule', () => {
  it('without a replacer an older record never replaces a newer one: RecordConflictError before anything is sent', async () => {
    const network = createMockNetwork()
    const [a, b] = await nodesOn(network, 2)
    let sent = 0
    const send = network.send.bind(network)
    network.send = (async (...args: Parameters<MockNetwork['send']>) => { sent++; return send(...args) }) as MockNetwork['send']
    await a.putValue('/app/r', bytes('v2'))
    sent = 0
    const err = await rejection(a.putValue('/app/r', bytes('v1')))
    expect(err.name).toBe('RecordConflictError')
    expect(sent).toBe(0)
    expect(text(await a.getValueFromPeer(a.peerId, '/app/r'))).toBe('v2')
    expect(text(await b.getValueFromPeer(b.peerId, '/app/r'))).toBe('v2')
    // the newer one still replaces, and an identical re-put is accepted everywhere
    expect((await a.putValue('/app/r', bytes('v3'))).remotePeers).toBe(1)
    expect(await a.putValue('/app/r', bytes('v3'))).toEqual({ remotePeers: 1, peers: [b.peerId], refusedPeers: 0 })
  })

  it('a replacer decides over the selector, on the local store and on remote peers', async () => {
    const network = createMockNetwork()
    const once = { replacers: { app: () => false } }
    const [a, b, c] = await nodesOn(network, 3, once)
    await a.putValue('/app/claim', bytes('v1'))
    // the selector prefers v5, but the replacer keeps the first claim
    expect((await rejection(a.putValue('/app/claim', bytes('v5')))).name).toBe('RecordConflictError')
    expect(await a.removeLocal('/app/claim', bytes('v1'))).toBe(true)
    // a holds nothing now: it stores v5, b and c keep v1 and refuse
    expect(await a.putValue('/app/claim', bytes('v5'))).toEqual({ remotePeers: 0, peers: [], refusedPeers: 2 })
    for (const n of [b, c]) expect(text(await n.getValueFromPeer(n.peerId, '/app/claim'))).toBe('v1')

    const [x, y] = await nodesOn(createMockNetwork(), 2, { replacers: { app: () => true } })
    await x.putValue('/app/free', bytes('v9'))
    // a replacer that accepts everything allows what the selector would not
    expect(await x.putValue('/app/free', bytes('v1'))).toEqual({ remotePeers: 1, peers: [y.peerId], refusedPeers: 0 })
    expect(text(await y.getValueFromPeer(y.peerId, '/app/free'))).toBe('v1')
  })

  it('a held record that no longer validates is replaced, and without a replacer or selector the held one is kept', async () => {
    const revoked = new Set<string>()
    const dht = mockDHT({ ...policy, validators: { app: (_k, v) => { if (revoked.has(dec.decode(v))) throw new Error('revoked') } } })()
    await dht.start()
    started.push(dht)
    await dht.putValue('/app/x', bytes('v9'))
    revoked.add('v9')
    await dht.putValue('/app/x', bytes('v1'))
    expect(text(await dht.getValue('/app/x'))).toBe('v1')

    const bare = mockDHT({ validators: { app: () => {} } })()
    await bare.start()
    started.push(bare)
    await bare.putValue('/app/y', bytes('v1'))
    expect((await rejection(bare.putValue('/app/y', bytes('v2')))).name).toBe('RecordConflictError')
    expect(text(await bare.getValueFromPeer(bare.peerId, '/app/y'))).toBe('v1')
  })

  it('minPeers met only by refusing peers rejects RecordConflictError', async () => {
    const [a, b, c] = await nodesOn(createMockNetwork(), 3)
    await b.putValue('/app/m', bytes('v9'))
    expect(await a.removeLocal('/app/m', bytes('v9'))).toBe(true)
    expect((await rejection(a.putValue('/app/m', bytes('v1'), { minPeers: 2 }))).name).toBe('RecordConflictError')
    expect(text(await c.getValueFromPeer(c.peerId, '/app/m'))).toBe('v9')
  })

  it('removeLocal removes only an exactly matching local copy, never a remote one', async () => {
    const [a, b] = await nodesOn(createMockNetwork(), 2)
    await a.putValue('/app/w', bytes('v1'))
    expect(await a.removeLocal('/app/w', bytes('v2'))).toBe(false)
    expect(await a.removeLocal('/app/w', bytes('v1x'))).toBe(false)
    expect(text(await a.getValueFromPeer(a.peerId, '/app/w'))).toBe('v1')
    expect(await a.removeLocal('/app/w', bytes('v1'))).toBe(true)
    expect(await a.getValueFromPeer(a.peerId, '/app/w')).toBeUndefined()
    expect(a.getStats().totalKeys).toBe(0)
    expect(await a.removeLocal('/app/w', bytes('v1'))).toBe(false)
    expect(text(await b.getValueFromPeer(b.peerId, '/app/w'))).toBe('v1')
    await a.stop()
    expect((await rejection(a.removeLocal('/app/w', bytes('v1')))).name).toBe('NotStartedError')
  })

  it('mergePolicies carries replacers and probeRecordPolicy always replaces a probe record', async () => {
    const merged = mergePolicies({ replacers: { app: () => false } }, probeRecordPolicy)
    expect(Object.keys(merged.replacers ?? {}).sort()).toEqual(['app', 'chorus-probe'])
    const dht = mockDHT(merged)()
    await dht.start()
    started.push(dht)
    const key = probeKey(dht.peerId)
    // a restarted process counts nonces from 1 again, and a clock may go back
    await dht.putValue(key, bytes('chorus-probe:2000:10'))
    await dht.putValue(key, bytes('chorus-probe:1000:1'))
    expect(text(await dht.getValue(key))).toBe('chorus-probe:1000:1')
    // the selector orders nonces numerically
    const select = probeRecordPolicy.selectors!['chorus-probe']
    expect(select(key, [bytes('chorus-probe:5:9'), bytes('chorus-probe:5:10')])).toBe(1)
  })
})
