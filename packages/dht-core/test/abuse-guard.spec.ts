import { RecordConflictError } from '@chorus-dht/types'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AbuseGuard } from '../src/abuse-guard.js'
import { QuotaExceededError } from '../src/errors.js'
import type { AbuseGuardInit } from '../src/abuse-guard.js'
import type { Logger } from '@chorus-dht/types'
import type { PeerId } from '@libp2p/interface'

// The guard alone, in front of a stand-in for kad-dht's PUT_VALUE handler
// (which calls the guard's claim() where kad-dht's datastore write would).
// abuse.spec floods a real network; these pin down every count and edge.
const silent = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {} }) as unknown as Logger
const peer = (id: string) => ({ toString: () => id }) as unknown as PeerId
const mallory = peer('mallory')
const alice = peer('alice')
const key = (k: string) => new TextEncoder().encode(k)
const dsKey = (k: string) => `/dht/record/${uint8ArrayToString(key(k), 'base32')}`

type Behaviour = 'store' | 'invalid' | 'conflict' | 'datastore-fails'

function setup (init: Partial<AbuseGuardInit> = {}) {
  const guard = new AbuseGuard({
    inboundPutRate: 10,
    inboundPutBurst: 5,
    maxRecordsPerPeer: 100,
    maxBytesPerPeer: 10_000,
    maxPeerStrikes: 3,
    strikeWindow: 60_000,
    banDuration: 30_000,
    log: silent,
    ...init
  })
  let behaviour: Behaviour = 'store'
  let size = 10
  // when enabled, each PUT waits at kad-dht's validation until let through
  const gates = { enabled: false, open: [] as Array<() => void> }
  const handler = {
    handle: async (_peer: PeerId, msg: { key: Uint8Array }) => {
      if (gates.enabled) await new Promise<void>(resolve => gates.open.push(resolve))
      if (behaviour === 'invalid') throw new Error('invalid record')
      if (behaviour === 'conflict') throw new RecordConflictError('we hold a newer one')
      // kad-dht validated the record: the datastore write claims it
      guard.claim(`/dht/record/${uint8ArrayToString(msg.key, 'base32')}`, size)
      if (behaviour === 'datastore-fails') throw new Error('disk full')
      return msg
    }
  }
  const hungUp: string[] = []
  const removed: string[] = []
  const kb = { verify: async (_contact: { peerId: PeerId }) => true }
  const kad = { rpc: { handlers: { PUT_VALUE: handler } }, routingTable: { kb, remove: async (p: PeerId) => { removed.push(p.toString()) } } }
  const libp2p = { hangUp: async (p: PeerId) => { hungUp.push(p.toString()) } }
  guard.attach(libp2p as any, kad as any)
  const put = async (from: PeerId, k = 'k') => handler.handle(from, { key: key(k) })
  return {
    guard,
    put,
    kb,
    hungUp,
    removed,
    gates,
    set: (b: Behaviour, bytes = 10) => { behaviour = b; size = bytes }
  }
}

const name = async (p: Promise<unknown>) => p.then(() => 'ok', (err: Error) => err.name)

