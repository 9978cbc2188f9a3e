import { positiveInteger } from '@chorus-dht/utils'
import { InvalidParametersError } from '@chorus-dht/types'
import { DEFAULT_PROVIDER_LIMIT } from './constants.js'
import { providerKeyToCID } from './keys.js'
import { OperationSignal } from './utils.js'
import type { KadDHTInternals } from './internals.js'
import type { PeerLiveness } from './peer-liveness.js'
import type { AbortOptions, FindProvidersOptions, PeerInfo } from '@chorus-dht/types'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Narrow components of {@link ContentRouting}. */
export interface ContentRoutingComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'getMultiaddrs'>
  kad: KadDHTInternals
  liveness: PeerLiveness
}

/** Settings of {@link ContentRouting}, resolved by the node. */
export interface ContentRoutingInit {
  queryTimeout: number
}

/**
 * Provider records and closest-peer lookups (kad-dht's content-routing and
 * peer-routing seams), with string keys hashed to CIDs. The node checks it
 * is started before calling.
 */
export class ContentRouting {
  private readonly libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'getMultiaddrs'>
  private readonly peerId: string
  private readonly kad: KadDHTInternals
  private readonly liveness: PeerLiveness
  private readonly init: ContentRoutingInit
  private shutdown: AbortSignal = AbortSignal.abort()

  constructor (components: ContentRoutingComponents, init: ContentRoutingInit) {
    this.libp2p = components.libp2p
    this.peerId = components.libp2p.peerId.toString()
    this.kad = components.kad
    this.liveness = components.liveness
    this.init = init
  }

  start (shutdown: AbortSignal): void {
    this.shutdown = shutdown
  }

  async getClosestPeers (key: string, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidParametersError('key must be a non-empty string')
    }
    const limit = options.limit ?? 20
    const keyBytes = new TextEncoder().encode(key)
    const op = new OperationSignal('getClosestPeers', this.init.queryTimeout, this.shutdown, options.signal)
    const peers: string[] = []
    try {
      op.throwIfAborted()
      // kad-dht's query would wait for a first peer
      if (this.kad.routingTable.size === 0) {
        return []
      }
      const tracker = this.liveness.tracker(op.signal)
      for await (const event of this.kad.getClosestPeers(keyBytes, { signal: op.signal })) {
        tracker.observe(event)
        if (event.name === 'FINAL_PEER') {
          const id = event.peer.id.toString()
          if (id !== this.peerId && !peers.includes(id)) {
            peers.push(id)
          }
        }
      }
    } catch (err) {
      if (!(op.timedOut && !op.callerAborted)) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    return peers.slice(0, limit)
  }


  async provide (key: string, options: AbortOptions = {}): Promise<void> {
    const cid = await providerKeyToCID(key)
    await this.provideCID(cid, options)
  }

  private async provideCID (cid: CID, options: AbortOptions): Promise<void> {
    const op = new OperationSignal('provide', this.init.queryTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      // kad-dht's provide stores the record locally, then waits for a first peer
      if (this.kad.routingTable.size === 0) {
        await this.kad.providers.addProvider(cid, this.libp2p.peerId, { signal: op.signal })
        return
      }
      const tracker = this.liveness.tracker(op.signal)
      for await (const event of this.kad.provide(cid, { signal: op.signal })) {
        tracker.observe(event)
      }
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  async findProviders (key: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    const limit = positiveInteger('limit', options.limit ?? DEFAULT_PROVIDER_LIMIT)
    const cid = await providerKeyToCID(key)
    const op = new OperationSignal('findProviders', this.init.queryTimeout, this.shutdown, options.signal)
    const found = new Map<string, PeerInfo>()
    const add = (id: PeerId, addrs: Array<{ toString(): string }>): void => {
      const s = id.toString()
      if (found.has(s) || found.size >= limit) {
        return
      }
      found.set(s, {
        id: s,
        multiaddrs: s === this.peerId ? this.libp2p.getMultiaddrs().map(ma => ma.toString()) : [...new Set(addrs.map(a => a.toString()))]
      })
    }
    try {
      op.throwIfAborted()
      for (const id of await this.kad.providers.getProviders(cid, { signal: op.signal })) {
        add(id, await this.addressesOf(id))
      }
      if (found.size < limit && this.kad.routingTable.size > 0) {
        const tracker = this.liveness.tracker(op.signal)
        for await (const event of this.kad.findProviders(cid, { signal: op.signal })) {
          tracker.observe(event)
          if (event.name === 'PROVIDER') {
            for (const p of event.providers) {
              add(p.id, p.multiaddrs)
            }
            if (found.size >= limit) {
              break
            }
          }
        }
      }
    } catch (err) {
      if (!(op.timedOut && !op.callerAborted)) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    return [...found.values()]
  }

  private async addressesOf (id: PeerId): Promise<Array<{ toString(): string }>> {
    if (id.equals(this.libp2p.peerId)) {
      return this.libp2p.getMultiaddrs()
    }
    try {
      const peer = await this.libp2p.peerStore.get(id)
      return peer.addresses.map(a => a.multiaddr)
    } catch {
      return []
    }
  }
}
