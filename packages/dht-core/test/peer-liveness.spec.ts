import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PeerLiveness } from '../src/peer-liveness.js'
import type { PeerLivenessInit } from '../src/peer-liveness.js'
import type { Logger } from '@chorus-dht/types'
import type { PeerId } from '@libp2p/interface'

// PeerLiveness and RequestTracker alone, in front of stand-ins for the
// routing table, libp2p's events and the ping service (the network specs,
// e.g. lone.spec and put.spec, show peers leaving a real routing table).
const peer = (id: string) => ({ toString: () => id, equals: (o: PeerId) => o.toString() === id }) as unknown as PeerId
const self = peer('self')
const a = peer('a')
const b = peer('b')

function setup (init: Partial<PeerLivenessInit> = {}) {
  let now = 1_000
  const table = new Set<string>(['a', 'b', 'c', 'self'])
  const errors: unknown[][] = []
  const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: (...args: unknown[]) => { errors.push(args) } }) as unknown as Logger
  const pings: string[] = []
  let answer: 'alive' | 'dead' | 'hang' = 'dead'
  const kbPinged: string[] = []
  const kb = { verify: async (contact: { peerId: PeerId }) => { kbPinged.push(contact.peerId.toString()); return answer === 'alive' } }
  let findFails = false
  const routingTable = {
    kb,
    find: async (p: PeerId) => {
      if (findFails) throw new Error('table gone')
      return table.has(p.toString()) ? p : undefined
    },
    remove: async (p: PeerId) => { table.delete(p.toString()) }
  }
  const events = new EventTarget()
  const libp2p = Object.assign(events, {
    peerId: self,
    services: {
      ping: {
        ping: async (p: PeerId, opts: { signal: AbortSignal }) => {
          pings.push(p.toString())
          if (answer === 'alive') return 1
          if (answer === 'dead') throw Object.assign(new Error('no route'), { name: 'DialError' })
          await new Promise((_resolve, reject) => { opts.signal.addEventListener('abort', () => { reject(opts.signal.reason) }, { once: true }) })
        }
      }
    }
  })
  const liveness = new PeerLiveness(
    { libp2p: libp2p as any, kad: { routingTable } as any, clock: { now: () => now }, log },
    { checkTimeout: 5_000, suspectTTL: 60_000, maxChecks: 2, pingNewContacts: false, ...init }
  )
  const shutdown = new AbortController()
  const disconnect = (p: PeerId) => { events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: p })) }
  return {
    liveness,
    table,
    kb,
    kbPinged,
    pings,
    errors,
    shutdown,
    disconnect,
    answer: (x: typeof answer) => { answer = x },
    failFind: () => { findFails = true },
    advance: (ms: number) => { now += ms },
    start: () => { liveness.start(shutdown.signal) }
  }
}

const settle = async () => { await vi.advanceTimersByTimeAsync(0) }

