import { InvalidParametersError } from '@chorus-dht/types'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CAPABILITY_PROVIDER_PREFIX, MAX_DISCOVERY_REFRESHES, PEER_INFO_PROTOCOL, PEER_PROVIDER_KEY, ROLE_PROVIDER_PREFIX } from './constants.js'
import { readPeerInfo, writePeerInfo } from './peer-info.js'
import { OperationSignal } from './utils.js'
import type { ContentRouting } from './content-routing.js'
import type { AbortOptions, AgentInfo, Clock, Logger, PeerInfo, RolePeer } from '@chorus-dht/types'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** Narrow components of {@link RoleDiscovery}. */
export interface RoleDiscoveryComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'dialProtocol' | 'handle' | 'unhandle' | 'addEventListener' | 'removeEventListener'>
  /** Provider records: roles and capabilities are announced and found through them. */
  routing: Pick<ContentRouting, 'provide' | 'findProviders'>
  clock: Clock
  log: Logger
}

/** Settings of {@link RoleDiscovery}, resolved by the node. */
export interface RoleDiscoveryInit {
  agent: AgentInfo
  discoveryInterval: number
  peerTTL: number
  peerRequestTimeout: number
  queryTimeout: number
}

/**
 * Roles and discovery: this node's agent info (answered over the peer-info
 * protocol), its role and capability announcements (provider records), and
 * the peers it learnt (discovery rounds, `findPeersByRole`). The node checks
 * it is started before calling.
 */
export class RoleDiscovery {
  private readonly libp2p: RoleDiscoveryComponents['libp2p']
  private readonly routing: RoleDiscoveryComponents['routing']
  private readonly clock: Clock
  private readonly log: Logger
  private readonly init: RoleDiscoveryInit
  private readonly peerId: string
  private readonly knownPeers = new Map<string, RolePeer>()
  private agentInfo: AgentInfo
  private shutdown: AbortSignal = AbortSignal.abort()
  private readonly onIdentify: (evt: CustomEvent<{ peerId: PeerId }>) => void

  constructor (components: RoleDiscoveryComponents, init: RoleDiscoveryInit) {
    this.libp2p = components.libp2p
    this.routing = components.routing
    this.clock = components.clock
    this.log = components.log
    this.init = init
    this.peerId = components.libp2p.peerId.toString()
    this.agentInfo = { ...init.agent, capabilities: [...init.agent.capabilities] }
    this.onIdentify = (evt) => {
      const known = this.knownPeers.get(evt.detail.peerId.toString())
      if (known != null) {
        known.lastSeen = this.clock.now()
      }
    }
  }

  /** Answers peer-info requests and follows identify; `shutdown` ends every request. */
  async start (shutdown: AbortSignal): Promise<void> {
    this.shutdown = shutdown
    await this.libp2p.handle(PEER_INFO_PROTOCOL, (stream) => { this.answerPeerInfo(stream) })
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
  }

  async stop (): Promise<void> {
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    await this.libp2p.unhandle(PEER_INFO_PROTOCOL).catch(() => {})
  }

  getAgentInfo (): AgentInfo {
    return { ...this.agentInfo, capabilities: [...this.agentInfo.capabilities] }
  }

  getDiscoveredPeers (): RolePeer[] {
    return [...this.knownPeers.values()].map(p => ({ ...p, multiaddrs: [...p.multiaddrs], capabilities: [...(p.capabilities ?? [])] }))
  }

  /** Ids of the peers learnt through discovery or peer-info. */
  knownPeerIds (): string[] {
    return [...this.knownPeers.keys()]
  }

  async registerPeer (info: AgentInfo, options: AbortOptions = {}): Promise<void> {
    if (info == null || typeof info.agent !== 'string' || typeof info.role !== 'string' || !Array.isArray(info.capabilities)) {
      throw new InvalidParametersError('registerPeer needs { agent: string, role: string, capabilities: string[] }')
    }
    this.agentInfo = { agent: info.agent, role: info.role, capabilities: [...info.capabilities] }
    const keys = [PEER_PROVIDER_KEY]
    if (info.role !== '') {
      keys.push(`${ROLE_PROVIDER_PREFIX}${info.role}`)
    }
    for (const cap of info.capabilities) {
      keys.push(`${CAPABILITY_PROVIDER_PREFIX}${cap}`)
    }
    await Promise.all(keys.map(async k => { await this.routing.provide(k, options) }))
  }

  async announceRole (role: string, options: AbortOptions = {}): Promise<void> {
    if (typeof role !== 'string' || role === '') {
      throw new InvalidParametersError('role must be a non-empty string')
    }
    this.agentInfo.role = role
    await this.routing.provide(`${ROLE_PROVIDER_PREFIX}${role}`, options)
  }