describe('AbuseGuard', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('counts stored PUTs and charges each to its sender', async () => {
    const { guard, put } = setup()
    await put(alice, 'a1')
    await put(alice, 'a2')
    await put(mallory, 'm1')
    expect(guard.usageOf('alice')).toEqual({ records: 2, bytes: 20 })
    expect(guard.stats()).toEqual({
      accepted: 3,
      rejected: { invalid: 0, 'rate-limited': 0, quota: 0, conflict: 0, banned: 0 },
      quotaHits: { records: 0, bytes: 0 },
      strikes: 0,
      bans: 0,
      gaterRefusals: 0,
      bannedPeers: [],
      peersHoldingRecords: 2
    })
  })

  it('a local write (no inbound PUT in flight for the key) belongs to nobody', () => {
    const { guard } = setup()
    guard.claim(dsKey('mine'), 50)
    expect(guard.stats().peersHoldingRecords).toBe(0)
    guard.release(dsKey('mine'))
  })

  it('release() uncharges the sender', async () => {
    const { guard, put } = setup()
    await put(alice, 'a1')
    guard.release(dsKey('a1'))
    expect(guard.usageOf('alice')).toEqual({ records: 0, bytes: 0 })
  })

  it('allows a burst of inboundPutBurst per window, refuses the next, and strikes once per window for it', async () => {
    const { guard, put } = setup({ maxPeerStrikes: 100 })
    for (let i = 0; i < 5; i++) await put(mallory, `k${i}`)
    expect(await name(put(mallory, 'k5'))).toBe('RateLimitError')
    expect(await name(put(mallory, 'k6'))).toBe('RateLimitError')
    // another peer has its own budget
    expect(await name(put(alice, 'a'))).toBe('ok')
    let s = guard.stats()
    expect(s.rejected['rate-limited']).toBe(2)
    expect(s.strikes).toBe(1)
    expect(s.accepted).toBe(6)
    // the window is burst / rate = 0.5 s
    await vi.advanceTimersByTimeAsync(500)
    expect(await name(put(mallory, 'k7'))).toBe('ok')
    for (let i = 0; i < 4; i++) await put(mallory, `l${i}`)
    expect(await name(put(mallory, 'k8'))).toBe('RateLimitError')
    s = guard.stats()
    expect(s.strikes).toBe(2)
  })

  it('an invalid record is a strike each; maxPeerStrikes of them ban the peer everywhere', async () => {
    const { guard, put, kb, hungUp, removed, set } = setup()
    set('invalid')
    expect(await name(put(mallory))).toBe('Error')
    expect(await name(put(mallory))).toBe('Error')
    expect(guard.isBanned('mallory')).toBe(false)
    expect(guard.stats().strikes).toBe(2)
    expect(await name(put(mallory))).toBe('Error')
    expect(guard.isBanned('mallory')).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(hungUp).toEqual(['mallory'])
    expect(removed).toEqual(['mallory'])
    const s = guard.stats()
    expect(s.rejected.invalid).toBe(3)
    expect(s.bans).toBe(1)
    expect(s.bannedPeers).toEqual(['mallory'])

    // refused at the PUT, by the connection gater and as a routing-table contact
    set('store')
    expect(await name(put(mallory))).toBe('PeerBannedError')
    expect(guard.stats().rejected.banned).toBe(1)
    expect(await guard.gater.denyDialPeer?.(mallory)).toBe(true)
    expect(await guard.gater.denyDialPeer?.(alice)).toBe(false)
    expect(guard.stats().gaterRefusals).toBe(1)
    expect(await kb.verify({ peerId: mallory } as any)).toBe(false)
    expect(await kb.verify({ peerId: alice } as any)).toBe(true)
    // banned PUTs are no further strikes or bans
    expect(guard.stats().strikes).toBe(3)
    expect(guard.stats().bans).toBe(1)
  })

  it('the ban ends after banDuration, and the strikes that caused it are forgotten', async () => {
    const { guard, put, set } = setup()
    set('invalid')
    for (let i = 0; i < 3; i++) await name(put(mallory))
    await vi.advanceTimersByTimeAsync(29_999)
    expect(guard.isBanned('mallory')).toBe(true)
    await vi.advanceTimersByTimeAsync(1)
    expect(guard.isBanned('mallory')).toBe(false)
    set('store')
    expect(await name(put(mallory))).toBe('ok')
    // one more invalid record is not a ban: the count started again
    set('invalid')
    await name(put(mallory))
    expect(guard.isBanned('mallory')).toBe(false)
  })

  it('strikes older than strikeWindow do not count', async () => {
    const { guard, put, set } = setup()
    set('invalid')
    await name(put(mallory))
    await name(put(mallory))
    await vi.advanceTimersByTimeAsync(60_000)
    await name(put(mallory))
    expect(guard.isBanned('mallory')).toBe(false)
  })

  it('strikes within strikeWindow count, however far apart', async () => {
    const { guard, put, set } = setup()
    set('invalid')
    await name(put(mallory))
    await vi.advanceTimersByTimeAsync(30_000)
    await name(put(mallory))
    await vi.advanceTimersByTimeAsync(29_000)
    await name(put(mallory))
    expect(guard.isBanned('mallory')).toBe(true)
  })

  it('a PUT refused before the datastore leaves nothing behind for the key', async () => {
    const { guard, put, set } = setup()
    set('invalid')
    await name(put(mallory, 'x'))
    // a local write of the key is not charged to mallory
    guard.claim(dsKey('x'), 10)
    expect(guard.usageOf('mallory')).toEqual({ records: 0, bytes: 0 })
    expect((guard as any).writes.size).toBe(0)
  })

  it('a conflict (we hold a record our rule keeps) is counted but is no strike', async () => {
    const { guard, put, set } = setup({ maxPeerStrikes: 1 })
    set('conflict')
    expect(await name(put(alice))).toBe('RecordConflictError')
    expect(await name(put(alice))).toBe('RecordConflictError')
    const s = guard.stats()
    expect(s.rejected.conflict).toBe(2)
    expect(s.strikes).toBe(0)
    expect(s.accepted).toBe(0)
    expect(guard.isBanned('alice')).toBe(false)
  })

  it('a datastore failure after the record reached it is not held against the peer', async () => {
    const { guard, put, set } = setup({ maxPeerStrikes: 1 })
    set('datastore-fails')
    expect(await name(put(alice))).toBe('Error')
    const s = guard.stats()
    expect(s.strikes).toBe(0)
    expect(s.rejected).toEqual({ invalid: 0, 'rate-limited': 0, quota: 0, conflict: 0, banned: 0 })
  })

  it('a quota refusal is counted by limit and strikes once per window', async () => {
    const { guard, put, set } = setup({ maxRecordsPerPeer: 1, maxPeerStrikes: 100 })
    await put(mallory, 'one')
    expect(await name(put(mallory, 'two'))).toBe('QuotaExceededError')
    expect(await name(put(mallory, 'three'))).toBe('QuotaExceededError')
    set('store', 20_000)
    expect(await name(put(alice, 'big'))).toBe('QuotaExceededError')
    const s = guard.stats()
    expect(s.rejected.quota).toBe(3)
    expect(s.quotaHits).toEqual({ records: 2, bytes: 1 })
    // one strike for mallory's window, one for alice's
    expect(s.strikes).toBe(2)
    expect(guard.usageOf('mallory')).toEqual({ records: 1, bytes: 10 })
    expect(new QuotaExceededError().name).toBe('QuotaExceededError')
  })

  it('charges each of two PUTs of one key in flight to its own sender', async () => {
    const { guard, put, gates } = setup()
    gates.enabled = true
    const first = put(alice, 'same')
    const second = put(mallory, 'same')
    await vi.advanceTimersByTimeAsync(0)
    gates.open.shift()?.()
    await first
    // alice's write reached the datastore first: it is hers until mallory's lands
    expect(guard.usageOf('alice')).toEqual({ records: 1, bytes: 10 })
    gates.open.shift()?.()
    await second
    expect(guard.usageOf('alice')).toEqual({ records: 0, bytes: 0 })
    expect(guard.usageOf('mallory')).toEqual({ records: 1, bytes: 10 })
    // nothing in flight is left behind: a later local write belongs to nobody
    guard.claim(dsKey('same'), 5)
    expect(guard.usageOf('mallory')).toEqual({ records: 0, bytes: 0 })
  })

  it('Infinity turns the rate limit and the bans off', async () => {
    const { guard, put, set } = setup({ inboundPutRate: Infinity, maxPeerStrikes: Infinity })
    for (let i = 0; i < 50; i++) await put(mallory, `k${i}`)
    set('invalid')
    for (let i = 0; i < 50; i++) expect(await name(put(mallory))).toBe('Error')
    const s = guard.stats()
    expect(s.accepted).toBe(50)
    expect(s.strikes).toBe(50)
    expect(s.bans).toBe(0)
    expect(guard.isBanned('mallory')).toBe(false)
  })

  it('a ban of Infinity never ends and leaves no timer', async () => {
    const { guard, put, set } = setup({ banDuration: Infinity })
    set('invalid')
    for (let i = 0; i < 3; i++) await name(put(mallory))
    expect(guard.isBanned('mallory')).toBe(true)
    await vi.advanceTimersByTimeAsync(10 * 365 * 24 * 3600_000)
    expect(guard.isBanned('mallory')).toBe(true)
  })

  it('stop() ends every ban and forgets rates and strikes, and keeps the quotas', async () => {
    const { guard, put, set } = setup()
    await put(alice, 'a1')
    for (let i = 0; i < 4; i++) await put(mallory, `k${i}`)
    set('invalid')
    await name(put(mallory))
    for (let i = 0; i < 3; i++) await name(put(alice))
    expect(guard.isBanned('alice')).toBe(true)
    guard.stop()
    expect(guard.isBanned('alice')).toBe(false)
    expect(guard.stats().bannedPeers).toEqual([])
    expect(guard.usageOf('alice')).toEqual({ records: 1, bytes: 10 })
    set('store')
    // mallory's burst starts again, and so do its strikes
    for (let i = 0; i < 5; i++) expect(await name(put(mallory, `n${i}`))).toBe('ok')
    set('invalid')
    await name(put(mallory))
    await name(put(mallory))
    expect(guard.isBanned('mallory')).toBe(false)
    guard.stop()
    // no ban timer and no rate-limit expiry left running
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stop() with every limit off', async () => {
    const { guard, put } = setup({ inboundPutRate: Infinity, maxPeerStrikes: Infinity })
    await put(alice)
    guard.stop()
    expect(guard.stats().accepted).toBe(1)
  })
})
