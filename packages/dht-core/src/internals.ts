/**
 * The parts of `@libp2p/kad-dht` 16 that chorus-dht reaches past the public
 * `KadDHT` interface for. They are plain instance fields of the `KadDHT`
 * class; this file is the one place that knows about them, so a kad-dht
 * upgrade that moves them breaks here (and in the tests), not silently.
 *
 * - `routingTable.kb.toIterable()` to count distinct peers;
 * - `providers` to add and read provider records locally when the routing
 *   table is empty (kad-dht's own `provide` / `findProviders` wait for a peer);
 * - `network.sendRequest` to send one GET_VALUE RPC to one peer, the wire
 *   message a stock node answers (`getValueFromPeer`);
 * - `routingTable.kb.verify`, the check kad-dht runs before adding a new
 *   contact (a ping, so a connection, per peer), for lazy verification:
 *   only contacts recently found unreachable are pinged before they are
 *   added again;
 * - `routingTable.remove` / `routingTable.find` to drop a peer found
 *   unreachable (kad-dht itself only evicts when a bucket is full);
 * - `rpc.handlers.PUT_VALUE.handle(peerId, msg)`, the inbound PUT_VALUE
 *   handler, wrapped so that the per-peer checks (rate limit, quotas,
 *   strikes) know which peer sent the record: the handler itself writes
 *   through the datastore without the peer id.
 */
import type { KadDHT, MessageType, QueryEvent } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface KBucketPeer { peerId: PeerId }

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

interface NetworkInternals {
  sendRequest(to: PeerId, msg: { type: MessageType, key: Uint8Array }, options: AbortOptions & { path: { index: number, queued: number, running: number, total: number } }): AsyncIterable<QueryEvent>
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
