/**
 * The parts of `@libp2p/kad-dht` 16 that chorus-dht reaches past the public
 * `KadDHT` interface for. They are plain instance fields of the `KadDHT`
 * class; this file is the one place that knows about them, so a kad-dht
 * upgrade that moves them breaks here (and in the tests), not silently.
 *
 * - `routingTable.kb.toIterable()` to count distinct peers, and to pick the
 *   contacts closest to a key (with the Kademlia ids the trie keeps) where a
 *   put starts;
 * - `providers` to add and read provider records locally when the routing
 *   table is empty (kad-dht's own `provide` / `findProviders` wait for a peer);
 * - `network.sendRequest` to send one RPC to one peer, in the wire format a
 *   stock node answers: GET_VALUE (`getValueFromPeer`, refusal checks),
 *   FIND_NODE and PUT_VALUE (the put, see `record-put.ts`);
 * - `routingTable.kb.verify`, the check kad-dht runs before adding a new
 *   contact (a ping, so a connection, per peer), for lazy verification:
 *   only contacts recently found unreachable are pinged before they are
 *   added again;
 * - `routingTableRefresh.refreshInterval`, the period of kad-dht's
 *   routing-table refresh (one lookup per bucket depth), which kad-dht 16
 *   does not take from its init (it is fixed at 5 minutes);
 * - `routingTable.remove` / `routingTable.find` to drop a peer found
 *   unreachable (kad-dht itself only evicts when a bucket is full);
 * - `rpc.handlers.PUT_VALUE.handle(peerId, msg)`, the inbound PUT_VALUE
 *   handler, wrapped so that the per-peer checks (rate limit, quotas,
 *   strikes) know which peer sent the record: the handler itself writes
 *   through the datastore without the peer id.
 */
import { xor as uint8ArrayXor } from 'uint8arrays/xor'
import { xorCompare as uint8ArrayXorCompare } from 'uint8arrays/xor-compare'
import type { KadDHT, MessageType, QueryEvent } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface KBucketPeer { peerId: PeerId, kadId: Uint8Array }

type VerifyFn = (contact: KBucketPeer, options?: AbortOptions) => Promise<boolean>

interface RoutingTableInternals extends EventTarget {
  size: number
  kb?: { toIterable(): Iterable<KBucketPeer>, verify?: VerifyFn }
  find?: (peer: PeerId, options?: AbortOptions) => Promise<PeerId | undefined>
  remove?: (peer: PeerId, options?: AbortOptions) => Promise<void>
}

interface ProvidersInternals {
  addProvider(cid: CID, provider: PeerId, options?: AbortOptions): Promise<void>
  getProviders(cid: CID, options?: AbortOptions): Promise<PeerId[]>
}

/** The query path of a request sent outside a kad-dht query. */
export const NO_PATH = { index: -1, queued: 0, running: 0, total: 0 }

interface NetworkInternals {
  sendRequest(to: PeerId, msg: { type: MessageType, key: Uint8Array, record?: Uint8Array }, options: AbortOptions & { path: typeof NO_PATH }): AsyncIterable<QueryEvent>
}

/** The part of an inbound kad-dht message a PUT_VALUE handler reads. */
export interface InboundPutMessage {
  key: Uint8Array
  record?: Uint8Array
}

/** An inbound PUT_VALUE handler: resolves the answer, or throws (kad-dht then resets the stream). */
export type PutValueHandle = (peerId: PeerId, msg: InboundPutMessage) => Promise<unknown>

interface RpcInternals {
  handlers?: Record<string, { handle?: PutValueHandle } | undefined>
}

/** kad-dht with the internals chorus-dht uses. */
export interface KadDHTInternals extends KadDHT {
  routingTableRefresh?: { refreshInterval?: number }
  routingTable: RoutingTableInternals
  providers: ProvidersInternals
  network: NetworkInternals
  rpc?: RpcInternals
}

/** Views a kad-dht service with its internals; throws if they are missing. */
export function kadInternals (dht: KadDHT): KadDHTInternals {
  const d = dht as Partial<KadDHTInternals>
  if (d.routingTable == null || d.providers == null || d.network == null) {
    throw new Error('unsupported @libp2p/kad-dht version: routingTable, providers or network missing')
  }
  return dht as KadDHTInternals
}

/** Sets the period of kad-dht's routing-table refresh, ms. Must run before kad-dht starts. */
export function setRoutingTableRefreshInterval (dht: KadDHTInternals, ms: number): void {
  const refresh = dht.routingTableRefresh
  if (refresh == null || typeof refresh.refreshInterval !== 'number') {
    throw new Error('unsupported @libp2p/kad-dht version: routingTableRefresh.refreshInterval missing')
  }
  refresh.refreshInterval = ms
}