  async announceCapability (capability: string, options: AbortOptions = {}): Promise<void> {
    if (typeof capability !== 'string' || capability === '') {
      throw new InvalidParametersError('capability must be a non-empty string')
    }
    if (!this.agentInfo.capabilities.includes(capability)) {
      this.agentInfo.capabilities.push(capability)
    }
    await this.routing.provide(`${CAPABILITY_PROVIDER_PREFIX}${capability}`, options)
  }

  async findPeersByRole (role: string, options: AbortOptions & { limit?: number } = {}): Promise<RolePeer[]> {
    if (typeof role !== 'string' || role === '') {
      throw new InvalidParametersError('role must be a non-empty string')
    }
    const op = new OperationSignal('findPeersByRole', this.init.queryTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      const providers = await this.routing.findProviders(`${ROLE_PROVIDER_PREFIX}${role}`, { signal: op.signal, limit: options.limit })
      return await Promise.all(providers.map(async (p): Promise<RolePeer> => {
        if (p.id === this.peerId) {
          return { ...p, ...this.getAgentInfo(), lastSeen: this.clock.now() }
        }
        const known = await this.refreshPeerInfo(p, op.signal)
        return known ?? { ...p, role, lastSeen: this.knownPeers.get(p.id)?.lastSeen ?? 0 }
      }))
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  /** Asks a peer for its agent info; records it as seen. Undefined when it does not answer. */
  private async refreshPeerInfo (peer: PeerInfo, signal: AbortSignal): Promise<RolePeer | undefined> {
    const op = new OperationSignal('peer-info', this.init.peerRequestTimeout, this.shutdown, signal)
    let stream: Stream | undefined
    try {
      op.throwIfAborted()
      const id = peerIdFromString(peer.id)
      const addrs = peer.multiaddrs.map(a => multiaddr(a))
      if (addrs.length > 0) {
        await this.libp2p.peerStore.merge(id, { multiaddrs: addrs }).catch(() => {})
      }
      this.log.trace('%s peer-info dial %s', this.peerId.slice(-6), peer.id)
      stream = await this.libp2p.dialProtocol(id, PEER_INFO_PROTOCOL, { signal: op.signal })
      const info = await readPeerInfo(stream, { signal: op.signal })
      this.log.trace('%s peer-info read %s', this.peerId.slice(-6), peer.id)
      const rolePeer: RolePeer = { ...peer, ...info, lastSeen: this.clock.now() }
      this.knownPeers.set(peer.id, rolePeer)
      return rolePeer
    } catch (err: any) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      this.log('peer-info from %s failed - %e', peer.id, err)
      return undefined
    } finally {
      op.clear()
    }
  }

  private answerPeerInfo (stream: Stream): void {
    const op = new OperationSignal('peer-info answer', this.init.peerRequestTimeout, this.shutdown)
    writePeerInfo(stream, this.agentInfo, { signal: op.signal })
      .catch((err: any) => {
        this.log('answering peer-info failed - %e', err)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      })
      .finally(() => { op.clear() })
  }

  /**
   * One discovery round: providers of `CHORUS:peer` not seen for an
   * interval are asked who they are (at most MAX_DISCOVERY_REFRESHES a
   * round, the stalest first), so that a round costs the same whatever the
   * size of the network.
   */
  async discover (signal: AbortSignal): Promise<void> {
    const providers = await this.routing.findProviders(PEER_PROVIDER_KEY, { signal, limit: 100 })
    const stale = this.clock.now() - this.init.discoveryInterval
    const due = providers
      .filter(p => p.id !== this.peerId && (this.knownPeers.get(p.id)?.lastSeen ?? 0) < stale)
      .sort((a, b) => (this.knownPeers.get(a.id)?.lastSeen ?? 0) - (this.knownPeers.get(b.id)?.lastSeen ?? 0))
      .slice(0, MAX_DISCOVERY_REFRESHES)
    this.log.trace('%s discovery found %d providers, asks %d', this.peerId.slice(-6), providers.length, due.length)
    for (const p of due) {
      if (signal.aborted) {
        return
      }
      await this.refreshPeerInfo(p, signal)
    }
  }

  /** Drops discovered peers unseen for longer than `peerTTL`. */
  cleanupPeers (): void {
    const cutoff = this.clock.now() - this.init.peerTTL
    for (const [id, peer] of this.knownPeers) {
      if (peer.lastSeen < cutoff) {
        this.knownPeers.delete(id)
      }
    }
  }
}
