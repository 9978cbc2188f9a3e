import { afterEach, describe, expect, it } from 'vitest'
import { createChorusDHT, providerKeyToCID } from '../src/index.js'
import { bytes, policy } from './fixtures.js'
import type { ChorusDHT } from '../src/index.js'

describe('a lone node', () => {
  let node: ChorusDHT | undefined

  afterEach(async () => {
    await node?.stop()
    node = undefined
  })

  it('stores and serves its own records and provider records without peers', async () => {
    node = await createChorusDHT({ transports: ['memory'], ...policy })
    const result = await node.putValue('/CHORUS/alone', bytes(3))
    expect(result).toEqual({ remotePeers: 0, peers: [], refusedPeers: 0 })
    expect(await node.getValue('/CHORUS/alone')).toEqual(bytes(3))
    expect(await node.getValueFromPeer(node.peerId, '/CHORUS/alone')).toEqual(bytes(3))
    expect(node.getStats().totalKeys).toBe(1)

    await node.provide('CHORUS:peer')
    const providers = await node.findProviders('CHORUS:peer')
    expect(providers.map(p => p.id)).toEqual([node.peerId])
    expect(providers[0].multiaddrs).toEqual(node.getMultiaddrs())
    expect(await node.getClosestPeers('/CHORUS/alone')).toEqual([])
  })

  it('answers NotFoundError at once rather than waiting for peers', async () => {
    node = await createChorusDHT({ transports: ['memory'], ...policy })
    await expect(node.getValue('/CHORUS/nothing')).rejects.toHaveProperty('name', 'NotFoundError')
    await expect(node.getValue('/CHORUS/nothing', { remoteOnly: true })).rejects.toHaveProperty('name', 'NotFoundError')
  })

  it('rejects bad input with InvalidParametersError', async () => {
    node = await createChorusDHT({ transports: ['memory'], ...policy })
    await expect(node.putValue('/CHORUS/x', 'text' as any)).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(node.getValue('/CHORUS/x', { quorum: 0 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(node.getValueFromPeer('not-a-peer', '/CHORUS/x')).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(node.provide('')).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(node.announceRole('')).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ transports: ['carrier-pigeon' as any] })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ bootstrapTimeout: -1 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ bootstrapPeers: ['not a multiaddr'] })).rejects.toHaveProperty('name', 'InvalidParametersError')
  })

  it('throws NotStartedError before start and after stop', async () => {
    node = await createChorusDHT({ transports: ['memory'], start: false, ...policy })
    await expect(node.getValue('/CHORUS/x')).rejects.toHaveProperty('name', 'NotStartedError')
    await node.stop() // safe before start
    await node.start()
    await node.start() // idempotent
    expect(node.isStarted()).toBe(true)
    await node.stop()
    await node.stop()
    expect(node.getStats().uptime).toBe(0)
    await expect(node.putValue('/CHORUS/x', bytes(1))).rejects.toHaveProperty('name', 'NotStartedError')
  })

  it('announces string provider keys as CIDv1 raw sha2-256', async () => {
    const cid = await providerKeyToCID('CHORUS:role:admin')
    expect(cid.version).toBe(1)
    expect(cid.code).toBe(0x55)
    expect(cid.multihash.code).toBe(0x12)
    expect(cid.equals(await providerKeyToCID('CHORUS:role:admin'))).toBe(true)
    expect(cid.equals(await providerKeyToCID('CHORUS:role:user'))).toBe(false)
  })
})