/** Distinct peer ids in the routing table (its `size` can count one twice). */
export function routingTablePeers (dht: KadDHTInternals, self: string): string[] {
  const ids = new Set<string>()
  const kb = dht.routingTable.kb
  if (kb == null) {
    return []
  }
  for (const peer of kb.toIterable()) {
    ids.add(peer.peerId.toString())
  }
  // the trie holds this node too
  ids.delete(self)
  return [...ids]
}

/** The `count` routing-table contacts closest to a Kademlia id (sha2-256 of a key), closest first. */
export function closestContacts (dht: KadDHTInternals, kadId: Uint8Array, count: number): KBucketPeer[] {
  const kb = dht.routingTable.kb
  if (kb == null) {
    return []
  }
  const byDistance: Array<{ contact: KBucketPeer, distance: Uint8Array }> = []
  for (const contact of kb.toIterable()) {
    byDistance.push({ contact, distance: uint8ArrayXor(contact.kadId, kadId) })
  }
  byDistance.sort((a, b) => uint8ArrayXorCompare(a.distance, b.distance))
  return byDistance.slice(0, count).map(d => d.contact)
}

/**
 * Replaces kad-dht's check of new routing-table contacts. Stock kad-dht
 * pings every new contact, including each peer named in every query answer,
 * which costs a connection (a noise handshake) per peer and dominates the
 * CPU of joining. With this, a contact is added directly unless
 * `needsPing(peerId)` says so (a peer recently found unreachable, which
 * other peers may still name in their answers): then kad-dht's own ping
 * decides, and `onVerified` learns the outcome. Liveness is still checked
 * where kad-dht does: when a bucket is full, it pings its least recently
 * seen contacts and evicts those that do not answer.
 */
export function verifyContacts (dht: KadDHTInternals, needsPing: (peer: PeerId) => boolean, onVerified: (peer: PeerId, alive: boolean) => void): void {
  const kb = dht.routingTable.kb
  if (kb == null || typeof kb.verify !== 'function') {
    throw new Error('unsupported @libp2p/kad-dht version: routingTable.kb.verify missing')
  }
  const ping = kb.verify.bind(kb)
  kb.verify = async (contact, options) => {
    if (!needsPing(contact.peerId)) {
      return true
    }
    const alive = await ping(contact, options)
    onVerified(contact.peerId, alive)
    return alive
  }
}

/** Whether `peer` is in the routing table. */
export async function inRoutingTable (dht: KadDHTInternals, peer: PeerId): Promise<boolean> {
  const find = dht.routingTable.find
  if (typeof find !== 'function') {
    throw new Error('unsupported @libp2p/kad-dht version: routingTable.find missing')
  }
  return (await find.call(dht.routingTable, peer)) != null
}

/** Removes `peer` from the routing table (a no-op when it is not there). */
export async function removeFromRoutingTable (dht: KadDHTInternals, peer: PeerId): Promise<void> {
  const remove = dht.routingTable.remove
  if (typeof remove !== 'function') {
    throw new Error('unsupported @libp2p/kad-dht version: routingTable.remove missing')
  }
  await remove.call(dht.routingTable, peer)
}

/**
 * Wraps kad-dht's inbound PUT_VALUE handler: `wrap(peerId, msg, next)` runs
 * for every PUT_VALUE a peer sends and calls `next` to let kad-dht validate
 * and store it. Whatever `wrap` throws, kad-dht logs and answers by
 * resetting the requester's stream (the refusal a putter sees).
 */
export function wrapPutValueHandler (dht: KadDHTInternals, wrap: (peerId: PeerId, msg: InboundPutMessage, next: PutValueHandle) => Promise<unknown>): void {
  const handler = dht.rpc?.handlers?.PUT_VALUE
  if (handler == null || typeof handler.handle !== 'function') {
    throw new Error('unsupported @libp2p/kad-dht version: rpc.handlers.PUT_VALUE.handle missing')
  }
  const next = handler.handle.bind(handler) as PutValueHandle
  handler.handle = async (peerId, msg) => wrap(peerId, msg, next)
}

/**
 * Keeps `refuse`d peers out of the routing table: kad-dht checks each new
 * contact with `routingTable.kb.verify` before adding it (other peers name
 * peers in their answers), and a refused peer fails that check. Must be
 * installed after {@link verifyContacts}, so that it runs first.
 */
export function refuseContacts (dht: KadDHTInternals, refuse: (peer: PeerId) => boolean): void {
  const kb = dht.routingTable.kb
  if (kb == null || typeof kb.verify !== 'function') {
    throw new Error('unsupported @libp2p/kad-dht version: routingTable.kb.verify missing')
  }
  const verify = kb.verify.bind(kb)
  kb.verify = async (contact, options) => refuse(contact.peerId) ? false : verify(contact, options)
}
