import { describe, expect } from 'vitest'
import { bytes, handleTracker, rejectionName, text, waitForNoHandles } from './context.js'
import type { SuiteContext } from './context.js'

/** Start, stop and what is left running after stop. */
export function lifecycleTests (ctx: SuiteContext): void {
  const { factory, policy, key, test } = ctx
  describe('lifecycle', () => {
    test('start twice is harmless and the node works', async () => {
      const dht = await factory.create(policy)
      await dht.start()
      await dht.start()
      const k = key('start-twice')
      await dht.putValue(k, bytes('v1'))
      expect(text(await dht.getValue(k))).toBe('v1')
    })

    test('stop before start is harmless: it resolves and the node then starts and works', async () => {
      const dht = await factory.create(policy)
      await expect(Promise.resolve(dht.stop())).resolves.toBeUndefined()
      expect(dht.getStats().uptime).toBe(0)
      await dht.start()
      const k = key('stop-first')
      await dht.putValue(k, bytes('v1'))
      expect(text(await dht.getValue(k))).toBe('v1')
    })

    test('stop twice is harmless; calls after stop reject NotStartedError', async () => {
      const dht = await factory.create(policy)
      await dht.start()
      const k = key('stopped')
      await dht.putValue(k, bytes('v1'))
      await dht.stop()
      await dht.stop()
      expect(await rejectionName(dht.putValue(k, bytes('v2')))).toBe('NotStartedError')
      expect(await rejectionName(dht.getValue(k))).toBe('NotStartedError')
      expect(await rejectionName(dht.provide(k))).toBe('NotStartedError')
      expect(await rejectionName(dht.findProviders(k))).toBe('NotStartedError')
    })

    test('nothing keeps running after stop (no timer, socket or other handle left)', async () => {
      const tracker = handleTracker()
      try {
        const dht = await factory.create(policy)
        await dht.start()
        const k = key('handles')
        await dht.putValue(k, bytes('v1'))
        await dht.getValue(k)
        await dht.provide(k)
        await dht.stop()
        expect(await waitForNoHandles(tracker.live, 5_000)).toEqual([])
      } finally {
        tracker.disable()
      }
    })

    test('calls before start reject NotStartedError', async () => {
      const dht = await factory.create(policy)
      expect(await rejectionName(dht.getValue(key('unstarted')))).toBe('NotStartedError')
    })
  })
}
