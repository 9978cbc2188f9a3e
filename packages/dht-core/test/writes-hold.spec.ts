// The chorus-dht side is imported first: it also installs the Node 20 shim libp2p needs.
import { createChorusDHT } from '../src/index.js'
import { createTestNetwork, TEST_NODE_DEFAULTS } from '../src/testing.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { stockNode } from './fixtures/stock-node.js'
import { afterEach, describe, expect, it } from 'vitest'
import { bytes, policy, waitFor } from './fixtures.js'
import type { ChorusDHT, ChorusDHTInit } from '../src/index.js'
import type { TestNetwork } from '../src/testing.js'
import type { Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** Keys under /CHORUS/immutable/ keep their first record, whatever the selector says. */
const immutable: Pick<ChorusDHTInit, 'replacers'> = {
  replacers: { CHORUS: (key) => !key.startsWith('/CHORUS/immutable/') }
}

/** Kills a node as SIGKILL would: its connections break without a goodbye, then it is gone. */
async function kill (node: ChorusDHT): Promise<void> {
  for (const conn of node.libp2p.getConnections()) {
    conn.abort(new Error('killed'))
  }
  await node.stop()
}

describe('writes that hold', () => {
  const networks: TestNetwork[] = []
  const nodes: ChorusDHT[] = []
  const stocks: Array<Libp2p<{ dht: KadDHT }>> = []

  afterEach(async () => {
    await Promise.all([
      ...networks.splice(0).map(async net => { await net.stop() }),
      ...nodes.splice(0).map(async node => { await node.stop() }),
      ...stocks.splice(0).map(async node => { await node.stop() })
    ])
  })

  const network = async (n: number, init: ChorusDHTInit, nodeInit?: (i: number) => ChorusDHTInit): Promise<ChorusDHT[]> => {
    const net = await createTestNetwork(n, init, { nodeInit })
    networks.push(net)
    return net.nodes
  }

  it('a peer whose replacer refuses keeps its record and the putter counts it as refused', async () => {
    const [first, second] = await network(2, { ...policy, ...immutable })
    const key = '/CHORUS/immutable/v1'
    const claimed = await first.putValue(key, bytes(1))
    expect(claimed).toMatchObject({ remotePeers: 1, refusedPeers: 0 })

    // a node that joins later and does not hold the key
    const late = await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...policy, ...immutable, bootstrapPeers: first.getMultiaddrs() })
    nodes.push(late)
    await late.bootstrap()
    await waitFor(() => late.getRoutingTablePeers().length === 2, 20_000, 'the late node to learn both peers')
    expect(await late.getValueFromPeer(late.peerId, key)).toBeUndefined()

    // the selector prefers 9, but the replacers keep the first claim
    const result = await late.putValue(key, bytes(9))
    expect(result.remotePeers).toBe(0)
    expect(result.peers).toEqual([])
    expect(result.refusedPeers).toBe(2)
    expect(await late.getValueFromPeer(first.peerId, key)).toEqual(bytes(1))
    expect(await late.getValueFromPeer(second.peerId, key)).toEqual(bytes(1))
    // refusals are not unreachability: both peers are still in the routing table
    expect(late.getRoutingTablePeers().sort()).toEqual([first.peerId, second.peerId].sort())

    // a mutable key under the same replacer is replaced as the selector says
    await first.putValue('/CHORUS/head', bytes(1))
    const newer = await late.putValue('/CHORUS/head', bytes(2))
    expect(newer).toMatchObject({ remotePeers: 2, refusedPeers: 0 })
    expect(await first.getValueFromPeer(second.peerId, '/CHORUS/head')).toEqual(bytes(2))
    expect(await first.getValueFromPeer(first.peerId, '/CHORUS/head')).toEqual(bytes(2))
  })

  it('a local refusal throws RecordConflictError and sends nothing', async () => {
    // only the writer has the refusing replacer: its peer would accept the record if it were sent
    const [writer, peer] = await network(2, policy, (i) => i === 0 ? immutable : {})
    const key = '/CHORUS/immutable/v2'
    expect((await writer.putValue(key, bytes(1))).peers).toEqual([peer.peerId])

    const err = await writer.putValue(key, bytes(9)).catch(e => e)
    expect(err).toHaveProperty('name', 'RecordConflictError')
    expect(await writer.getValueFromPeer(writer.peerId, key)).toEqual(bytes(1))
    expect(await writer.getValueFromPeer(peer.peerId, key)).toEqual(bytes(1))
    // the same bytes again are a re-put, not a conflict
    expect((await writer.putValue(key, bytes(1))).peers).toEqual([peer.peerId])
  })

  it('a stock kad-dht node cannot roll honest nodes back to an older record', async () => {
    const honest = await network(3, policy)
    const key = '/CHORUS/head-of-address'
    const newer = await honest[0].putValue(key, bytes(9))
    expect(newer.remotePeers).toBe(2)

    // no chorus code: stock kad-dht, its own lax policy, the CHORUS protocol id
    const stock = await stockNode()
    stocks.push(stock)
    for (const node of honest) {
      await stock.dial(multiaddr(node.getMultiaddrs()[0]))
    }
    const stockTable = (stock.services.dht as unknown as { routingTable: { size: number } }).routingTable
    await waitFor(() => stockTable.size >= 3, 20_000, 'stock routing table')

    const sentTo = new Set<string>()
    for await (const event of stock.services.dht.put(new TextEncoder().encode(key), bytes(2), { signal: AbortSignal.timeout(20_000) })) {
      if (event.name === 'SEND_QUERY' && event.messageName === 'PUT_VALUE') {
        sentTo.add(event.to.toString())
      }
    }
    // the older record did reach every honest node
    expect([...sentTo].sort()).toEqual(honest.map(n => n.peerId).sort())

    for (const node of honest) {
      expect(await node.getValueFromPeer(node.peerId, key)).toEqual(bytes(9))
      for (const other of honest) {
        expect(await other.getValueFromPeer(node.peerId, key)).toEqual(bytes(9))
      }
      expect(await node.getValue(key, { quorum: 3, remoteOnly: true })).toEqual(bytes(9))
    }
  })

  it('peers that die leave the routing table and a put reaches the live peer', async () => {
    const all = await network(5, policy)
    const [a, b, ...joiners] = all
    expect(a.getStats().totalPeers).toBe(4)
    expect(b.getStats().totalPeers).toBe(4)
    await Promise.all(joiners.map(kill))

    await waitFor(() => a.getStats().totalPeers === 1 && b.getStats().totalPeers === 1, 15_000, 'dead peers to leave the routing tables')
    expect(a.getRoutingTablePeers()).toEqual([b.peerId])
    expect(b.getRoutingTablePeers()).toEqual([a.peerId])
    const result = await a.putValue('/CHORUS/after-the-crash', bytes(3))
    expect(result.peers).toEqual([b.peerId])
    expect(await b.getValueFromPeer(b.peerId, '/CHORUS/after-the-crash')).toEqual(bytes(3))
  })

  it('a peer that cannot be dialled during a query leaves the routing table', async () => {
    const [a, b] = await network(2, policy)
    // a peer a never connected to (so no disconnect will tell a it died), known from its address only
    const ghost = await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...policy })
    const ghostAddr = ghost.getMultiaddrs()[0]
    const ghostId = peerIdFromString(ghost.peerId)
    await ghost.stop()
    await a.libp2p.peerStore.merge(ghostId, { multiaddrs: [multiaddr(ghostAddr)] })
    await (a.libp2p.services.dht as unknown as { routingTable: { add(id: unknown): Promise<void> } }).routingTable.add(ghostId)
    expect(a.getRoutingTablePeers()).toContain(ghost.peerId)

    const result = await a.putValue('/CHORUS/ghost-town', bytes(4))
    expect(result.peers).toEqual([b.peerId])
    expect(result.refusedPeers).toBe(0)
    await waitFor(() => !a.getRoutingTablePeers().includes(ghost.peerId), 10_000, 'the unreachable peer to be removed')
    expect(a.getStats().totalPeers).toBe(1)
  })

  it('removeLocal removes the local copy only when it is exactly the given value', async () => {
    const [a, b] = await network(2, policy)
    const key = '/CHORUS/withdrawn'
    await a.putValue(key, bytes(5))
    const keys = a.getStats().totalKeys

    expect(await a.removeLocal(key, bytes(6))).toBe(false)
    expect(await a.getValueFromPeer(a.peerId, key)).toEqual(bytes(5))
    expect(await a.removeLocal(key, bytes(5))).toBe(true)
    expect(await a.getValueFromPeer(a.peerId, key)).toBeUndefined()
    expect(a.getStats().totalKeys).toBe(keys - 1)
    expect(await a.removeLocal(key, bytes(5))).toBe(false)
    expect(await a.removeLocal('/CHORUS/never', bytes(5))).toBe(false)
    // remote copies are not touched
    expect(await a.getValueFromPeer(b.peerId, key)).toEqual(bytes(5))
    await expect(a.removeLocal('no-namespace', bytes(5))).rejects.toHaveProperty('name', 'InvalidParametersError')
  })
})
