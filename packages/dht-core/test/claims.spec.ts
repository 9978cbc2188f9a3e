// Tests that prove the README ("DHT behaviour", putValue): each `it` names
// the claim it holds the package to.
import { createTestNetwork } from '../src/testing.js'
import { afterEach, describe, expect, it } from 'vitest'
import { bytes, policy, silentPeer } from './fixtures.js'
import type { TestNetwork } from '../src/testing.js'

describe('README "DHT behaviour": putValue', () => {
  const networks: TestNetwork[] = []
  const cleanups: Array<() => void> = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    await Promise.all(networks.splice(0).map(async net => { await net.stop() }))
  })

  /** kad-dht's own per-request timeout (adaptive, at least 5 s) raised so that only the put's deadline or signal ends a request to a silent peer. */
  const patientRequests = { kadDHT: { networkDialTimeout: { minTimeout: 120_000, maxTimeout: 120_000 } } }

  // A silent peer stays silent for 10 s: then kad-dht's handler limit
  // (incomingMessageTimeout, not configurable in kad-dht 16.4.5) resets the
  // stream. The ceilings and deadlines below are shorter than that.

  /** A validator for a peer whose PUT_VALUE handler never finishes for keys under `prefix` (it validates the record first), so it never answers. */
  function silentOn (prefix: string, asked: Set<string>, never: Promise<void>, self: () => string): typeof policy.validators {
    return {
      CHORUS: async (k, value) => {
        if (k.startsWith(prefix)) {
          asked.add(self())
          await never
        }
        policy.validators!.CHORUS(k, value)
      }
    }
  }

  it('with minPeers resolves as soon as that many remote peers accepted, while other closest peers have not answered', async () => {
    const prefix = '/CHORUS/min-peers/'
    const asked = new Set<string>()
    let release = (): void => {}
    const never = new Promise<void>(resolve => { release = resolve })
    cleanups.push(() => { release() })
    // node 0 puts; nodes 1-3 answer; nodes 4 and 5 never answer a PUT_VALUE under the prefix
    const silent = [4, 5]
    let net: TestNetwork | undefined
    net = await createTestNetwork(6, policy, {
      nodeInit: (i) => i === 0
        ? patientRequests
        : silent.includes(i) ? { validators: silentOn(prefix, asked, never, () => net!.nodes[i].peerId) } : {}
    })
    networks.push(net)
    const [putter] = net.nodes
    const silentIds = silent.map(i => net!.nodes[i].peerId)
    const answering = [1, 2, 3].map(i => net!.nodes[i].peerId)

    // a ceiling (generous for a sub-second put): a put that waited for the silent peers would still be running when it fires
    const ceiling = AbortSignal.timeout(8_000)
    const early = await putter.putValue(`${prefix}two-will-do`, bytes(2), { minPeers: 2, signal: ceiling })
    expect(ceiling.aborted, 'the put resolved before its ceiling, while the silent peers had not answered').toBe(false)
    expect(early.remotePeers).toBeGreaterThanOrEqual(2)
    expect(early.peers).toHaveLength(early.remotePeers)
    for (const id of early.peers) {
      expect(answering).toContain(id)
      expect(await putter.getValueFromPeer(id, `${prefix}two-will-do`)).toEqual(bytes(2))
    }
    for (const id of silentIds) expect(early.peers).not.toContain(id)

    // the control: with minPeers = every remote peer, the same put is still waiting for the silent peers when its ceiling fires
    const shortCeiling = AbortSignal.timeout(3_000)
    await putter.putValue(`${prefix}everyone`, bytes(3), { minPeers: 5, signal: shortCeiling }).catch(() => {})
    expect(shortCeiling.aborted, 'with minPeers = 5 the put waits for every closest peer').toBe(true)
    expect([...asked].sort(), 'the silent peers were sent the record').toEqual([...silentIds].sort())
  })

  it('resolves at its default timeout with the acceptances gathered so far while one peer never answers, the record stored locally', async () => {
    const key = '/CHORUS/one-peer-hangs'
    const silent = silentPeer(key)
    cleanups.push(silent.release)
    const slowIndex = 4
    // the putter's default timeout (queryTimeout) is what ends the put
    const net = await createTestNetwork(5, policy, {
      // the putter waits for every remote peer (putMinPeers), so only its default timeout ends the put
      nodeInit: (i) => i === 0
        ? { ...patientRequests, queryTimeout: 5000, putMinPeers: 4 }
        : i === slowIndex
          // this peer's PUT_VALUE handler validates the record first: it never finishes, so it never answers
          ? silent.init
          : {}
    })
    networks.push(net)
    const [putter, ...others] = net.nodes
    const slow = net.nodes[slowIndex]
    const answering = others.filter(n => n !== slow).map(n => n.peerId)

    const result = await putter.putValue(key, bytes(7))
    expect(silent.asked(), 'the slow peer received the PUT_VALUE').toBe(true)
    expect(result.refusedPeers).toBe(0)
    expect(result.peers).not.toContain(slow.peerId)
    expect(result.remotePeers).toBe(result.peers.length)
    expect(result.remotePeers).toBeGreaterThanOrEqual(1)
    for (const id of result.peers) {
      expect(answering).toContain(id)
      expect(await putter.getValueFromPeer(id, key)).toEqual(bytes(7))
    }
    // stored locally
    expect(await putter.getValueFromPeer(putter.peerId, key)).toEqual(bytes(7))
    expect(await putter.getValue(key)).toEqual(bytes(7))
  })
})
