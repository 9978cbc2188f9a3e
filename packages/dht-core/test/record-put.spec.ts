// RecordPut alone (src/record-put.ts, README "The put"), in front of a
// stand-in for kad-dht's network: every peer's answer to FIND_NODE,
// PUT_VALUE and GET_VALUE is scripted, and every request is logged in the
// order it was sent, so each step of the put is checked exactly: which
// peers are asked, when the first PUT_VALUE goes out, which go out before
// the acknowledgement and which after it. put.spec shows the same put on
// real nodes.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MessageType, Record as Libp2pRecord } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { xor as uint8ArrayXor } from 'uint8arrays/xor'
import { xorCompare as uint8ArrayXorCompare } from 'uint8arrays/xor-compare'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RequestTracker } from '../src/peer-liveness.js'
import { RecordPut, confirmRefusal } from '../src/record-put.js'
import type { PeerLiveness } from '../src/peer-liveness.js'
import type { PutRequest, RecordPutInit } from '../src/record-put.js'
import type { Logger } from '@chorus-dht/types'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const encoder = new TextEncoder()
const KEY = '/CHORUS/put/unit'
const KEY_BYTES = encoder.encode(KEY)
const VALUE = encoder.encode('our record')
const OTHER = encoder.encode('another writer\'s record')
const INVALID = encoder.encode('not valid')

type Find = 'answer' | 'unreachable' | 'reset'
type Put = 'accept' | 'unreachable' | 'reset' | 'wrong' | 'hang' | 'none'
type Get = 'ours' | 'other' | 'invalid' | 'none' | 'wrong-key' | 'throws'

interface Behaviour { find?: Find, put?: Put, get?: Get, knows?: number[] }
interface Sent { type: 'FIND_NODE' | 'PUT_VALUE' | 'GET_VALUE', to: number }

let self: PeerId
/** 24 peers, sorted by XOR distance of their kad ids to the key's: peers[0] is the closest. */
let peers: Array<{ id: PeerId, kadId: Uint8Array }>

beforeAll(async () => {
  const keyKadId = (await sha256.digest(KEY_BYTES)).digest
  const all = await Promise.all(Array.from({ length: 25 }, async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    return { id, kadId: (await sha256.digest(id.toMultihash().bytes)).digest }
  }))
  all.sort((a, b) => uint8ArrayXorCompare(uint8ArrayXor(a.kadId, keyKadId), uint8ArrayXor(b.kadId, keyKadId)))
  // this node sits among them (third closest), to be never asked
  self = all.splice(2, 1)[0].id
  peers = all
})

interface SimOptions {
  /** Indexes of the peers in the routing table. */
  table: number[]
  /** Peers' behaviours (default: answers FIND_NODE naming `knows`, accepts the put, holds ours). */
  behave?: Record<number, Behaviour>
  /** What a FIND_NODE answer names when a peer has no `knows` (default: the 3 closest and this node). */
  knows?: number[]
  /** Indexes of the peers this node is connected to. */
  connected?: number[]
  init?: Partial<RecordPutInit>
}

