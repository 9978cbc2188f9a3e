// A stock @libp2p/kad-dht node (no chorus-dht code in its network stack) for
// the hostile-peer tests. Import '@chorus-dht/dht-core/polyfill' first.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { getJson, waitFor } from './helpers.js'
import type { TestNode } from './helpers.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

export type StockNode = Libp2p<{ dht: KadDHT }>

const encoder = new TextEncoder()

/**
 * Starts a stock node on TCP speaking `/CHORUS/kad/1.0.0` with a lax policy
 * (it accepts anything and answers with what it holds), dials every node and
 * waits until each of them sees all the others and the stock node.
 */
export async function joinStockNode (nodes: TestNode[], privateKey?: PrivateKey): Promise<StockNode> {
  const stock = await createLibp2p({
    privateKey: privateKey ?? await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ protocol: '/CHORUS/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper, validators: { CHORUS: async () => {} }, selectors: { CHORUS: () => 0 } })
    }
  }) as unknown as StockNode
  for (const n of nodes) await stock.dial(multiaddr(n.multiaddr))
  await waitFor(async () => {
    for (const n of nodes) {
      if ((await getJson(`${n.api}/peers`)).body.response.data.peers.length < nodes.length) return false
    }
    return true
  }, 'every node to see the others and the stock node', 60_000)
  return stock
}

/** The record under `key`, as the stock node reads it from the network. */
export async function stockGet (stock: StockNode, key: string): Promise<Uint8Array> {
  for await (const event of stock.services.dht.get(encoder.encode(key), { signal: AbortSignal.timeout(20_000) })) {
    if (event.name === 'VALUE') return event.value
  }
  throw new Error(`the stock node found no record for ${key}`)
}
