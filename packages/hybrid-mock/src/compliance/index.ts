/**
 * @packageDocumentation
 *
 * The compliance suite of the `DHT` contract of `@chorus-dht/types`. Every
 * DHT implementation runs it from its own vitest spec:
 *
 * @example
 *
 * ```ts
 * import { dhtComplianceTests } from '@chorus-dht/hybrid-mock/compliance'
 * import { createMockNetwork, mockDHT, type MockDHT } from '@chorus-dht/hybrid-mock'
 *
 * let nodes: MockDHT[] = []
 * dhtComplianceTests('MockDHT', {
 *   async create (policy) {
 *     const dht = mockDHT(policy)()
 *     nodes.push(dht)
 *     return dht
 *   },
 *   async network (n, policy) {
 *     const network = createMockNetwork()
 *     const dhts = Array.from({ length: n }, () => mockDHT(policy)({ network }))
 *     nodes.push(...dhts)
 *     for (const d of dhts) await d.start()
 *     return dhts
 *   },
 *   async teardown () {
 *     for (const d of nodes) await d.stop()
 *     nodes = []
 *   }
 * })
 * ```
 */

import { createHook } from 'node:async_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import type { DHT, RecordPolicy } from '@chorus-dht/types'

/**
 * How the suite obtains DHT nodes. Every node the factory hands out must be
 * configured with the given `policy` (validators, selectors and replacers
 * by namespace): the suite uses the namespaces `test` (no replacer),
 * `test-once` (a replacer that keeps the first record) and `test-free` (a
 * replacer that accepts every valid record).
 */
export interface DHTComplianceFactory {
  /**
   * One node, NOT started, not connected to any other (a lone node). The
   * suite starts and stops it itself.
   */
  create(policy: RecordPolicy): Promise<DHT>
  /**
   * `n` nodes, started and connected to each other, ready to route: a
   * value put on one is found from every other, `getClosestPeers` and
   * `findProviders` reach them all. The suite asks for at most
   * {@link DHTComplianceOptions.nodes} nodes at a time.
   */
  network(n: number, policy: RecordPolicy): Promise<DHT[]>
  /**
   * Stops and releases every node handed out since the last teardown.
   * Called after each test; nodes the suite already stopped are stopped
   * again (stop must be idempotent anyway).
   */
  teardown(): Promise<void>
}

/** Options of {@link dhtComplianceTests}. */
export interface DHTComplianceOptions {
  /**
   * Size of the networks the suite asks for.
   * @default 3
   */
  nodes?: number
  /**
   * Per-test timeout, ms (a generous ceiling for slow machines, not a
   * performance expectation).
   * @default 30000
   */
  timeout?: number
}

/** The namespace most records of the suite live in (validator and selector, no replacer). */
export const COMPLIANCE_NAMESPACE = 'test'
/** A namespace whose replacer keeps the record a node holds (first claim wins). */
export const COMPLIANCE_ONCE_NAMESPACE = 'test-once'
/** A namespace whose replacer lets every valid record replace the held one. */
export const COMPLIANCE_FREE_NAMESPACE = 'test-free'

const enc = new TextEncoder()
const dec = new TextDecoder()
const bytes = (s: string): Uint8Array => enc.encode(s)
const text = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : dec.decode(b)

/** Async resource types that keep a process busy: timers and I/O handles. */
const HANDLE_TYPES = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'TTYWRAP', 'SIGNALWRAP', 'PROCESSWRAP'])

/**
 * Records the timers and handles created while enabled and forgets them
 * when destroyed (a timer cleared or fired, a socket closed). `live()` lists
 * those still alive that keep the event loop busy (unref'd timers excluded).
 */
function handleTracker (): { live: () => string[], disable: () => void } {
  const alive = new Map<number, { type: string, resource: any }>()
  const hook = createHook({
    init (id, type, _trigger, resource) { if (HANDLE_TYPES.has(type)) alive.set(id, { type, resource }) },
    destroy (id) { alive.delete(id) }
  })
  hook.enable()
  return {
    live: () => [...alive.values()]
      .filter(({ type, resource }) => type !== 'Timeout' || (resource?.hasRef?.() !== false && resource?._destroyed !== true))
      .map(({ type }) => type),
    disable: () => { hook.disable() }
  }
}

