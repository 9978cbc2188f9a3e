import { describe, expect, it } from 'vitest'
import { HealthMonitor } from '../src/health-monitor.js'
import { WriteJournal } from '../src/journal.js'
import { JournalReplayer } from '../src/journal-replay.js'
import type { DHT, PutResult } from '@chorus-dht/types'

const enc = new TextEncoder()
const dec = new TextDecoder()
const named = (name: string): Error => Object.assign(new Error(name), { name })

interface Lines { debug: string[], error: string[] }

function logger (): { log: any, lines: Lines } {
  const lines: Lines = { debug: [], error: [] }
  const log: any = (f: string, ...a: unknown[]) => { lines.debug.push([f, ...a].join(' ')) }
  log.error = (f: string, ...a: unknown[]) => { lines.error.push([f, ...a].join(' ')) }
  log.trace = () => {}
  return { log, lines }
}

/** A scripted real DHT: what the network holds per key, and what a put of a key does. */
function scriptedReal (held: Record<string, string>, onPut: Record<string, () => PutResult | Promise<PutResult>> = {}): { dht: DHT, calls: string[] } {
  const calls: string[] = []
  const dht = {
    peerId: 'real',
    getStats: () => ({ totalPeers: 1 }),
    async provide (key: string) { calls.push(`provide ${key}`) },
    async getValue (key: string, options: { remoteOnly?: boolean }) {
      calls.push(`get ${key}${options.remoteOnly === true ? ' remoteOnly' : ''}`)
      if (held[key] === undefined) throw named('NotFoundError')
      return enc.encode(held[key])
    },
    async putValue (key: string, value: Uint8Array) {
      calls.push(`put ${key}=${dec.decode(value)}`)
      return onPut[key]?.() ?? { remotePeers: 1, peers: ['p'], refusedPeers: 0 }
    }
  } as unknown as DHT
  return { dht, calls }
}

function setup (real: DHT, mock: DHT = {} as DHT): { replayer: JournalReplayer, journal: WriteJournal, lines: Lines } {
  const { log, lines } = logger()
  const journal = new WriteJournal(undefined, '/j', log)
  const monitor = new HealthMonitor({ backends: { real, mock }, state: { active: 'mock', realEnabled: true, realStarted: true }, clock: Date, log }, {
    fallbackOnError: true, maxConsecutiveFailures: 3, backendTimeout: 10_000, probeTimeout: 10_000, degradedLatency: 2_000, bootstrapNodes: []
  })
  // the selector prefers the greater text
  const selectors = { app: (_k: string, vs: Uint8Array[]) => (dec.decode(vs[1]) > dec.decode(vs[0]) ? 1 : 0) }
  return { replayer: new JournalReplayer({ real, mock, journal, monitor, log }, { selectors }), journal, lines }
}

const signal = new AbortController().signal

