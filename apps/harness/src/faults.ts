import { peerIdFromString } from '@libp2p/peer-id'
import { evictFromRoutingTable, waitForRoutingTables } from '@chorus-dht/dht-core/testing'
import { until } from './util.js'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { PeerId } from '@libp2p/interface'

/**
 * The connection gater methods the partition installs. libp2p reads
 * `components.connectionGater` at each dial and upgrade, so methods set on
 * that object take effect at once.
 */
interface GaterMethods {
  denyDialPeer?(peerId: PeerId): boolean | Promise<boolean>
  denyInboundEncryptedConnection?(peerId: PeerId, ...rest: unknown[]): boolean | Promise<boolean>
  denyOutboundEncryptedConnection?(peerId: PeerId, ...rest: unknown[]): boolean | Promise<boolean>
}

const GATER_METHODS = ['denyDialPeer', 'denyInboundEncryptedConnection', 'denyOutboundEncryptedConnection'] as const

/**
 * The connection gater of a dht-core node's libp2p node. dht-core offers no
 * gater option, so this reaches into libp2p's components (not part of
 * libp2p's public interface; libp2p 3.x keeps the gater object there and
 * consults it on every dial and upgrade).
 */
function gaterOf (node: ChorusDHT): GaterMethods {
  const gater = (node.libp2p as unknown as { components?: { connectionGater?: GaterMethods } }).components?.connectionGater
  if (gater == null) throw new Error('this libp2p version exposes no components.connectionGater: cannot inject a partition')
  return gater
}

/** A network fault that can be undone. */
export interface Fault {
  /** Peer ids that cannot reach each other across the cut, per node. */
  readonly blocked: ReadonlyMap<string, ReadonlySet<string>>
  /** Removes the fault and reconnects the nodes it separated. */
  heal(options?: HealOptions): Promise<void>
}

/** Options of {@link Fault.heal}. */
export interface HealOptions {
  /** Wait until every running node has this many distinct routing-table peers again. @default 0 (no wait) */
  minRoutingTableSize?: number
  /** ms @default 60000 */
  timeout?: number
}

function connectedTo (node: ChorusDHT, peers: ReadonlySet<string>): string[] {
  return node.libp2p.getConnections().map(c => c.remotePeer.toString()).filter(id => peers.has(id))
}

/**
 * Cuts the network into groups: a node may only talk to nodes of its own
 * group. Installs a connection gater on every node that refuses dials to and
 * connections from the other groups, then closes the connections across the
 * cut and waits until none is left. Nodes keep running; only the links are cut.
 */
export async function partition (groups: ChorusDHT[][], timeout = 30_000): Promise<Fault> {
  const blocked = new Map<string, Set<string>>()
  const all = groups.flat()
  groups.forEach((group, g) => {
    const others = new Set(groups.filter((_, h) => h !== g).flat().map(n => n.peerId))
    for (const node of group) blocked.set(node.peerId, others)
  })
  return cut(all, blocked, timeout)
}

/** Cuts `node` off from every other node of `all` (its real DHT loses the network, the process stays up). */
export async function isolate (node: ChorusDHT, all: ChorusDHT[], timeout = 30_000): Promise<Fault> {
  const others = all.filter(n => n !== node)
  const blocked = new Map<string, Set<string>>()
  blocked.set(node.peerId, new Set(others.map(n => n.peerId)))
  for (const other of others) blocked.set(other.peerId, new Set([node.peerId]))
  return cut(all, blocked, timeout)
}

async function cut (all: ChorusDHT[], blocked: Map<string, Set<string>>, timeout: number): Promise<Fault> {
  const saved = new Map<ChorusDHT, Partial<GaterMethods>>()
  for (const node of all) {
    const deny = blocked.get(node.peerId)
    if (deny == null || deny.size === 0) continue
    const gater = gaterOf(node)
    saved.set(node, Object.fromEntries(GATER_METHODS.map(m => [m, gater[m]])))
    const refuse = (peerId: PeerId): boolean => deny.has(peerId.toString())
    gater.denyDialPeer = refuse
    gater.denyInboundEncryptedConnection = refuse
    gater.denyOutboundEncryptedConnection = refuse
  }
  await Promise.all(all.map(async node => {
    const deny = blocked.get(node.peerId)
    if (deny == null || !node.isStarted()) return
    await Promise.all(connectedTo(node, deny).map(async id => {
      await node.libp2p.hangUp(peerIdFromString(id)).catch(() => {})
    }))
  }))
  await until(() => all.every(n => !n.isStarted() || connectedTo(n, blocked.get(n.peerId) ?? new Set()).length === 0),
    'the connections across the cut to close', timeout)

  let healed = false
  return {
    blocked,
    async heal (options: HealOptions = {}): Promise<void> {
      if (healed) return
      healed = true
      for (const [node, methods] of saved) {
        const gater = gaterOf(node)
        for (const m of GATER_METHODS) {
          if (methods[m] == null) delete gater[m]
          else (gater as Record<string, unknown>)[m] = methods[m]
        }
      }
      const running = all.filter(n => n.isStarted())
      // every node dials the nodes it was cut from, as a network's own
      // reconnection (bootstrap, discovery) eventually would
      await Promise.all(running.map(async node => {
        const deny = blocked.get(node.peerId) ?? new Set()
        for (const other of running) {
          if (!deny.has(other.peerId) || other.peerId < node.peerId) continue
          await node.libp2p.dial(peerIdFromString(other.peerId), { signal: AbortSignal.timeout(10_000) }).catch(() => {})
        }
      }))
      if ((options.minRoutingTableSize ?? 0) > 0) {
        await waitForRoutingTables(running, options.minRoutingTableSize!, options.timeout ?? 60_000)
      }
    }
  }
}

/**
 * A failure detector pass: every running node dials each peer of its
 * routing table that it is not connected to, and removes the peers that
 * cannot be reached. js kad-dht only evicts a dead contact when its bucket
 * overflows, so in a small network stopped nodes stay in the routing tables
 * and puts keep aiming at them; a long-lived network learns the same thing
 * over time. Removes them with dht-core's `evictFromRoutingTable` (kad-dht
 * has no public API for it).
 * Resolves how many routing-table entries were removed.
 */
export async function evictUnreachable (nodes: ChorusDHT[], dialTimeout = 2_000): Promise<number> {
  let removed = 0
  await Promise.all(nodes.filter(n => n.isStarted()).map(async node => {
    const connected = new Set(node.libp2p.getConnections().map(c => c.remotePeer.toString()))
    for (const id of node.getRoutingTablePeers()) {
      if (connected.has(id)) continue
      const peer = peerIdFromString(id)
      try {
        await node.libp2p.dial(peer, { signal: AbortSignal.timeout(dialTimeout) })
      } catch {
        await evictFromRoutingTable(node, id)
        removed++
      }
    }
  }))
  return removed
}
