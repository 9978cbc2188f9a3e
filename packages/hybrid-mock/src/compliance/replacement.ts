import { describe, expect } from 'vitest'
import { COMPLIANCE_FREE_NAMESPACE, COMPLIANCE_ONCE_NAMESPACE, bytes, rejectionName, text } from './context.js'
import type { SuiteContext } from './context.js'

/** The replacement rule: local and remote refusals, replacers, no rollback, removeLocal. */
export function replacementTests (ctx: SuiteContext): void {
  const { factory, policy, n, key, holders, test } = ctx
  describe('replacement rule', () => {
    test('a local refusal rejects RecordConflictError and stores nothing, here or remotely', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('local-refusal')
      await nodes[0].putValue(k, bytes('v2'))
      const before = await holders(nodes, k, 'v2')
      expect(await rejectionName(nodes[0].putValue(k, bytes('v1')))).toBe('RecordConflictError')
      expect(await holders(nodes, k, 'v1')).toEqual([])
      expect(await holders(nodes, k, 'v2')).toEqual(before)
      for (const node of nodes) expect(text(await node.getValue(k, { quorum: n }))).toBe('v2')
    })

    test('a replacer that keeps the held record refuses even what the selector prefers', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('once', COMPLIANCE_ONCE_NAMESPACE)
      await nodes[0].putValue(k, bytes('v1'))
      expect(await rejectionName(nodes[0].putValue(k, bytes('v9')))).toBe('RecordConflictError')
      expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
      expect(await holders(nodes, k, 'v9')).toEqual([])
    })

    test('a replacer that accepts lets a record the selector ranks lower replace the held one', async () => {
      const dht = await factory.create(policy)
      await dht.start()
      const k = key('free', COMPLIANCE_FREE_NAMESPACE)
      await dht.putValue(k, bytes('v9'))
      await dht.putValue(k, bytes('v1'))
      expect(text(await dht.getValueFromPeer(dht.peerId, k))).toBe('v1')
    })

    test('remote refusals are counted in refusedPeers, not as acceptances', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('remote-refusal')
      await nodes[1].putValue(k, bytes('v2'))
      await nodes[0].removeLocal(k, bytes('v2'))
      const keeping = await holders(nodes, k, 'v2')
      expect(keeping).toContain(nodes[1].peerId)
      expect(keeping).not.toContain(nodes[0].peerId)
      // nodes[0] holds nothing, so it stores v1; every peer that holds v2 keeps it
      const result = await nodes[0].putValue(k, bytes('v1'))
      expect(result.refusedPeers).toBeGreaterThanOrEqual(1)
      expect(result.peers).toHaveLength(result.remotePeers)
      for (const id of result.peers) expect(keeping).not.toContain(id)
      expect(result.remotePeers + result.refusedPeers).toBeLessThanOrEqual(n - 1)
      expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
      expect(await holders(nodes, k, 'v2')).toEqual(keeping)
    })

    test('no rollback without a replacer: an older record never replaces a newer one on any node', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('no-rollback')
      await nodes[0].putValue(k, bytes('v5'))
      const newer = await holders(nodes, k, 'v5')
      expect(newer.length).toBeGreaterThanOrEqual(2)
      for (const node of nodes) {
        // a refusal locally or on every peer reached; either way no copy of v5 is lost
        await node.putValue(k, bytes('v3')).catch(() => {})
      }
      expect(await holders(nodes, k, 'v5')).toEqual(newer)
      for (const node of nodes) expect(text(await node.getValue(k, { quorum: n }))).toBe('v5')
    })

    test('an identical re-put is accepted, locally and by the peers that hold it', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('re-put')
      const first = await nodes[0].putValue(k, bytes('v1'))
      expect(first.remotePeers).toBeGreaterThanOrEqual(1)
      const again = await nodes[0].putValue(k, bytes('v1'))
      expect(again.refusedPeers).toBe(0)
      expect(again.remotePeers).toBeGreaterThanOrEqual(1)
      const once = key('re-put-once', COMPLIANCE_ONCE_NAMESPACE)
      await nodes[0].putValue(once, bytes('v1'))
      expect((await nodes[0].putValue(once, bytes('v1'))).refusedPeers).toBe(0)
    })

    test('removeLocal removes only an exactly matching local copy, never a remote one', async () => {
      const nodes = await factory.network(n, policy)
      const k = key('remove-local')
      const put = await nodes[0].putValue(k, bytes('v1'))
      expect(put.remotePeers).toBeGreaterThanOrEqual(1)
      const remote = (await holders(nodes, k, 'v1')).filter((id) => id !== nodes[0].peerId)
      expect(remote.length).toBeGreaterThanOrEqual(1)
      expect(await nodes[0].removeLocal(k, bytes('v2'))).toBe(false)
      expect(await nodes[0].removeLocal(k, bytes('v1-'))).toBe(false)
      expect(text(await nodes[0].getValueFromPeer(nodes[0].peerId, k))).toBe('v1')
      expect(await nodes[0].removeLocal(k, bytes('v1'))).toBe(true)
      expect(await nodes[0].getValueFromPeer(nodes[0].peerId, k)).toBeUndefined()
      expect(await nodes[0].removeLocal(k, bytes('v1'))).toBe(false)
      expect(await nodes[0].removeLocal(key('never-put'), bytes('v1'))).toBe(false)
      // the remote copies are untouched
      expect((await holders(nodes, k, 'v1')).filter((id) => id !== nodes[0].peerId)).toEqual(remote)
    })
  })
}