describe('JournalReplayer', () => {
  it('replays in order: provides, puts the network lacks, puts the selector prefers over what it holds', async () => {
    const { dht, calls } = scriptedReal({ '/app/older': 'a', '/app/same': 's' })
    const { replayer, journal } = setup(dht)
    await journal.append('provide', '/app/p', undefined, 1)
    await journal.append('put', '/app/new', enc.encode('n'), 2)
    await journal.append('put', '/app/older', enc.encode('b'), 3)
    await journal.append('put', '/app/same', enc.encode('s'), 4)
    await journal.append('put', '/free/x', enc.encode('x'), 5)
    await replayer.replay(signal)
    expect(calls).toEqual([
      'provide /app/p',
      'get /app/new remoteOnly', 'put /app/new=n',
      'get /app/older remoteOnly', 'put /app/older=b',
      // the same bytes are put again (cheap, and this node's copy proves nothing)
      'get /app/same remoteOnly', 'put /app/same=s',
      // no selector for the namespace: the journaled record goes out
      'get /free/x remoteOnly', 'put /free/x=x'
    ])
    expect(journal.size).toBe(0)
    expect(replayer.droppedWrites).toBe(0)
  })

  it('drops a put when the network holds a record the selector prefers, and says so at warn level (default level here)', async () => {
    const { dht, calls } = scriptedReal({ '/app/k': 'z' })
    const { replayer, journal, lines } = setup(dht)
    await journal.append('put', '/app/k', enc.encode('a'), 1)
    await replayer.replay(signal)
    expect(calls).toEqual(['get /app/k remoteOnly'])
    expect(replayer.droppedWrites).toBe(1)
    expect(journal.size).toBe(0)
    expect(lines.debug.some((l) => l.includes('/app/k') && l.includes('selector prefers'))).toBe(true)
    expect(lines.error).toEqual([])
  })

  it('drops a record the real DHT refuses for good, or that every reached peer refused; logs each as an error', async () => {
    const { dht } = scriptedReal({}, {
      '/app/invalid': () => { throw named('InvalidParametersError') },
      '/app/conflict': () => { throw named('RecordConflictError') },
      '/app/refused': () => ({ remotePeers: 0, peers: [], refusedPeers: 2 })
    })
    const { replayer, journal, lines } = setup(dht)
    for (const k of ['/app/invalid', '/app/conflict', '/app/refused', '/app/ok']) await journal.append('put', k, enc.encode('v'), 1)
    await replayer.replay(signal)
    expect(replayer.droppedWrites).toBe(3)
    expect(journal.size).toBe(0)
    expect(lines.error).toHaveLength(3)
    expect(lines.error[0]).toContain('/app/invalid')
    expect(lines.error[0]).toContain('InvalidParametersError')
    expect(lines.error[1]).toContain('RecordConflictError')
    expect(lines.error[2]).toContain('/app/refused')
    expect(lines.error[2]).toContain('2')
  })

  it('stops at a backend failure and keeps that entry and the later ones for the next replay', async () => {
    let down = true
    const { dht, calls } = scriptedReal({}, { '/app/b': () => { if (down) throw named('BackendUnavailableError'); return { remotePeers: 1, peers: ['p'], refusedPeers: 0 } } })
    const { replayer, journal } = setup(dht)
    for (const k of ['/app/a', '/app/b', '/app/c']) await journal.append('put', k, enc.encode('v'), 1)
    await expect(replayer.replay(signal)).rejects.toMatchObject({ name: 'BackendUnavailableError' })
    expect(journal.all().map((e) => e.key)).toEqual(['/app/b', '/app/c'])
    expect(replayer.droppedWrites).toBe(0)
    down = false
    calls.length = 0
    await replayer.replay(signal)
    expect(calls).toEqual(['get /app/b remoteOnly', 'put /app/b=v', 'get /app/c remoteOnly', 'put /app/c=v'])
    expect(journal.size).toBe(0)
  })

  it('a failing read of the network (not a not-found) stops the replay', async () => {
    const { dht } = scriptedReal({})
    dht.getValue = async () => { throw named('TimeoutError') }
    const { replayer, journal } = setup(dht)
    await journal.append('put', '/app/a', enc.encode('v'), 1)
    await expect(replayer.replay(signal)).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(journal.size).toBe(1)
  })

  it('runs one replay at a time: a second caller joins the running one', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const { dht, calls } = scriptedReal({}, { '/app/a': async () => { await gate; return { remotePeers: 1, peers: ['p'], refusedPeers: 0 } } })
    const { replayer, journal } = setup(dht)
    await journal.append('put', '/app/a', enc.encode('v'), 1)
    const first = replayer.replay(signal)
    const second = replayer.replay(signal)
    let idle = false
    const waiting = replayer.idle().then(() => { idle = true })
    await new Promise((resolve) => setImmediate(resolve))
    expect(idle).toBe(false)
    release()
    await Promise.all([first, second, waiting])
    expect(calls.filter((c) => c.startsWith('put'))).toEqual(['put /app/a=v'])
    expect(idle).toBe(true)
    await replayer.idle()
  })

  it('restore puts the journaled writes into the mock, logging what fails and going on', async () => {
    const got: string[] = []
    const mock = {
      async putValue (key: string, value: Uint8Array) { if (key === '/app/bad') throw named('InvalidParametersError'); got.push(`put ${key}=${dec.decode(value)}`) },
      async provide (key: string) { got.push(`provide ${key}`) }
    } as unknown as DHT
    const { dht } = scriptedReal({})
    const { replayer, journal, lines } = setup(dht, mock)
    await journal.append('put', '/app/bad', enc.encode('x'), 1)
    await journal.append('put', '/app/a', enc.encode('a'), 2)
    await journal.append('provide', '/app/p', undefined, 3)
    await replayer.restore(signal)
    expect(got).toEqual(['put /app/a=a', 'provide /app/p'])
    expect(lines.error).toHaveLength(1)
    expect(lines.error[0]).toContain('/app/bad')
    // the journal still holds everything: restoring is not replaying
    expect(journal.size).toBe(3)
    const aborted = new AbortController()
    aborted.abort()
    const failing = { async putValue () { throw named('AbortError') }, async provide () {} } as unknown as DHT
    const r2 = setup(dht, failing)
    await r2.journal.append('put', '/app/a', enc.encode('a'), 1)
    await expect(r2.replayer.restore(aborted.signal)).rejects.toMatchObject({ name: 'AbortError' })
  })
})
