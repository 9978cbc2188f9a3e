import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { createChorusDHT } from '../src/index.js'
import { bytes, policy } from './fixtures.js'

describe('restart on the same datastore', () => {
  it('keeps records, provider records and the peer id', async () => {
    const datastore = new MemoryDatastore()
    const privateKey = await generateKeyPair('Ed25519')
    const init = { transports: ['memory' as const], ...policy }

    const first = await createChorusDHT(init, { datastore, privateKey })
    await first.putValue('/CHORUS/kept', bytes(4, 2))
    await first.provide('CHORUS:role:keeper')
    const id = first.peerId
    await first.stop()

    const second = await createChorusDHT(init, { datastore, privateKey })
    try {
      expect(second.peerId).toBe(id)
      expect(await second.getValue('/CHORUS/kept')).toEqual(bytes(4, 2))
      expect(second.getStats().totalKeys).toBe(1)
      expect((await second.findProviders('CHORUS:role:keeper')).map(p => p.id)).toEqual([id])
    } finally {
      await second.stop()
    }
  })
})