/** A RecordPut over the scripted network, and what the network saw. */
function sim (opts: SimOptions) {
  const sent: Sent[] = []
  const held = new Map<string, () => void>()
  const holds = new Set<string>()
  const merged: Array<{ peer: number, multiaddrs: string[] }> = []
  const unreachable: number[] = []
  const errors: unknown[][] = []
  let findsInFlight = 0
  let maxFindsInFlight = 0
  const index = (p: PeerId): number => {
    if (p.equals(self)) return -1
    return peers.findIndex(q => q.id.equals(p))
  }
  const behaviour = (i: number): Behaviour => opts.behave?.[i] ?? {}
  const addr = (i: number): Multiaddr => multiaddr(`/ip4/127.0.0.1/tcp/${4000 + i}`)

  async function * sendRequest (to: PeerId, msg: { type: MessageType, key: Uint8Array, record?: Uint8Array }, options: { signal?: AbortSignal }): AsyncGenerator<any> {
    const i = index(to)
    const type = msg.type === MessageType.FIND_NODE ? 'FIND_NODE' : msg.type === MessageType.PUT_VALUE ? 'PUT_VALUE' : 'GET_VALUE'
    sent.push({ type, to: i })
    const b = behaviour(i)
    const mode = type === 'FIND_NODE' ? (b.find ?? 'answer') : type === 'PUT_VALUE' ? (b.put ?? 'accept') : 'answer'
    if (type === 'FIND_NODE') maxFindsInFlight = Math.max(maxFindsInFlight, ++findsInFlight)
    try {
      yield { name: 'DIAL_PEER', peer: to }
      // a held request waits for its release (or the run's abort)
      const gate = `${type}:${i}`
      if (holds.has(gate) || mode === 'hang') {
        await new Promise<void>(resolve => {
          held.set(gate, resolve)
          options.signal?.addEventListener('abort', () => { resolve() }, { once: true })
        })
      } else {
        await Promise.resolve()
      }
      if (options.signal?.aborted === true) {
        yield { name: 'QUERY_ERROR', from: to, error: Object.assign(new Error('aborted'), { name: 'AbortError' }) }
        return
      }
      if (mode === 'unreachable') {
        yield { name: 'QUERY_ERROR', from: to, error: Object.assign(new Error('no route'), { name: 'DialError' }) }
        return
      }
      yield { name: 'SEND_QUERY', to }
      if (mode === 'reset') {
        yield { name: 'QUERY_ERROR', from: to, error: Object.assign(new Error('reset'), { name: 'StreamResetError' }) }
        return
      }
      if (type === 'FIND_NODE') {
        const named = b.knows ?? opts.knows ?? [0, 1, 2, -1]
        yield { name: 'PEER_RESPONSE', from: to, closer: named.map(n => ({ id: n === -1 ? self : peers[n].id, multiaddrs: n === -1 ? [] : [addr(n)] })) }
      } else if (type === 'PUT_VALUE') {
        const value = Libp2pRecord.deserialize(msg.record!).value
        if (mode === 'none') yield { name: 'PEER_RESPONSE', from: to, closer: [] }
        else yield { name: 'PEER_RESPONSE', from: to, closer: [], record: { key: msg.key, value: mode === 'wrong' ? OTHER : value } }
      } else {
        const get = b.get ?? 'ours'
        if (get === 'throws') throw new Error('the stream broke')
        const value = get === 'ours' ? VALUE : get === 'other' ? OTHER : INVALID
        yield {
          name: 'PEER_RESPONSE',
          from: to,
          closer: [],
          ...(get === 'none' ? {} : { record: { key: get === 'wrong-key' ? encoder.encode('/CHORUS/other') : msg.key, value } })
        }
      }
    } finally {
      if (type === 'FIND_NODE') findsInFlight--
    }
  }

  const kb = { toIterable: () => opts.table.map(i => i === -1 ? { peerId: self, kadId: new Uint8Array(32) } : { peerId: peers[i].id, kadId: peers[i].kadId }) }
  const kad = { routingTable: { kb }, network: { sendRequest } }
  const connected = new Set(opts.connected ?? [])
  const libp2p = {
    peerId: self,
    peerStore: { merge: async (peer: PeerId, data: { multiaddrs: Multiaddr[] }) => { merged.push({ peer: index(peer), multiaddrs: data.multiaddrs.map(String) }) } },
    getConnections: (peer: PeerId) => connected.has(index(peer)) ? [{}] : []
  }
  const liveness = { unreachable: async (peer: PeerId) => { unreachable.push(index(peer)) } }
  const livenessView = { tracker: (signal: AbortSignal) => new RequestTracker(liveness as unknown as PeerLiveness, signal) } as unknown as PeerLiveness
  const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: (...args: unknown[]) => { errors.push(args) } }) as unknown as Logger
  const validate = async (_key: string, value: Uint8Array): Promise<void> => {
    if (uint8ArrayEquals(value, INVALID)) throw new Error('invalid record')
  }
  const components = { kad: kad as any, libp2p: libp2p as any, liveness: livenessView, validate, log }
  const recordPut = new RecordPut(components, { replicas: 20, alpha: 3, backgroundTimeout: 30_000, ...opts.init })
  const shutdown = new AbortController()
  recordPut.start(shutdown.signal)
  const put = async (minPeers: number, signal: AbortSignal = new AbortController().signal) => {
    const request: PutRequest = { key: KEY, keyBytes: KEY_BYTES, value: VALUE, minPeers }
    const outcome = await recordPut.put(request, signal)
    return { accepted: ids(outcome.accepted), refused: ids(outcome.refused) }
  }
  const ids = (set: Set<string>): number[] => [...set].map(s => peers.findIndex(p => p.id.toString() === s)).sort((a, b) => a - b)
  const to = (type: Sent['type']): number[] => sent.filter(s => s.type === type).map(s => s.to)
  /** Resolves once a request of `type` to peer `i` is held, and returns its release. */
  const whenHeld = async (type: Sent['type'], i: number): Promise<() => void> => {
    for (let n = 0; n < 1000; n++) {
      const release = held.get(`${type}:${i}`)
      if (release !== undefined) return release
      await new Promise(resolve => setImmediate(resolve))
    }
    throw new Error(`no ${type} to ${i} was held`)
  }
  return {
    recordPut,
    components,
    put,
    sent,
    to,
    holds,
    whenHeld,
    merged,
    unreachable,
    errors,
    shutdown,
    maxFindsInFlight: () => maxFindsInFlight,
    /** Every background request ended. */
    settle: async () => { await recordPut.stop() }
  }
}

