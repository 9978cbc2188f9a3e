import { describe, expect, it } from 'vitest'
import { xorDistance } from '../src/index.js'
import { compareProviders, ProviderBook, providerInfo, quality } from '../src/provider-book.js'
import type { ProviderRecord } from '../src/provider-book.js'

const book = (replicationFactor = 3, maxProvidersPerKey = 3): ProviderBook => new ProviderBook({ replicationFactor, maxProvidersPerKey })

function record (peerId: string, outcomes: boolean[], lastSeen = 0, distance = '00', lastAnswer?: boolean): ProviderRecord {
  return { peerId, addedAt: 1, lastSeen, outcomes, distance, lastAnswer }
}

describe('ProviderBook', () => {
  it('tracks a key once, updating size and priority, and forgets it', () => {
    const b = book()
    const first = b.upsert('/k', 10, 1)
    expect(first.added).toBe(true)
    expect(first.entry).toMatchObject({ key: '/k', size: 10, priority: 1, lastChecked: 0, lastReplication: 0, replicas: [], needsRepair: false, repairing: 0, repairAttempts: 0, nextRepairAt: 0 })
    expect(first.entry.point).toHaveLength(32)
    const again = b.upsert('/k', 20, 7)
    expect(again).toEqual({ entry: first.entry, added: false })
    expect(first.entry).toMatchObject({ size: 20, priority: 7 })
    expect(b.size).toBe(1)
    expect(b.find('/k')).toBe(first.entry)
    expect(b.isTracked(first.entry)).toBe(true)
    expect(b.delete('/k')).toBe(true)
    expect(b.delete('/k')).toBe(false)
    expect(b.isTracked(first.entry)).toBe(false)
    expect(b.find('/k')).toBeUndefined()
    expect(() => b.get('/k')).toThrow(expect.objectContaining({ name: 'NotFoundError', message: 'key /k is not tracked' }))
    // re-added: a new entry, and the old one is not the tracked one
    const re = b.upsert('/k', 1, 0)
    expect(re.added).toBe(true)
    expect(b.isTracked(first.entry)).toBe(false)
  })

  it('health: healthy at the factor, degraded below, critical at none', () => {
    const b = book(3)
    const { entry } = b.upsert('/h', 1, 0)
    expect(b.health(entry)).toBe('critical')
    entry.replicas = ['a']
    expect(b.health(entry)).toBe('degraded')
    entry.replicas = ['a', 'b']
    expect(b.health(entry)).toBe('degraded')
    entry.replicas = ['a', 'b', 'c']
    expect(b.health(entry)).toBe('healthy')
    entry.replicas = ['a', 'b', 'c', 'd']
    expect(b.health(entry)).toBe('healthy')
  })

  it('statusOf counts as healthy providers those that answered yes last with quality >= 0.5', () => {
    const b = book(2, 10)
    const { entry } = b.upsert('/s', 5, 2)
    entry.replicas = ['a', 'b']
    entry.lastChecked = 9
    entry.lastReplication = 8
    entry.providers.set('a', record('a', [true], 9, '01', true))
    entry.providers.set('b', record('b', [false, true], 9, '02', true)) // quality 0.5: counts
    entry.providers.set('c', record('c', [false, false, true], 9, '03', true)) // below 0.5
    entry.providers.set('d', record('d', [true], 9, '04', false)) // said no last
    entry.providers.set('e', record('e', [], 0, '05')) // never asked
    const status = b.statusOf(entry)
    expect(status).toEqual({ key: '/s', targetReplicas: 2, actualReplicas: 2, healthyProviders: 2, lastReplication: 8, lastChecked: 9, replicationNodes: ['a', 'b'], health: 'healthy', priority: 2, size: 5 })
    // a copy, not the entry's own list
    status.replicationNodes.push('x')
    expect(entry.replicas).toEqual(['a', 'b'])
  })

  it('census counts keys by health, provider records and the mean replicas', () => {
    const b = book(2, 10)
    expect(b.census()).toEqual({ totalKeys: 0, totalProviders: 0, healthyKeys: 0, degradedKeys: 0, criticalKeys: 0, averageReplication: 0 })
    b.upsert('/a', 1, 0).entry.replicas = ['x', 'y']
    b.upsert('/b', 1, 0).entry.replicas = ['x']
    const c = b.upsert('/c', 1, 0).entry
    c.providers.set('p', record('p', []))
    c.providers.set('q', record('q', []))
    expect(b.census()).toEqual({ totalKeys: 3, totalProviders: 2, healthyKeys: 1, degradedKeys: 1, criticalKeys: 1, averageReplication: 1 })
  })

  it('byPriority lists the highest priority first', () => {
    const b = book()
    b.upsert('/low', 1, -1)
    b.upsert('/high', 1, 5)
    b.upsert('/mid', 1, 0)
    expect(b.byPriority().map(e => e.key)).toEqual(['/high', '/mid', '/low'])
  })

  it('trim keeps maxProvidersPerKey records: yes-answers first, then quality, recency, distance', () => {
    const b = book(3, 3)
    const { entry } = b.upsert('/t', 1, 0)
    const recs = [
      record('no-but-perfect', [true, true], 50, '00', false),
      record('yes-poor', [false, true], 10, 'ff', true),
      record('yes-good-old', [true], 5, 'ee', true),
      record('yes-good-new', [true], 20, 'ef', true),
      record('unknown', [], 0, '01')
    ]
    for (const r of recs) entry.providers.set(r.peerId, r)
    b.trim(entry)
    expect([...entry.providers.keys()]).toEqual(['yes-good-new', 'yes-good-old', 'yes-poor'])
    // at or under the limit nothing changes
    const before = entry.providers
    b.trim(entry)
    expect(entry.providers).toBe(before)
  })

  it('dropStale drops records unconfirmed for longer than the ttl (lastSeen, else addedAt)', () => {
    const b = book(3, 10)
    const { entry } = b.upsert('/d', 1, 0)
    entry.providers.set('seen', { peerId: 'seen', addedAt: 0, lastSeen: 100, outcomes: [], distance: '00' })
    entry.providers.set('never', { peerId: 'never', addedAt: 100, lastSeen: 0, outcomes: [], distance: '00' })
    entry.providers.set('old', { peerId: 'old', addedAt: 0, lastSeen: 49, outcomes: [], distance: '00' })
    expect(b.dropStale(150, 50)).toBe(1)
    expect([...entry.providers.keys()]).toEqual(['seen', 'never'])
    expect(b.dropStale(151, 50)).toBe(2)
    expect(entry.providers.size).toBe(0)
  })

  it('distance is the exported xorDistance, also for cached peers; newRecord fills it', () => {
    const b = book()
    const { entry } = b.upsert('/x', 1, 0)
    for (let i = 0; i < 2; i++) expect(b.distance(entry.point, 'peer-a')).toBe(xorDistance('/x', 'peer-a'))
    expect(b.newRecord(entry.point, 'peer-b', 7, 3)).toEqual({ peerId: 'peer-b', addedAt: 7, lastSeen: 3, outcomes: [], distance: xorDistance('/x', 'peer-b') })
  })
})

describe('provider quality and order', () => {
  it('quality is the share of yes answers; 0.5 when never checked', () => {
    expect(quality(record('a', []))).toBe(0.5)
    expect(quality(record('a', [true, false, false, true]))).toBe(0.5)
    expect(quality(record('a', [true, true, true, false]))).toBe(0.75)
    expect(quality(record('a', [false]))).toBe(0)
    expect(providerInfo(record('a', [true], 4, 'ab'))).toEqual({ peerId: 'a', addedAt: 1, lastSeen: 4, quality: 1, distance: 'ab' })
  })

  it('orders by quality, then most recently seen, then closest', () => {
    const p = (quality: number, lastSeen: number, distance: string) => ({ peerId: `${quality}/${lastSeen}/${distance}`, addedAt: 0, lastSeen, quality, distance })
    const list = [p(0.5, 9, '01'), p(1, 1, 'ff'), p(0.5, 9, '00'), p(0.5, 10, 'ff')]
    expect(list.sort(compareProviders).map(x => x.peerId)).toEqual(['1/1/ff', '0.5/10/ff', '0.5/9/00', '0.5/9/01'])
    expect(compareProviders(p(1, 1, 'aa'), p(1, 1, 'aa'))).toBe(0)
  })
})
