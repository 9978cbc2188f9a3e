import { describe, expect, it } from 'vitest'
import { QuotaExceededError } from '../src/errors.js'
import { PeerQuotas } from '../src/peer-quotas.js'

// The accounting behind maxRecordsPerPeer / maxBytesPerPeer, alone: the
// network specs (abuse.spec) show a flooding peer refused, these show the
// counts are exact at every edge.
describe('PeerQuotas', () => {
  const quotas = (maxRecords = 3, maxBytes = 100) => new PeerQuotas({ maxRecords, maxBytes })

  it('starts empty and counts records and bytes per peer', () => {
    const q = quotas()
    expect(q.peers).toBe(0)
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })
    q.claim('a', '/k1', 10)
    q.claim('a', '/k2', 20)
    q.claim('b', '/k3', 5)
    expect(q.usageOf('a')).toEqual({ records: 2, bytes: 30 })
    expect(q.usageOf('b')).toEqual({ records: 1, bytes: 5 })
    expect(q.peers).toBe(2)
    expect(q.hits).toEqual({ records: 0, bytes: 0 })
  })

  it('allows exactly maxRecords records and refuses the next, changing nothing', () => {
    const q = quotas(2, 1000)
    q.claim('a', '/k1', 1)
    q.claim('a', '/k2', 1)
    expect(() => q.claim('a', '/k3', 1)).toThrow(QuotaExceededError)
    expect(() => q.claim('a', '/k3', 1)).toThrow('peer a holds 2 records here, the most one peer may (maxRecordsPerPeer)')
    expect(q.hits).toEqual({ records: 2, bytes: 0 })
    expect(q.usageOf('a')).toEqual({ records: 2, bytes: 2 })
  })

  it('allows exactly maxBytes and refuses one byte more, changing nothing', () => {
    const q = quotas(10, 100)
    q.claim('a', '/k1', 60)
    q.claim('a', '/k2', 40)
    expect(q.usageOf('a')).toEqual({ records: 2, bytes: 100 })
    const err = (() => { try { q.claim('a', '/k3', 1) } catch (e) { return e as Error } })()
    expect(err).toBeInstanceOf(QuotaExceededError)
    expect(err?.name).toBe('QuotaExceededError')
    expect(err?.message).toBe('a record of 1 bytes would take peer a past 100 bytes here (maxBytesPerPeer)')
    expect(q.hits).toEqual({ records: 0, bytes: 1 })
    expect(q.usageOf('a')).toEqual({ records: 2, bytes: 100 })
  })

  it('checks the record count before the bytes', () => {
    const q = quotas(1, 10)
    q.claim('a', '/k1', 10)
    expect(() => q.claim('a', '/k2', 10)).toThrow(/maxRecordsPerPeer/)
    expect(q.hits).toEqual({ records: 1, bytes: 0 })
  })

  it('charges a re-put of its own key by the same peer only for the size difference', () => {
    const q = quotas(1, 100)
    q.claim('a', '/k1', 90)
    // same key, same peer: not a new record, and 90 bytes are given back first
    q.claim('a', '/k1', 100)
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 100 })
    q.claim('a', '/k1', 30)
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 30 })
    expect(() => q.claim('a', '/k1', 101)).toThrow(/maxBytesPerPeer/)
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 30 })
  })

  it('moves a key re-put by another peer to that peer', () => {
    const q = quotas()
    q.claim('a', '/k1', 10)
    q.claim('b', '/k1', 20)
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })
    expect(q.usageOf('b')).toEqual({ records: 1, bytes: 20 })
    expect(q.peers).toBe(1)
  })

  it('counts a key taken from another peer as a new record of the taker', () => {
    const q = quotas(1, 100)
    q.claim('b', '/k2', 10)
    q.claim('a', '/k1', 10)
    expect(() => q.claim('b', '/k1', 10)).toThrow(/maxRecordsPerPeer/)
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 10 })
  })

  it('gives a local write to nobody, and it frees the key from its former owner', () => {
    const q = quotas(1, 10)
    q.claim('a', '/k1', 10)
    q.claim(undefined, '/k1', 1_000_000)
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })
    expect(q.peers).toBe(0)
    expect(q.hits).toEqual({ records: 0, bytes: 0 })
    // a can write again: its quota is free
    q.claim('a', '/k2', 10)
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 10 })
  })

  it('release() uncharges the owner and forgets peers left with nothing', () => {
    const q = quotas()
    q.claim('a', '/k1', 10)
    q.claim('a', '/k2', 5)
    q.release('/k1')
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 5 })
    expect(q.peers).toBe(1)
    q.release('/k2')
    expect(q.peers).toBe(0)
    q.release('/k2')
    q.release('/unknown')
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })
  })

  it('the undo of a first claim frees the key', () => {
    const q = quotas()
    const undo = q.claim('a', '/k1', 10)
    undo()
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })
    expect(q.peers).toBe(0)
    // the key is free: another peer's claim does not find a stale owner
    q.claim('b', '/k1', 10)
    expect(q.usageOf('b')).toEqual({ records: 1, bytes: 10 })
  })

  it('the undo of a takeover gives the key back to its former owner, with its size', () => {
    const q = quotas()
    q.claim('a', '/k1', 10)
    const undo = q.claim('b', '/k1', 20)
    undo()
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 10 })
    expect(q.usageOf('b')).toEqual({ records: 0, bytes: 0 })
    expect(q.peers).toBe(1)
  })

  it('the undo of a local write gives the key back to its former owner', () => {
    const q = quotas()
    q.claim('a', '/k1', 10)
    const undo = q.claim(undefined, '/k1', 5)
    undo()
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 10 })
  })

  it('an undo after the key was released or rewritten changes nothing', () => {
    const q = quotas()
    const undoA = q.claim('a', '/k1', 10)
    q.release('/k1')
    undoA()
    expect(q.usageOf('a')).toEqual({ records: 0, bytes: 0 })

    const undoB = q.claim('b', '/k2', 10)
    q.claim('c', '/k2', 7)
    undoB()
    expect(q.usageOf('b')).toEqual({ records: 0, bytes: 0 })
    expect(q.usageOf('c')).toEqual({ records: 1, bytes: 7 })
  })

  it('usageOf() returns a copy the caller cannot use to change the counts', () => {
    const q = quotas()
    q.claim('a', '/k1', 10)
    const u = q.usageOf('a')
    u.records = 99
    u.bytes = 99
    expect(q.usageOf('a')).toEqual({ records: 1, bytes: 10 })
  })
})
