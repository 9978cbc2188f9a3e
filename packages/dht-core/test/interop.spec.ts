// The chorus-dht side is imported first: it also installs the Node 20 shim libp2p needs.
import { createChorusDHT, providerKeyToCID } from '../src/index.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytes, policy, waitFor } from './fixtures.js'
import type { ChorusDHT } from '../src/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'

/** A stock libp2p node: no chorus-dht code, its own CHORUS validator and selector. */
async function stockNode (): Promise<Libp2p<{ dht: KadDHT }>> {
  return createLibp2p({
    addresses: { listen: [`/memory/stock-${Math.random()}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: '/CHORUS/kad/1.0.0',
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: {
          CHORUS: async (_key, value) => { if (value.length === 0 || value[0] === 0) throw new Error('invalid') }
        },
        selectors: { CHORUS: () => 0 }
      })
    }
  })
}

describe('interop with a stock @libp2p/kad-dht node', () => {
  let stock: Libp2p<{ dht: KadDHT }>
  let chorus: ChorusDHT
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

  beforeAll(async () => {
    stock = await stockNode()
    chorus = await createChorusDHT({ transports: ['memory'], allowPrivateAddresses: true, joinStagger: 0, ...policy })
    await chorus.libp2p.dial(stock.getMultiaddrs()[0])
    await waitFor(() => chorus.getRoutingTablePeers().includes(stock.peerId.toString()) &&
      (stock.services.dht as unknown as { routingTable: { size: number } }).routingTable.size > 0, 20_000, 'routing tables')
  })

  afterAll(async () => {
    await chorus?.stop()
    await stock?.stop()
  })

  it('a value put by chorus-dht is stored on and read by the stock node', async () => {
    const result = await chorus.putValue('/CHORUS/from-chorus', bytes(1, 2, 3))
    expect(result.peers).toEqual([stock.peerId.toString()])
    let found: Uint8Array | undefined
    for await (const event of stock.services.dht.get(enc('/CHORUS/from-chorus'), { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'VALUE') found = event.value
    }
    expect(found).toEqual(bytes(1, 2, 3))
  })

  it('a value put by the stock node is read by chorus-dht', async () => {
    for await (const event of stock.services.dht.put(enc('/CHORUS/from-stock'), bytes(4, 5), { signal: AbortSignal.timeout(10_000) })) {
      void event
    }
    expect(await chorus.getValue('/CHORUS/from-stock')).toEqual(bytes(4, 5))
    expect(await chorus.getValueFromPeer(stock.peerId.toString(), '/CHORUS/from-stock')).toEqual(bytes(4, 5))
  })

  it('chorus-dht refuses an invalid record the stock node pushes', async () => {
    // a stock put does not validate locally: it sends the record to chorus-dht, whose validator refuses it
    for await (const event of stock.services.dht.put(enc('/CHORUS/bad'), bytes(0), { signal: AbortSignal.timeout(10_000) })) {
      void event
    }
    expect(await chorus.getValueFromPeer(chorus.peerId, '/CHORUS/bad')).toBeUndefined()
  })

  it('provider records flow both ways', async () => {
    await chorus.provide('CHORUS:role:interop')
    const cid = await providerKeyToCID('CHORUS:role:interop')
    const seen: string[] = []
    for await (const event of stock.services.dht.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
      if (event.name === 'PROVIDER') seen.push(...event.providers.map(p => p.id.toString()))
    }
    expect(seen).toContain(chorus.peerId)

    const stockCid = await providerKeyToCID('CHORUS:capability:stock')
    for await (const event of stock.services.dht.provide(stockCid, { signal: AbortSignal.timeout(10_000) })) {
      void event
    }
    expect((await chorus.findProviders('CHORUS:capability:stock')).map(p => p.id)).toEqual([stock.peerId.toString()])
  })
})
