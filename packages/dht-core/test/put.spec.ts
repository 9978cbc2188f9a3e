// The put strategy of the README ("The put"): an early answer, the rest of
// the placement in the background, one local write, nothing left after stop.
import { createTestNetwork, waitForBackgroundPuts } from '../src/testing.js'
import { MessageType } from '@libp2p/kad-dht'
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

  it('dials no more of the closest than the acknowledgement needs before it, and the rest after', async () => {
    // degree 2 over 24 nodes: a node is connected to few peers, and its
    // routing table (filled by lookups) names many it is not connected to
    const net = await createTestNetwork(24, { ...policy, putMinPeers: 1, putReplicas: 15 }, { degree: 2, minRoutingTableSize: 15 })
    networks.push(net)
    const putter = net.nodes.reduce((a, b) => a.libp2p.getConnections().length <= b.libp2p.getConnections().length ? a : b)
    const network = (putter.libp2p.services.dht as unknown as { network: unknown }).network as { sendRequest: (to: any, msg: { type: MessageType }, ...rest: unknown[]) => unknown }
    const original = network.sendRequest.bind(network)
    let acknowledged = false
    const sends: Array<{ peer: string, connected: boolean, beforeAck: boolean }> = []
    // with minPeers 1 the put is acknowledged at the first answer to a
    // PUT_VALUE: it marks the end of the foreground
    network.sendRequest = (to, msg, ...rest) => {
      const events = original(to, msg, ...rest) as AsyncIterable<{ name: string }>
      if (msg.type !== MessageType.PUT_VALUE) return events
      sends.push({ peer: to.toString(), connected: putter.libp2p.getConnections(to).length > 0, beforeAck: !acknowledged })
      return (async function * () {
        for await (const event of events) {
          if (event.name === 'PEER_RESPONSE') acknowledged = true
          yield event
        }
      })()
    }
    cleanups.push(() => { network.sendRequest = original })
    const unconnected = net.nodes.filter(n => n !== putter && putter.libp2p.getConnections(n.libp2p.peerId).length === 0)
    expect(unconnected.length).toBeGreaterThanOrEqual(2)

    const result = await putter.putValue('/CHORUS/put/staged', bytes(7))
    expect(result.remotePeers).toBeGreaterThanOrEqual(1)
    // before the acknowledgement: the one (minPeers) closest, plus peers
    // already connected; no dial to the rest
    expect(sends.filter(s => s.beforeAck && !s.connected).length).toBeLessThanOrEqual(1)
    // after it, the record still goes to every one of the 15 closest
    await waitForBackgroundPuts(putter, 20_000)
    expect(new Set(sends.map(s => s.peer)).size).toBe(15)
    expect(sends.some(s => !s.beforeAck)).toBe(true)
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
