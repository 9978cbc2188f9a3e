import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { WriteJournal } from '../src/journal.js'
import { defaultLogger } from '@libp2p/logger'

const log = defaultLogger().forComponent('chorus-dht:hybrid-mock:test')

describe('WriteJournal', () => {
  it('keeps write order even when a later append persists first', async () => {
    const store = new MemoryDatastore()
    const put = store.put.bind(store)
    const slow = new Set<string>()
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    store.put = (async (key: Key, value: Uint8Array) => {
      if (slow.has(key.toString())) await gate
      return put(key, value)
    }) as typeof store.put
    const journal = new WriteJournal(store, '/j', log)
    slow.add('/j/0000000000000001')
    const first = journal.append('put', '/app/a', new Uint8Array([1]), 1)
    await journal.append('put', '/app/b', new Uint8Array([2]), 2)
    release()
    await first
    expect(journal.all().map((e) => e.key)).toEqual(['/app/a', '/app/b'])
  })

  it('round-trips through the datastore and skips unreadable entries', async () => {
    const store = new MemoryDatastore()
    const a = new WriteJournal(store, '/j', log)
    await a.append('put', '/app/a', new Uint8Array([1, 2, 3]), 10)
    await a.append('provide', 'chorus:peer', undefined, 11)
    await store.put(new Key('/j/garbage'), new TextEncoder().encode('{not json'))
    const b = new WriteJournal(store, '/j', log)
    await b.load()
    expect(b.all()).toEqual([
      { seq: 1, op: 'put', key: '/app/a', value: new Uint8Array([1, 2, 3]), time: 10 },
      { seq: 2, op: 'provide', key: 'chorus:peer', value: undefined, time: 11 }
    ])
    // numbering continues after what was loaded
    expect((await b.append('put', '/app/c', new Uint8Array([4]), 12)).seq).toBe(3)
    await b.remove(1)
    expect(b.peek()?.key).toBe('chorus:peer')
    const c = new WriteJournal(store, '/j', log)
    await c.load()
    expect(c.all().map((e) => e.seq)).toEqual([2, 3])
  })

  it('persists each entry under <prefix>/<seq, 16 digits> before it is acknowledged, and deletes it on remove', async () => {
    const store = new MemoryDatastore()
    const j = new WriteJournal(store, '/chorus-hybrid/journal', log)
    const e = await j.append('put', '/app/k', new Uint8Array([7]), 5)
    expect(await store.has(new Key('/chorus-hybrid/journal/0000000000000001'))).toBe(true)
    expect(JSON.parse(new TextDecoder().decode(await store.get(new Key('/chorus-hybrid/journal/0000000000000001'))))).toEqual({ seq: 1, op: 'put', key: '/app/k', time: 5, value: 'Bw==' })
    await j.remove(e.seq)
    expect(await store.has(new Key('/chorus-hybrid/journal/0000000000000001'))).toBe(false)
    expect(j.size).toBe(0)
    expect(j.peek()).toBeUndefined()
    // removing what is not there is harmless
    await j.remove(99)
    expect(j.size).toBe(0)
  })

  it('keeps a copy of the value, not the caller\'s buffer', async () => {
    const j = new WriteJournal(undefined, '/j', log)
    const value = new Uint8Array([1, 2])
    await j.append('put', '/app/k', value, 1)
    value[0] = 9
    expect(j.peek()?.value).toEqual(new Uint8Array([1, 2]))
  })

  it('without a datastore it lives in memory only: load changes nothing', async () => {
    const j = new WriteJournal(undefined, '/j', log)
    await j.append('provide', 'p', undefined, 1)
    await j.load()
    expect(j.all()).toEqual([{ seq: 1, op: 'provide', key: 'p', value: undefined, time: 1 }])
  })

  it('load reads the entries under its prefix only, in seq order', async () => {
    const store = new MemoryDatastore()
    const writer = new WriteJournal(store, '/j', log)
    for (let i = 1; i <= 3; i++) await writer.append('put', `/app/${i}`, new Uint8Array([i]), i)
    await store.put(new Key('/other/0000000000000001'), new TextEncoder().encode('{}'))
    const reader = new WriteJournal(store, '/j', log)
    await reader.load()
    expect(reader.all().map((e) => [e.seq, e.key])).toEqual([[1, '/app/1'], [2, '/app/2'], [3, '/app/3']])
    // numbering goes on after the last loaded entry
    expect((await reader.append('put', '/app/4', new Uint8Array([4]), 4)).seq).toBe(4)
  })

  it('hasKey and removePuts concern puts of that key only; removePuts needs the exact bytes', async () => {
    const store = new MemoryDatastore()
    const j = new WriteJournal(store, '/j', log)
    await j.append('provide', '/app/k', undefined, 1)
    expect(j.hasKey('/app/k')).toBe(false)
    await j.append('put', '/app/k', new Uint8Array([1]), 2)
    await j.append('put', '/app/k', new Uint8Array([2]), 3)
    await j.append('put', '/app/other', new Uint8Array([1]), 4)
    await j.append('put', '/app/k', new Uint8Array([1]), 5)
    expect(j.hasKey('/app/k')).toBe(true)
    expect(await j.removePuts('/app/k', new Uint8Array([1, 0]))).toBe(false)
    expect(await j.removePuts('/app/k', new Uint8Array([1]))).toBe(true)
    expect(j.all().map((e) => [e.op, e.key, e.value?.[0]])).toEqual([['provide', '/app/k', undefined], ['put', '/app/k', 2], ['put', '/app/other', 1]])
    const reloaded = new WriteJournal(store, '/j', log)
    await reloaded.load()
    expect(reloaded.all().map((e) => e.seq)).toEqual([1, 3, 4])
    expect(await j.removePuts('/app/k', new Uint8Array([1]))).toBe(false)
  })
})
