import { describe, expect } from 'vitest'
import { bytes, rejectionName, text } from './context.js'
import type { SuiteContext } from './context.js'

/** Puts and gets (lone node, network, quorum, remoteOnly, the selector) and validation. */
export function recordTests (ctx: SuiteContext): void {
  const { factory, policy, n, key, test, revoked, selectorCalls } = ctx
  describe('put and get', () => {
    test('a lone node stores and serves its own records and reports 0 remote peers', async () => {
      const dht = await factory.create(policy)
      await dht.start()
      const k = key('lone')
      const result = await dht.putValue(k, bytes('v-lone'))
      expect(result.remotePeers).toBe(0)
      expect(result.peers).toEqual([])
      expect(result.refusedPeers).toBe(0)
      expect(text(await dht.getValue(k))).toBe('v-lone')
    })

    test('a value put on one node is found from every other', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('round-trip')
      const result = await nodes[0].putValue(k, bytes('v-hello'))
      expect(result.remotePeers).toBeGreaterThanOrEqual(1)
      expect(result.peers).toHaveLength(result.remotePeers)
      expect(result.peers).not.toContain(nodes[0].peerId)
      expect(result.refusedPeers).toBe(0)
      for (const node of nodes) {
        expect(text(await node.getValue(k))).toBe('v-hello')
      }
    })

    test('an overwrite is what later reads return', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('overwrite')
      await nodes[0].putValue(k, bytes('v1'))
      await nodes[0].putValue(k, bytes('v2'))
      expect(text(await nodes[0].getValue(k))).toBe('v2')
      expect(text(await nodes[1].getValue(k))).toBe('v2')
    })

    test('the selector picks the same winner on every node among differing copies', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('selector')
      await nodes[0].putValue(k, bytes('v2'))
      // nodes[1] withdraws its copy and writes an older one: it stores v1
      // locally while the others keep v2, so the copies differ for sure
      await nodes[1].removeLocal(k, bytes('v2'))
      await nodes[1].putValue(k, bytes('v1'))
      expect(text(await nodes[1].getValueFromPeer(nodes[1].peerId, k))).toBe('v1')
      expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v2')
      selectorCalls.length = 0
      // nodes[1] reads first: its own v1 and a remote v2 can only be told apart by the selector
      for (const node of [nodes[1], nodes[0], ...nodes.slice(2)]) {
        expect(text(await node.getValue(k, { quorum: n }))).toBe('v2')
      }
      expect(selectorCalls.some((call) => call.includes('v1') && call.includes('v2'))).toBe(true)
    })

    test('getValue with a quorum collects several answers, and accepts fewer when fewer peers exist', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('quorum')
      await nodes[0].putValue(k, bytes('v-q'))
      expect(text(await nodes[1].getValue(k, { quorum: n }))).toBe('v-q')
      expect(text(await nodes[1].getValue(k, { quorum: n + 10 }))).toBe('v-q')
    })

    test('remoteOnly finds the record on the network, and nothing on a lone node', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('remote-only')
      await nodes[0].putValue(k, bytes('v-r'))
      expect(text(await nodes[0].getValue(k, { remoteOnly: true }))).toBe('v-r')

      const lone = await factory.create(policy)
      await lone.start()
      const k2 = key('remote-only-lone')
      await lone.putValue(k2, bytes('v-l'))
      expect(await rejectionName(lone.getValue(k2, { remoteOnly: true }))).toBe('NotFoundError')
    })

    test('a missing key rejects NotFoundError', async () => {
      const nodes = await factory.network(n, policy)
      expect(await rejectionName(nodes[1].getValue(key('missing')))).toBe('NotFoundError')
      const lone = await factory.create(policy)
      await lone.start()
      expect(await rejectionName(lone.getValue(key('missing-lone')))).toBe('NotFoundError')
    })
  })

  describe('validation', () => {
    test('an invalid record is refused with InvalidParametersError and nothing is stored', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('invalid')
      expect(await rejectionName(nodes[0].putValue(k, bytes('invalid')))).toBe('InvalidParametersError')
      expect(await nodes[0].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
      for (const node of nodes) {
        expect(await rejectionName(node.getValue(k))).toBe('NotFoundError')
      }
    })

    test('an invalid overwrite leaves the valid record in place', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('invalid-overwrite')
      await nodes[0].putValue(k, bytes('v-good'))
      expect(await rejectionName(nodes[0].putValue(k, bytes('bad')))).toBe('InvalidParametersError')
      expect(text(await nodes[1].getValue(k))).toBe('v-good')
    })

    test('a record in a namespace without a validator is refused', async () => {
      const dht = await factory.create(policy)
      await dht.start()
      expect(await rejectionName(dht.putValue(`/no-such-namespace-${ctx.next()}/x`, bytes('v1')))).toBe('InvalidParametersError')
    })

    test('a get never returns a record that no longer validates', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('revoked')
      await nodes[0].putValue(k, bytes('v-revoked'))
      revoked.add('v-revoked')
      for (const node of nodes) {
        expect(await rejectionName(node.getValue(k, { quorum: n }))).toBe('NotFoundError')
      }
      expect(await nodes[1].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
    })
  })
}