describe('PeerLiveness', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('does nothing before start(): unreachable() is ignored while stopped', async () => {
    const t = setup()
    await t.liveness.unreachable(a, 'test')
    expect(t.table.has('a')).toBe(true)
  })

  it('unreachable() removes the peer from the routing table and makes it a suspect that kad-dht pings before re-adding', async () => {
    const t = setup()
    t.start()
    await t.liveness.unreachable(a, 'test')
    expect(t.table.has('a')).toBe(false)
    // a suspect: the contact check pings it, and refuses it while it stays dead
    expect(await t.kb.verify({ peerId: a } as any)).toBe(false)
    expect(t.kbPinged).toEqual(['a'])
    // a peer never found unreachable is added without a ping
    expect(await t.kb.verify({ peerId: b } as any)).toBe(true)
    expect(t.kbPinged).toEqual(['a'])
    // answering the ping clears the suspicion
    t.answer('alive')
    expect(await t.kb.verify({ peerId: a } as any)).toBe(true)
    expect(await t.kb.verify({ peerId: a } as any)).toBe(true)
    expect(t.kbPinged).toEqual(['a', 'a'])
  })

  it('a suspect is trusted again once suspectTTL has passed', async () => {
    const t = setup()
    t.start()
    await t.liveness.unreachable(a, 'test')
    t.advance(60_000)
    expect(await t.kb.verify({ peerId: a } as any)).toBe(false)
    t.advance(1)
    expect(await t.kb.verify({ peerId: a } as any)).toBe(true)
    expect(t.kbPinged).toEqual(['a'])
  })

  it('never removes this node itself (kad-dht dials it and fails)', async () => {
    const t = setup()
    t.start()
    await t.liveness.unreachable(self, 'test')
    expect(t.table.has('self')).toBe(true)
  })

  it('with pingNewContacts kad-dht pings every contact itself: the check is left alone', async () => {
    const t = setup({ pingNewContacts: true })
    t.start()
    expect(await t.kb.verify({ peerId: b } as any)).toBe(false)
    expect(t.kbPinged).toEqual(['b'])
  })

  it('unreachable() logs and swallows a routing-table failure', async () => {
    const t = setup()
    t.start()
    t.failFind()
    await expect(t.liveness.unreachable(a, 'test')).resolves.toBeUndefined()
    expect(t.errors).toHaveLength(1)
    expect(t.errors[0][0]).toBe('could not remove %s from the routing table - %e')
  })

  it('pings a peer that disconnected once and removes it when it does not answer', async () => {
    const t = setup()
    t.start()
    t.disconnect(a)
    t.disconnect(a)
    await settle()
    expect(t.pings).toEqual(['a'])
    expect(t.table.has('a')).toBe(false)
    // the check is over: a later disconnect is checked again
    t.table.add('a')
    t.disconnect(a)
    await settle()
    expect(t.pings).toEqual(['a', 'a'])
  })

  it('keeps a peer that disconnected but answers, and skips one not in the table', async () => {
    const t = setup()
    t.start()
    t.answer('alive')
    t.disconnect(a)
    await settle()
    expect(t.table.has('a')).toBe(true)
    t.disconnect(peer('stranger'))
    await settle()
    expect(t.pings).toEqual(['a'])
  })

  it('a ping with no answer ends after checkTimeout and removes the peer', async () => {
    const t = setup()
    t.start()
    t.answer('hang')
    t.disconnect(a)
    await vi.advanceTimersByTimeAsync(4_999)
    expect(t.table.has('a')).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    expect(t.table.has('a')).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('runs at most maxChecks checks at once', async () => {
    const t = setup()
    t.start()
    t.answer('hang')
    t.disconnect(a)
    t.disconnect(b)
    t.disconnect(peer('c'))
    await settle()
    expect(t.pings).toEqual(['a', 'b'])
  })

  it('stopping the node ends the checks in flight without removing anyone, and later disconnects are not checked', async () => {
    const t = setup()
    t.start()
    t.answer('hang')
    t.disconnect(a)
    await settle()
    t.shutdown.abort()
    await settle()
    expect(t.table.has('a')).toBe(true)
    expect(t.errors).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
    t.disconnect(b)
    await settle()
    expect(t.pings).toEqual(['a'])
    await t.liveness.unreachable(b, 'test')
    expect(t.table.has('b')).toBe(true)
  })

  it('stop() stops listening for disconnects', async () => {
    const t = setup()
    t.start()
    t.liveness.stop()
    t.disconnect(a)
    await settle()
    expect(t.pings).toEqual([])
  })

  it('logs a check that fails on its own', async () => {
    const t = setup()
    t.start()
    t.failFind()
    t.disconnect(a)
    await settle()
    expect(t.errors).toHaveLength(1)
    expect(t.errors[0].slice(0, 2)).toEqual(['liveness check of %s failed - %e', 'a'])
  })
})

describe('RequestTracker', () => {
  const err = (name: string) => Object.assign(new Error(name), { name })
  const dial = (p: PeerId) => ({ name: 'DIAL_PEER', peer: p }) as any
  const sent = (p: PeerId) => ({ name: 'SEND_QUERY', to: p }) as any
  const response = (p: PeerId) => ({ name: 'PEER_RESPONSE', from: p }) as any
  const failed = (p: PeerId, e?: Error) => ({ name: 'QUERY_ERROR', from: p, error: e }) as any

  it('a request that fails before its stream opened is unreachable, and the peer leaves the routing table', async () => {
    const t = setup()
    t.start()
    const tracker = t.liveness.tracker(new AbortController().signal)
    expect(tracker.observe(dial(a))).toBeUndefined()
    expect(tracker.observe(failed(a, err('DialError')))).toBe('unreachable')
    await Promise.resolve()
    await Promise.resolve()
    expect(t.table.has('a')).toBe(false)
  })

  it('a reset after the request was sent is a reset; other errors after it mean nothing', () => {
    const t = setup()
    t.start()
    const tracker = t.liveness.tracker(new AbortController().signal)
    tracker.observe(dial(a))
    expect(tracker.observe(sent(a))).toBeUndefined()
    expect(tracker.observe(failed(a, err('StreamResetError')))).toBe('reset')
    tracker.observe(dial(b))
    tracker.observe(sent(b))
    expect(tracker.observe(failed(b, err('TimeoutError')))).toBeUndefined()
    expect(t.table.has('b')).toBe(true)
  })

  it('each request is judged on its own: a response ends it, and an error with no request in flight means nothing', () => {
    const t = setup()
    t.start()
    const tracker = t.liveness.tracker(new AbortController().signal)
    tracker.observe(dial(a))
    tracker.observe(sent(a))
    expect(tracker.observe(response(a))).toBeUndefined()
    expect(tracker.observe(failed(a, err('StreamResetError')))).toBeUndefined()
    expect(tracker.observe(failed(b, err('DialError')))).toBeUndefined()
    expect(tracker.observe({ name: 'FINAL_PEER' } as any)).toBeUndefined()
    expect(t.table.has('b')).toBe(true)
  })

  it('ignores aborts and every error after the operation\'s own signal fired', () => {
    const t = setup()
    t.start()
    const op = new AbortController()
    const tracker = t.liveness.tracker(op.signal)
    tracker.observe(dial(a))
    expect(tracker.observe(failed(a, err('AbortError')))).toBeUndefined()
    tracker.observe(dial(b))
    op.abort()
    expect(tracker.observe(failed(b, err('DialError')))).toBeUndefined()
    expect(t.table.has('a')).toBe(true)
    expect(t.table.has('b')).toBe(true)
  })

  it('a failure without an error object before the stream is still unreachable', () => {
    const t = setup()
    t.start()
    const tracker = t.liveness.tracker(new AbortController().signal)
    tracker.observe(dial(a))
    expect(tracker.observe(failed(a))).toBe('unreachable')
  })
})