/** Polls (up to `ms`, between event-loop turns) until `live()` is empty; returns what is left. */
async function waitForNoHandles (live: () => string[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = live()
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((resolve) => { setImmediate(resolve) })
  }
}

/** Polls (between event-loop turns, up to `ms`) until `condition()` holds; returns whether it did. */
async function waitFor (condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (condition()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => { setImmediate(resolve) })
  }
}

async function rejectionName (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err: any) {
    return String(err?.name)
  }
  return '(resolved)'
}

/**
 * Registers the DHT compliance tests (vitest `describe`/`it`) for one
 * implementation.
 *
 * The suite's record policy, namespace `test`: a value is valid when its
 * UTF-8 text starts with `v` and has not been revoked by the test; the
 * selector picks the greatest text (`v2` over `v1`); no replacer, so the
 * selector's rule applies to replacement. `test-once` and `test-free`
 * share the validator and selector and add a replacer that keeps the held
 * record, and one that accepts every valid record.
 */
export function dhtComplianceTests (name: string, factory: DHTComplianceFactory, options: DHTComplianceOptions = {}): void {
  const n = options.nodes ?? 3
  const timeout = options.timeout ?? 30_000
  let counter = 0
  const revoked = new Set<string>()
  const selectorCalls: string[][] = []

  const validator = (_key: string, value: Uint8Array): void => {
    const t = dec.decode(value)
    if (!t.startsWith('v')) throw new Error(`value "${t}" does not start with "v"`)
    if (revoked.has(t)) throw new Error(`value "${t}" was revoked`)
  }
  const selector = (_key: string, values: Uint8Array[]): number => {
    const texts = values.map((v) => dec.decode(v))
    selectorCalls.push(texts)
    let best = 0
    for (let i = 1; i < texts.length; i++) if (texts[i] > texts[best]) best = i
    return best
  }
  const policy: RecordPolicy = {
    validators: { [COMPLIANCE_NAMESPACE]: validator, [COMPLIANCE_ONCE_NAMESPACE]: validator, [COMPLIANCE_FREE_NAMESPACE]: validator },
    selectors: { [COMPLIANCE_NAMESPACE]: selector, [COMPLIANCE_ONCE_NAMESPACE]: selector, [COMPLIANCE_FREE_NAMESPACE]: selector },
    replacers: { [COMPLIANCE_ONCE_NAMESPACE]: () => false, [COMPLIANCE_FREE_NAMESPACE]: () => true }
  }

  const key = (label: string, ns = COMPLIANCE_NAMESPACE): string => `/${ns}/${label}-${++counter}-${Math.random().toString(36).slice(2, 10)}`
  /** The ids of `nodes` whose own store holds exactly `value` for `k`. */
  const holders = async (nodes: DHT[], k: string, value: string): Promise<string[]> => {
    const out: string[] = []
    for (const node of nodes) if (text(await node.getValueFromPeer(node.peerId, k)) === value) out.push(node.peerId)
    return out
  }
  const test = (title: string, fn: () => Promise<void>): void => { it(title, fn, timeout) }

  describe(`${name}: DHT compliance`, () => {
    afterEach(async () => {
      revoked.clear()
      selectorCalls.length = 0
      await factory.teardown()
    })

    describe('lifecycle', () => {
      test('start twice is harmless and the node works', async () => {
        const dht = await factory.create(policy)
        await dht.start()
        await dht.start()
        const k = key('start-twice')
        await dht.putValue(k, bytes('v1'))
        expect(text(await dht.getValue(k))).toBe('v1')
      })

      test('stop before start is harmless: it resolves and the node then starts and works', async () => {
        const dht = await factory.create(policy)
        await expect(Promise.resolve(dht.stop())).resolves.toBeUndefined()
        expect(dht.getStats().uptime).toBe(0)
        await dht.start()
        const k = key('stop-first')
        await dht.putValue(k, bytes('v1'))
        expect(text(await dht.getValue(k))).toBe('v1')
      })

      test('stop twice is harmless; calls after stop reject NotStartedError', async () => {
        const dht = await factory.create(policy)
        await dht.start()
        const k = key('stopped')
        await dht.putValue(k, bytes('v1'))
        await dht.stop()
        await dht.stop()
        expect(await rejectionName(dht.putValue(k, bytes('v2')))).toBe('NotStartedError')
        expect(await rejectionName(dht.getValue(k))).toBe('NotStartedError')
        expect(await rejectionName(dht.provide(k))).toBe('NotStartedError')
        expect(await rejectionName(dht.findProviders(k))).toBe('NotStartedError')
      })

      test('nothing keeps running after stop (no timer, socket or other handle left)', async () => {
        const tracker = handleTracker()
        try {
          const dht = await factory.create(policy)
          await dht.start()
          const k = key('handles')
          await dht.putValue(k, bytes('v1'))
          await dht.getValue(k)
          await dht.provide(k)
          await dht.stop()
          expect(await waitForNoHandles(tracker.live, 5_000)).toEqual([])
        } finally {
          tracker.disable()
        }
      })

      test('calls before start reject NotStartedError', async () => {
        const dht = await factory.create(policy)
        expect(await rejectionName(dht.getValue(key('unstarted')))).toBe('NotStartedError')
      })
    })

    describe('put and get', () => {
      test('a lone node stores and serves its own records and reports 0 remote peers', async () => {
        const dht = await factory.create(policy)
        await dht.start()
        const k = key('lone')
        const result = await dht.putValue(k, bytes('v-lone'))
        expect(result.remotePeers).toBe(0)
        expect(result.peers).toEqual([])
        expect(result.refusedPeers).toBe(0)
        expect(text(await dht.getValue(k))).toBe('v-lone')
      })

      test('a value put on one node is found from every other', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('round-trip')
        const result = await nodes[0].putValue(k, bytes('v-hello'))
        expect(result.remotePeers).toBeGreaterThanOrEqual(1)
        expect(result.peers).toHaveLength(result.remotePeers)
        expect(result.peers).not.toContain(nodes[0].peerId)
        expect(result.refusedPeers).toBe(0)
        for (const node of nodes) {
          expect(text(await node.getValue(k))).toBe('v-hello')
        }
      })

      test('an overwrite is what later reads return', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('overwrite')
        await nodes[0].putValue(k, bytes('v1'))
        await nodes[0].putValue(k, bytes('v2'))
        expect(text(await nodes[0].getValue(k))).toBe('v2')
        expect(text(await nodes[1].getValue(k))).toBe('v2')
      })

      test('the selector picks the same winner on every node among differing copies', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('selector')
        await nodes[0].putValue(k, bytes('v2'))
        // nodes[1] withdraws its copy and writes an older one: it stores v1
        // locally while the others keep v2, so the copies differ for sure
        await nodes[1].removeLocal(k, bytes('v2'))
        await nodes[1].putValue(k, bytes('v1'))
        expect(text(await nodes[1].getValueFromPeer(nodes[1].peerId, k))).toBe('v1')
        expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v2')
        selectorCalls.length = 0
        // nodes[1] reads first: its own v1 and a remote v2 can only be told apart by the selector
        for (const node of [nodes[1], nodes[0], ...nodes.slice(2)]) {
          expect(text(await node.getValue(k, { quorum: n }))).toBe('v2')
        }
        expect(selectorCalls.some((call) => call.includes('v1') && call.includes('v2'))).toBe(true)
      })

      test('getValue with a quorum collects several answers, and accepts fewer when fewer peers exist', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('quorum')
        await nodes[0].putValue(k, bytes('v-q'))
        expect(text(await nodes[1].getValue(k, { quorum: n }))).toBe('v-q')
        expect(text(await nodes[1].getValue(k, { quorum: n + 10 }))).toBe('v-q')
      })

      test('remoteOnly finds the record on the network, and nothing on a lone node', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('remote-only')
        await nodes[0].putValue(k, bytes('v-r'))
        expect(text(await nodes[0].getValue(k, { remoteOnly: true }))).toBe('v-r')

        const lone = await factory.create(policy)
        await lone.start()
        const k2 = key('remote-only-lone')
        await lone.putValue(k2, bytes('v-l'))
        expect(await rejectionName(lone.getValue(k2, { remoteOnly: true }))).toBe('NotFoundError')
      })

      test('a missing key rejects NotFoundError', async () => {
        const nodes = await factory.network(n, policy)
        expect(await rejectionName(nodes[1].getValue(key('missing')))).toBe('NotFoundError')
        const lone = await factory.create(policy)
        await lone.start()
        expect(await rejectionName(lone.getValue(key('missing-lone')))).toBe('NotFoundError')
      })
    })

    describe('validation', () => {
      test('an invalid record is refused with InvalidParametersError and nothing is stored', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('invalid')
        expect(await rejectionName(nodes[0].putValue(k, bytes('invalid')))).toBe('InvalidParametersError')
        expect(await nodes[0].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
        for (const node of nodes) {
          expect(await rejectionName(node.getValue(k))).toBe('NotFoundError')
        }
      })

      test('an invalid overwrite leaves the valid record in place', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('invalid-overwrite')
        await nodes[0].putValue(k, bytes('v-good'))
        expect(await rejectionName(nodes[0].putValue(k, bytes('bad')))).toBe('InvalidParametersError')
        expect(text(await nodes[1].getValue(k))).toBe('v-good')
      })

      test('a record in a namespace without a validator is refused', async () => {
        const dht = await factory.create(policy)
        await dht.start()
        expect(await rejectionName(dht.putValue(`/no-such-namespace-${++counter}/x`, bytes('v1')))).toBe('InvalidParametersError')
      })

      test('a get never returns a record that no longer validates', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('revoked')
        await nodes[0].putValue(k, bytes('v-revoked'))
        revoked.add('v-revoked')
        for (const node of nodes) {
          expect(await rejectionName(node.getValue(k, { quorum: n }))).toBe('NotFoundError')
        }
        expect(await nodes[1].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
      })
    })

    describe('replacement rule', () => {
      test('a local refusal rejects RecordConflictError and stores nothing, here or remotely', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('local-refusal')
        await nodes[0].putValue(k, bytes('v2'))
        const before = await holders(nodes, k, 'v2')
        expect(await rejectionName(nodes[0].putValue(k, bytes('v1')))).toBe('RecordConflictError')
        expect(await holders(nodes, k, 'v1')).toEqual([])
        expect(await holders(nodes, k, 'v2')).toEqual(before)
        for (const node of nodes) expect(text(await node.getValue(k, { quorum: n }))).toBe('v2')
      })

      test('a replacer that keeps the held record refuses even what the selector prefers', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('once', COMPLIANCE_ONCE_NAMESPACE)
        await nodes[0].putValue(k, bytes('v1'))
        expect(await rejectionName(nodes[0].putValue(k, bytes('v9')))).toBe('RecordConflictError')
        expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
        expect(await holders(nodes, k, 'v9')).toEqual([])
      })

      test('a replacer that accepts lets a record the selector ranks lower replace the held one', async () => {
        const dht = await factory.create(policy)
        await dht.start()
        const k = key('free', COMPLIANCE_FREE_NAMESPACE)
        await dht.putValue(k, bytes('v9'))
        await dht.putValue(k, bytes('v1'))
        expect(text(await dht.getValueFromPeer(dht.peerId, k))).toBe('v1')
      })

      test('remote refusals are counted in refusedPeers, not as acceptances', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('remote-refusal')
        await nodes[1].putValue(k, bytes('v2'))
        await nodes[0].removeLocal(k, bytes('v2'))
        const keeping = await holders(nodes, k, 'v2')
        expect(keeping).toContain(nodes[1].peerId)
        expect(keeping).not.toContain(nodes[0].peerId)
        // nodes[0] holds nothing, so it stores v1; every peer that holds v2 keeps it
        const result = await nodes[0].putValue(k, bytes('v1'))
        expect(result.refusedPeers).toBeGreaterThanOrEqual(1)
        expect(result.peers).toHaveLength(result.remotePeers)
        for (const id of result.peers) expect(keeping).not.toContain(id)
        expect(result.remotePeers + result.refusedPeers).toBeLessThanOrEqual(n - 1)
        expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
        expect(await holders(nodes, k, 'v2')).toEqual(keeping)
      })

      test('no rollback without a replacer: an older record never replaces a newer one on any node', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('no-rollback')
        await nodes[0].putValue(k, bytes('v5'))
        const newer = await holders(nodes, k, 'v5')
        expect(newer.length).toBeGreaterThanOrEqual(2)
        for (const node of nodes) {
          // a refusal locally or on every peer reached; either way no copy of v5 is lost
          await node.putValue(k, bytes('v3')).catch(() => {})
        }
        expect(await holders(nodes, k, 'v5')).toEqual(newer)
        for (const node of nodes) expect(text(await node.getValue(k, { quorum: n }))).toBe('v5')
      })

      test('an identical re-put is accepted, locally and by the peers that hold it', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('re-put')
        const first = await nodes[0].putValue(k, bytes('v1'))
        expect(first.remotePeers).toBeGreaterThanOrEqual(1)
        const again = await nodes[0].putValue(k, bytes('v1'))
        expect(again.refusedPeers).toBe(0)
        expect(again.remotePeers).toBeGreaterThanOrEqual(1)
        const once = key('re-put-once', COMPLIANCE_ONCE_NAMESPACE)
        await nodes[0].putValue(once, bytes('v1'))
        expect((await nodes[0].putValue(once, bytes('v1'))).refusedPeers).toBe(0)
      })

      test('removeLocal removes only an exactly matching local copy, never a remote one', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('remove-local')
        const put = await nodes[0].putValue(k, bytes('v1'))
        expect(put.remotePeers).toBeGreaterThanOrEqual(1)
        const remote = (await holders(nodes, k, 'v1')).filter((id) => id !== nodes[0].peerId)
        expect(remote.length).toBeGreaterThanOrEqual(1)
        expect(await nodes[0].removeLocal(k, bytes('v2'))).toBe(false)
        expect(await nodes[0].removeLocal(k, bytes('v1-'))).toBe(false)
        expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
        expect(await nodes[0].removeLocal(k, bytes('v1'))).toBe(true)
        expect(await nodes[0].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
        expect(await nodes[0].removeLocal(k, bytes('v1'))).toBe(false)
        expect(await nodes[0].removeLocal(key('never-put'), bytes('v1'))).toBe(false)
        // the remote copies are untouched
        expect((await holders(nodes, k, 'v1')).filter((id) => id !== nodes[0].peerId)).toEqual(remote)
      })
    })

    describe('getValueFromPeer', () => {
      test('a holder returns its copy, this node returns its local copy, a non-holder returns undefined', async () => {
        const nodes = await factory.network(n, policy)
        const k = key('from-peer')
        await nodes[0].putValue(k, bytes('v-peer'))
        expect(text(await nodes[1].getValueFromPeer(nodes[0].peerId, k))).toBe('v-peer')
        expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v-peer')
        expect(await nodes[1].getValueFromPeer(nodes[0].peerId, key('never-put'))).toBeUndefined()
      })
    })

    describe('routing', () => {
      test('getClosestPeers returns known peers, never itself, and honours limit', async () => {
        const nodes = await factory.network(n, policy)
        const ids = new Set(nodes.map((d) => d.peerId))
        const closest = await nodes[0].getClosestPeers(key('closest'))
        expect(closest.length).toBeGreaterThanOrEqual(1)
        expect(closest).not.toContain(nodes[0].peerId)
        for (const id of closest) expect(ids.has(id)).toBe(true)
        const one = await nodes[0].getClosestPeers(key('closest'), { limit: 1 })
        // the network has other peers, so limit 1 must find exactly one of them
        expect(one).toHaveLength(1)
        expect(one[0]).not.toBe(nodes[0].peerId)
        expect(ids.has(one[0])).toBe(true)
      })

      test('bootstrap resolves, the node is bootstrapped and reports connected peers', async () => {
        const nodes = await factory.network(n, policy)
        await nodes[0].bootstrap()
        expect(nodes[0].isBootstrapped()).toBe(true)
        const connected = nodes[0].getConnectedPeers()
        const ids = new Set(nodes.map((d) => d.peerId))
        expect(connected.length).toBeGreaterThanOrEqual(1)
        expect(connected.map((p) => p.id)).not.toContain(nodes[0].peerId)
        expect(new Set(connected.map((p) => p.id)).size).toBe(connected.length)
        for (const p of connected) {
          expect(ids.has(p.id)).toBe(true)
          // a connected peer is reachable at some address
          expect(p.multiaddrs.length).toBeGreaterThanOrEqual(1)
          for (const a of p.multiaddrs) expect(a).toMatch(/^\/.+/)
        }
      })
    })

    describe('providers', () => {
      test('a provider is found from another node', async () => {
        const nodes = await factory.network(n, policy)
        const k = `chorus-compliance:provide:${++counter}:${Math.random()}`
        await nodes[0].provide(k)
        const found = await nodes[1].findProviders(k)
        // exactly the one provider, once, with an address to reach it at
        expect(found.map((p) => p.id)).toEqual([nodes[0].peerId])
        expect(found[0].multiaddrs.length).toBeGreaterThanOrEqual(1)
        for (const a of found[0].multiaddrs) expect(a).toMatch(/^\/.+/)
      })

      test('several providers are found, and limit caps the answer', async () => {
        const nodes = await factory.network(n, policy)
        const k = `chorus-compliance:provide-many:${++counter}:${Math.random()}`
        for (const node of nodes.slice(0, 2)) await node.provide(k)
        const found = (await nodes[n - 1].findProviders(k)).map((p) => p.id)
        expect(found).toEqual(expect.arrayContaining([nodes[0].peerId, nodes[1].peerId]))
        expect(await nodes[n - 1].findProviders(k, { limit: 1 })).toHaveLength(1)
      })

      test('a key nobody provides has no providers', async () => {
        const nodes = await factory.network(n, policy)
        expect(await nodes[1].findProviders(`chorus-compliance:nobody:${++counter}:${Math.random()}`)).toEqual([])
      })
    })

    describe('abort and timeout', () => {
      test('an already aborted signal rejects every operation with AbortError or TimeoutError', async () => {
        const nodes = await factory.network(n, policy)
        const controller = new AbortController()
        controller.abort()
        const signal = controller.signal
        const k = key('aborted')
        const names = await Promise.all([
          rejectionName(nodes[0].putValue(k, bytes('v1'), { signal })),
          rejectionName(nodes[0].getValue(k, { signal })),
          rejectionName(nodes[0].getValueFromPeer(nodes[1].peerId, k, { signal })),
          rejectionName(nodes[0].getClosestPeers(k, { signal })),
          rejectionName(nodes[0].provide(k, { signal })),
          rejectionName(nodes[0].findProviders(k, { signal }))
        ])
        for (const got of names) expect(['AbortError', 'TimeoutError']).toContain(got)
        // and the aborted put stored nothing anywhere
        expect(await rejectionName(nodes[1].getValue(k))).toBe('NotFoundError')
      })

      test('a timed-out signal rejects with TimeoutError or AbortError', async () => {
        const nodes = await factory.network(n, policy)
        const signal = AbortSignal.timeout(1)
        await new Promise((resolve) => { signal.addEventListener('abort', resolve, { once: true }) })
        const name = await rejectionName(nodes[0].getValue(key('timeout'), { signal }))
        expect(['TimeoutError', 'AbortError']).toContain(name)
      })
    })

    describe('stats', () => {
      test('getStats reports peers, keys and uptime', async () => {
        const before = Date.now()
        const nodes = await factory.network(n, policy)
        const keysBefore = nodes[0].getStats().totalKeys
        await nodes[0].putValue(key('stats'), bytes('v-s'))
        const stats = nodes[0].getStats()
        expect(stats.totalPeers).toBeGreaterThanOrEqual(1)
        expect(stats.totalPeers).toBeLessThanOrEqual(n - 1)
        expect(stats.connectedPeers).toBeGreaterThanOrEqual(1)
        expect(stats.totalKeys).toBe(keysBefore + 1)
        // uptime is time since start: never more than has passed, and it grows
        expect(stats.uptime).toBeLessThanOrEqual(Date.now() - before + 1)
        expect(await waitFor(() => nodes[0].getStats().uptime > stats.uptime, 5_000)).toBe(true)
        expect(nodes[0].getStats().uptime).toBeLessThanOrEqual(Date.now() - before + 1)

        const lone = await factory.create(policy)
        expect(lone.getStats().uptime).toBe(0)
        await lone.start()
        await lone.stop()
        expect(lone.getStats().uptime).toBe(0)
      })
    })
  })
}
