import { describe, expect } from 'vitest'
import { bytes, rejectionName, waitFor } from './context.js'
import type { SuiteContext } from './context.js'

/** Aborted and timed-out signals, and stats. */
export function limitTests (ctx: SuiteContext): void {
  const { factory, policy, n, key, test } = ctx
  describe('abort and timeout', () => {
    test('an already aborted signal rejects every operation with AbortError or TimeoutError', async () => {
      const nodes = await factory.network(n, policy)
      const controller = new AbortController()
      controller.abort()
      const signal = controller.signal
      const k = key('aborted')
      const names = await Promise.all([
        rejectionName(nodes[0].putValue(k, bytes('v1'), { signal })),
        rejectionName(nodes[0].getValue(k, { signal })),
        rejectionName(nodes[0].getValueFromPeer(nodes[1].peerId, k, { signal })),
        rejectionName(nodes[0].getClosestPeers(k, { signal })),
        rejectionName(nodes[0].provide(k, { signal })),
        rejectionName(nodes[0].findProviders(k, { signal }))
      ])
      for (const got of names) expect(['AbortError', 'TimeoutError']).toContain(got)
      // and the aborted put stored nothing anywhere
      expect(await rejectionName(nodes[1].getValue(k))).toBe('NotFoundError')
    })

    test('a timed-out signal rejects with TimeoutError or AbortError', async () => {
      const nodes = await factory.network(n, policy)
      const signal = AbortSignal.timeout(1)
      await new Promise((resolve) => { signal.addEventListener('abort', resolve, { once: true }) })
      const name = await rejectionName(nodes[0].getValue(key('timeout'), { signal }))
      expect(['TimeoutError', 'AbortError']).toContain(name)
    })
  })

  describe('stats', () => {
    test('getStats reports peers, keys and uptime', async () => {
      const before = Date.now()
      const nodes = await factory.network(n, policy)
      const keysBefore = nodes[0].getStats().totalKeys
      await nodes[0].putValue(key('stats'), bytes('v-s'))
      const stats = nodes[0].getStats()
      expect(stats.totalPeers).toBeGreaterThanOrEqual(1)
      expect(stats.totalPeers).toBeLessThanOrEqual(n - 1)
      expect(stats.connectedPeers).toBeGreaterThanOrEqual(1)
      expect(stats.totalKeys).toBe(keysBefore + 1)
      // uptime is time since start: never more than has passed, and it grows
      expect(stats.uptime).toBeLessThanOrEqual(Date.now() - before + 1)
      expect(await waitFor(() => nodes[0].getStats().uptime > stats.uptime, 5_000)).toBe(true)
      expect(nodes[0].getStats().uptime).toBeLessThanOrEqual(Date.now() - before + 1)

      const lone = await factory.create(policy)
      expect(lone.getStats().uptime).toBe(0)
      await lone.start()
      await lone.stop()
      expect(lone.getStats().uptime).toBe(0)
    })
  })
}
