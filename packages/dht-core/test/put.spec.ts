// The put strategy of the README ("The put"): an early answer, the rest of
// the placement in the background, one local write, nothing left after stop.
import { createTestNetwork, waitForBackgroundPuts } from '../src/testing.js'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { bytes, policy, silentPeer, waitFor } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'
import type { Datastore } from 'interface-datastore'

/** The background puts a node still runs (an internal of the put, read by tests only). */
const backgroundPuts = (node: unknown): number => (node as { records: { recordPut: { pending: number } } }).records.recordPut.pending

describe('README "The put"', () => {
  const networks: TestNetwork[] = []
  const cleanups: Array<() => void> = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    await Promise.all(networks.splice(0).map(async net => { await net.stop() }))
  })

  it('resolves with putMinPeers acceptances and places the record on every one of the putReplicas closest peers in the background', async () => {
    const net = await createTestNetwork(8, { ...policy, putMinPeers: 1, putReplicas: 7 })
    networks.push(net)
    const [putter, ...others] = net.nodes
    const key = '/CHORUS/put/background'
    const result = await putter.putValue(key, bytes(4))
    expect(result.remotePeers).toBeGreaterThanOrEqual(1)
    expect(result.peers).toHaveLength(result.remotePeers)
    expect(result.refusedPeers).toBe(0)
    // every remote peer is one of the 7 closest: all of them end up with the record
    const holders = async (): Promise<number> => {
      let n = 0
      for (const node of others) {
        if ((await putter.getValueFromPeer(node.peerId, key))?.[0] === 4) n++
      }
      return n
    }
    await waitFor(async () => (await holders()) === others.length, 20_000, 'the background to reach every closest peer')
    await waitForBackgroundPuts(putter, 20_000)
  })

  it('stores the record locally once per put (no second write through kad-dht)', async () => {
    let recordWrites = 0
    const counting = (store: Datastore): Datastore => new Proxy(store, {
      get (target, prop) {
        const value = Reflect.get(target, prop, target)
        if (prop === 'put') {
          return async (...args: Parameters<Datastore['put']>) => {
            if (args[0].toString().startsWith('/dht/record/')) recordWrites++
            return target.put(...args)
          }
        }
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const net = await createTestNetwork(3, policy, { components: (i) => i === 0 ? { datastore: counting(new MemoryDatastore()) } : {} })
    networks.push(net)
    const [putter] = net.nodes
    const before = recordWrites
    const result = await putter.putValue('/CHORUS/put/once', bytes(5))
    expect(result.remotePeers).toBe(2)
    await waitForBackgroundPuts(putter, 20_000)
    expect(recordWrites - before).toBe(1)
  })

  it('stop() ends the background of a put that a peer never answers, and leaves nothing running', async () => {
    const key = '/CHORUS/put/silent'
    const silent = silentPeer(key)
    cleanups.push(silent.release)
    const net = await createTestNetwork(4, { ...policy, putMinPeers: 1, putBackgroundTimeout: 600_000 }, {
      nodeInit: (i) => i === 3
        ? silent.init
        : { kadDHT: { networkDialTimeout: { minTimeout: 600_000, maxTimeout: 600_000 } } }
    })
    networks.push(net)
    const [putter] = net.nodes
    const result = await putter.putValue(key, bytes(6))
    expect(result.remotePeers).toBeGreaterThanOrEqual(1)
    await waitFor(silent.asked, 20_000, 'the silent peer to receive the record')
    // its answer is still outstanding: the put is still running in the background
    expect(backgroundPuts(putter)).toBe(1)
    await putter.stop()
    expect(backgroundPuts(putter)).toBe(0)
  })
})