/** A maker of sims that are shut down and settled after each test of the describe block. */
function simsOfTest (): (opts: SimOptions) => ReturnType<typeof sim> {
  const sims: Array<ReturnType<typeof sim>> = []
  afterEach(async () => {
    for (const s of sims.splice(0)) {
      s.shutdown.abort()
      await s.settle()
    }
  })
  return (opts) => {
    const s = sim(opts)
    sims.push(s)
    return s
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b)

describe('RecordPut: the lookup', () => {
  const make = simsOfTest()

  it('asks the minPeers closest it knows for closer peers, at most alpha at once, and sends no PUT_VALUE before the lookup converged', async () => {
    // the table knows only far peers; every answer names the three closest
    const s = make({ table: range(10, 20), init: { alpha: 2 } })
    const outcome = await s.put(3)
    expect(outcome).toEqual({ accepted: [0, 1, 2], refused: [] })
    const finds = s.to('FIND_NODE')
    // the first asked are the closest of the table (alpha of them, then the third), then the named closer ones
    expect(finds.slice(0, 2)).toEqual([10, 11])
    // 12, third closest of the table, is never asked: once 0, 1 and 2 are known the lookup is about them
    expect(sorted(finds)).toEqual([0, 1, 2, 10, 11])
    expect(s.maxFindsInFlight()).toBeLessThanOrEqual(2)
    // every FIND_NODE came before the first PUT_VALUE, and the first PUT_VALUEs went to the closest
    const firstPut = s.sent.findIndex(r => r.type === 'PUT_VALUE')
    expect(s.sent.slice(firstPut).some(r => r.type === 'FIND_NODE')).toBe(false)
    expect(s.to('PUT_VALUE').slice(0, 3)).toEqual([0, 1, 2])
    // nobody asked this node, and it never appears among the recipients
    expect(s.sent.some(r => r.to === -1)).toBe(false)
  })

  it('with alpha at least minPeers, asks the minPeers closest at once', async () => {
    const s = make({ table: [0, 1, 2, 3, 4], init: { alpha: 3 } })
    await s.put(2)
    expect(sorted(s.to('FIND_NODE'))).toEqual([0, 1])
    expect(s.maxFindsInFlight()).toBe(2)
  })

  it('asks at least one peer when minPeers is 0, and resolves once the lookup converged, before any acceptance', async () => {
    const s = make({ table: [0, 1, 2, 3], knows: [0, 1] })
    s.holds.add('PUT_VALUE:0')
    const outcome = await s.put(0)
    expect(outcome).toEqual({ accepted: [], refused: [] })
    expect(s.to('FIND_NODE')).toEqual([0])
    // the record still goes out, in the background
    const release = await s.whenHeld('PUT_VALUE', 0)
    release()
    await s.settle()
    expect(sorted(s.to('PUT_VALUE'))).toEqual([0, 1, 2, 3])
  })

  it('drops a peer that cannot be reached from the lookup, and one that resets a FIND_NODE still gets the record', async () => {
    const s = make({ table: [0, 1, 2, 3, 4, 5], knows: [], behave: { 0: { find: 'unreachable' }, 1: { find: 'reset' } } })
    const outcome = await s.put(2)
    expect(s.unreachable).toEqual([0])
    // 0 is out: 1 and 2 are the two closest; 1 reset its FIND_NODE but is asked no further
    expect(sorted(s.to('FIND_NODE'))).toEqual([0, 1, 2])
    expect(outcome.accepted).toEqual([1, 2])
    await s.settle()
    expect(s.to('PUT_VALUE')).not.toContain(0)
  })

  it('merges the addresses of peers the answers named before it dials them, unless connected', async () => {
    const s = make({ table: [5, 6], knows: [0, 1], connected: [1, 5, 6], init: { replicas: 2 } })
    await s.put(2)
    await s.settle()
    // 5 and 6 came from the table (no addresses to merge); 1 is connected; only 0 needed its address
    expect(new Set(s.merged.map(m => m.peer))).toEqual(new Set([0]))
    expect(s.merged[0].multiaddrs).toEqual(['/ip4/127.0.0.1/tcp/4000'])
  })
})

describe('RecordPut: the placement', () => {
  const make = simsOfTest()

  it('sends the foreground to the minPeers closest and the connected among the replicas closest, the rest once acknowledged, nobody beyond', async () => {
    const s = make({ table: range(0, 10), knows: [], connected: [4, 8], init: { replicas: 6 } })
    s.holds.add('PUT_VALUE:0')
    s.holds.add('PUT_VALUE:1')
    const pending = s.put(2)
    const release0 = await s.whenHeld('PUT_VALUE', 0)
    const release1 = await s.whenHeld('PUT_VALUE', 1)
    // before the acknowledgement: the two closest and 4, connected (8 is connected but not among the 6 closest)
    expect(sorted(s.to('PUT_VALUE'))).toEqual([0, 1, 4])
    release0()
    release1()
    expect(await pending).toEqual({ accepted: [0, 1, 4], refused: [] })
    await s.settle()
    expect(sorted(s.to('PUT_VALUE'))).toEqual([0, 1, 2, 3, 4, 5])
    expect(s.recordPut.pending).toBe(0)
  })

  it('counts acceptances only: a peer that answers with another record, or without one, is replaced by the next in line', async () => {
    const s = make({ table: range(0, 8), knows: [], init: { replicas: 8 }, behave: { 0: { put: 'wrong' }, 1: { put: 'none' } } })
    expect(await s.put(2)).toEqual({ accepted: [2, 3], refused: [] })
    await s.settle()
    expect(sorted(s.to('PUT_VALUE'))).toEqual(range(0, 8))
  })

  it('replaces a peer that cannot be reached for the PUT_VALUE, and drops it from the routing table', async () => {
    const s = make({ table: range(0, 5), knows: [], behave: { 1: { put: 'unreachable' } } })
    expect(await s.put(2)).toEqual({ accepted: [0, 2], refused: [] })
    expect(s.unreachable).toEqual([1])
  })

  it('confirms a reset after the record was sent: refused when the peer holds another valid record, accepted when it holds ours, replaced otherwise', async () => {
    const s = make({
      table: range(0, 8),
      knows: [],
      init: { replicas: 8 },
      behave: { 0: { put: 'reset', get: 'other' }, 1: { put: 'reset', get: 'ours' }, 2: { put: 'reset', get: 'invalid' }, 3: { put: 'reset', get: 'none' } }
    })
    const outcome = await s.put(3)
    expect(outcome).toEqual({ accepted: [1, 4, 5], refused: [0] })
    expect(sorted(s.to('GET_VALUE'))).toEqual([0, 1, 2, 3])
  })

  it('reports a refusal by a peer among the closest even when enough others accepted first', async () => {
    const s = make({ table: range(0, 4), knows: [], connected: [0, 1, 2], behave: { 0: { put: 'reset', get: 'other' } } })
    s.holds.add('GET_VALUE:0')
    const pending = s.put(2)
    const release = await s.whenHeld('GET_VALUE', 0)
    let done = false
    void pending.then(() => { done = true })
    // 1 and 2 accepted, but the confirmation of 0's reset is still out: the put waits for it
    for (let n = 0; n < 20; n++) await new Promise(resolve => setImmediate(resolve))
    expect(done).toBe(false)
    release()
    expect(await pending).toEqual({ accepted: [1, 2], refused: [0] })
  })

  it('resolves with what it got when nothing more can be sent', async () => {
    const s = make({ table: [0, 1], knows: [] })
    expect(await s.put(3)).toEqual({ accepted: [0, 1], refused: [] })
    const none = make({ table: [], knows: [] })
    expect(await none.put(3)).toEqual({ accepted: [], refused: [] })
    expect(none.sent).toEqual([])
  })

  it('resolves at once when the caller aborts, sends nothing more, and ends the requests in flight', async () => {
    const s = make({ table: range(0, 6), knows: [] })
    s.holds.add('PUT_VALUE:0')
    s.holds.add('PUT_VALUE:1')
    const caller = new AbortController()
    const pending = s.put(2, caller.signal)
    await s.whenHeld('PUT_VALUE', 0)
    const before = s.sent.length
    caller.abort()
    expect(await pending).toEqual({ accepted: [], refused: [] })
    await s.settle()
    expect(s.sent.length).toBe(before)
    expect(s.errors).toEqual([])
  })

  it('sends nothing when the caller aborted before the put', async () => {
    const s = make({ table: range(0, 3), knows: [] })
    const caller = new AbortController()
    caller.abort()
    expect(await s.put(2, caller.signal)).toEqual({ accepted: [], refused: [] })
    await s.settle()
    expect(s.sent).toEqual([])
  })

  it('ends the background on shutdown: stop() resolves with nothing pending, nothing logged as failed', async () => {
    const s = make({ table: range(0, 4), knows: [], behave: { 3: { put: 'hang' } } })
    expect(await s.put(2)).toEqual({ accepted: [0, 1], refused: [] })
    await s.whenHeld('PUT_VALUE', 3)
    expect(s.recordPut.pending).toBe(1)
    s.shutdown.abort()
    await s.settle()
    expect(s.recordPut.pending).toBe(0)
    expect(s.errors).toEqual([])
  })

  it('ends the background at backgroundTimeout', async () => {
    const s = make({ table: range(0, 4), knows: [], behave: { 3: { put: 'hang' } }, init: { backgroundTimeout: 200 } })
    await s.put(2)
    await s.settle()
    expect(s.recordPut.pending).toBe(0)
    expect(sorted(s.to('PUT_VALUE'))).toEqual([0, 1, 2, 3])
  })

  it('sends nothing after stop: a put on a stopped RecordPut resolves empty', async () => {
    const s = make({ table: range(0, 3), knows: [] })
    s.shutdown.abort()
    expect(await s.put(1)).toEqual({ accepted: [], refused: [] })
    expect(s.sent).toEqual([])
  })
})

describe('confirmRefusal', () => {
  it('answers refused, stored or unknown from the peer\'s copy, and never throws', async () => {
    const s = sim({ table: [], behave: { 0: { get: 'other' }, 1: { get: 'ours' }, 2: { get: 'invalid' }, 3: { get: 'none' }, 4: { get: 'wrong-key' }, 5: { get: 'throws' } } })
    const request = { key: KEY, keyBytes: KEY_BYTES, value: VALUE }
    const signal = new AbortController().signal
    const answers = []
    for (let i = 0; i < 6; i++) answers.push(await confirmRefusal(s.components, peers[i].id, request, signal))
    expect(answers).toEqual(['refused', 'stored', 'unknown', 'unknown', 'unknown', 'unknown'])
  })
})
