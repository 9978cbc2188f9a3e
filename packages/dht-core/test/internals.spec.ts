// The reaches into kad-dht's internals (src/internals.ts), each on a
// stand-in with exactly the part it reaches for: what it does with the part,
// and the named error when a kad-dht version lacks it (so an upgrade that
// moves a part fails loudly at start instead of silently doing nothing).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  closestContacts,
  inRoutingTable,
  kadInternals,
  refuseContacts,
  removeFromRoutingTable,
  routingTablePeers,
  setRoutingTableRefreshInterval,
  verifyContacts,
  wrapPutValueHandler
} from '../src/internals.js'
import type { PeerId } from '@libp2p/interface'

const unsupported = (what: string): unknown => expect.objectContaining({ message: `unsupported @libp2p/kad-dht version: ${what}` })

let ids: PeerId[]
let kadIds: Uint8Array[]
beforeAll(async () => {
  ids = await Promise.all(Array.from({ length: 5 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  kadIds = await Promise.all(ids.map(async id => (await sha256.digest(id.toMultihash().bytes)).digest))
})

describe('kad-dht internals', () => {
  it('kadInternals needs the routing table, the providers and the network', () => {
    const full = { routingTable: {}, providers: {}, network: {} }
    expect(kadInternals(full as any)).toBe(full)
    for (const missing of ['routingTable', 'providers', 'network']) {
      const partial: Record<string, unknown> = { ...full }
      delete partial[missing]
      expect(() => kadInternals(partial as any), missing).toThrow(unsupported('routingTable, providers or network missing'))
    }
  })

  it('setRoutingTableRefreshInterval sets the period, or names what is missing', () => {
    const dht = { routingTableRefresh: { refreshInterval: 1 } }
    setRoutingTableRefreshInterval(dht as any, 42)
    expect(dht.routingTableRefresh.refreshInterval).toBe(42)
    for (const bad of [{}, { routingTableRefresh: {} }, { routingTableRefresh: { refreshInterval: '1' } }]) {
      expect(() => { setRoutingTableRefreshInterval(bad as any, 1) }).toThrow(unsupported('routingTableRefresh.refreshInterval missing'))
    }
  })

  it('lists the distinct routing-table peers but this node, and the contacts closest to an id, closest first', () => {
    const contacts = [0, 1, 2, 1, 3].map(i => ({ peerId: ids[i], kadId: kadIds[i] }))
    const dht = { routingTable: { kb: { toIterable: () => contacts } } }
    expect(routingTablePeers(dht as any, ids[3].toString()).sort()).toEqual([0, 1, 2].map(i => ids[i].toString()).sort())
    expect(routingTablePeers({ routingTable: {} } as any, 'x')).toEqual([])
    expect(closestContacts({ routingTable: {} } as any, kadIds[0], 3)).toEqual([])
    // the closest to peer 2's own id is peer 2, at distance 0
    const closest = closestContacts(dht as any, kadIds[2], 2)
    expect(closest).toHaveLength(2)
    expect(closest[0].peerId).toBe(ids[2])
    const all = closestContacts(dht as any, kadIds[4], 10)
    expect(all).toHaveLength(contacts.length)
    const distance = (k: Uint8Array): bigint => BigInt(`0x${Buffer.from(k.map((b, i) => b ^ kadIds[4][i])).toString('hex')}`)
    for (let i = 1; i < all.length; i++) expect(distance(all[i - 1].kadId) <= distance(all[i].kadId)).toBe(true)
  })

  it('verifyContacts adds a contact without a ping unless it needs one, and reports the ping\'s outcome', async () => {
    const pinged: string[] = []
    const kb = { verify: async (contact: { peerId: PeerId }) => { pinged.push(contact.peerId.toString()); return contact.peerId.equals(ids[1]) } }
    const verified: Array<[string, boolean]> = []
    verifyContacts({ routingTable: { kb } } as any, peer => !peer.equals(ids[0]), (peer, alive) => { verified.push([peer.toString(), alive]) })
    expect(await kb.verify({ peerId: ids[0] })).toBe(true)
    expect(await kb.verify({ peerId: ids[1] })).toBe(true)
    expect(await kb.verify({ peerId: ids[2] })).toBe(false)
    expect(pinged).toEqual([ids[1].toString(), ids[2].toString()])
    expect(verified).toEqual([[ids[1].toString(), true], [ids[2].toString(), false]])
    for (const bad of [{ routingTable: {} }, { routingTable: { kb: {} } }]) {
      expect(() => { verifyContacts(bad as any, () => false, () => {}) }).toThrow(unsupported('routingTable.kb.verify missing'))
      expect(() => { refuseContacts(bad as any, () => false) }).toThrow(unsupported('routingTable.kb.verify missing'))
    }
  })

  it('refuseContacts fails the check of a refused peer, and leaves the others to the check before it', async () => {
    const kb = { verify: async (contact: { peerId: PeerId }) => !contact.peerId.equals(ids[2]) }
    refuseContacts({ routingTable: { kb } } as any, peer => peer.equals(ids[0]))
    expect(await kb.verify({ peerId: ids[0] })).toBe(false)
    expect(await kb.verify({ peerId: ids[1] })).toBe(true)
    expect(await kb.verify({ peerId: ids[2] })).toBe(false)
  })

  it('finds and removes a peer through the routing table, called on the table', async () => {
    const held = new Set([ids[0].toString()])
    const routingTable = {
      held,
      async find (this: { held: Set<string> }, peer: PeerId) { return this.held.has(peer.toString()) ? peer : undefined },
      async remove (this: { held: Set<string> }, peer: PeerId) { this.held.delete(peer.toString()) }
    }
    const dht = { routingTable } as any
    expect(await inRoutingTable(dht, ids[0])).toBe(true)
    expect(await inRoutingTable(dht, ids[1])).toBe(false)
    await removeFromRoutingTable(dht, ids[0])
    expect(await inRoutingTable(dht, ids[0])).toBe(false)
    await expect(inRoutingTable({ routingTable: {} } as any, ids[0])).rejects.toThrow(unsupported('routingTable.find missing'))
    await expect(removeFromRoutingTable({ routingTable: {} } as any, ids[0])).rejects.toThrow(unsupported('routingTable.remove missing'))
  })

  it('wrapPutValueHandler runs the wrapper around kad-dht\'s handler, which it may call or not', async () => {
    const stored: string[] = []
    const handler = { name: 'put', async handle (this: { name: string }, peer: PeerId, msg: { key: Uint8Array }) { stored.push(`${this.name}:${peer.toString()}:${msg.key.length}`); return msg } }
    const dht = { rpc: { handlers: { PUT_VALUE: handler } } } as any
    wrapPutValueHandler(dht, async (peer, msg, next) => {
      if (peer.equals(ids[1])) throw new Error('refused')
      return next(peer, msg)
    })
    const msg = { key: new Uint8Array(3) }
    expect(await handler.handle(ids[0], msg)).toBe(msg)
    await expect(handler.handle(ids[1], msg)).rejects.toThrow('refused')
    expect(stored).toEqual([`put:${ids[0].toString()}:3`])
    for (const bad of [{}, { rpc: {} }, { rpc: { handlers: {} } }, { rpc: { handlers: { PUT_VALUE: {} } } }]) {
      expect(() => { wrapPutValueHandler(bad as any, async () => {}) }).toThrow(unsupported('rpc.handlers.PUT_VALUE.handle missing'))
    }
  })
})
