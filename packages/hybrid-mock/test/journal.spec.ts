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
})
