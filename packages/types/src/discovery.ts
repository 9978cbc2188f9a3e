import type { AbortOptions } from './abort.js'
import type { PeerInfo } from './peer.js'

/** What a CHORUS agent says about itself to other peers. */
export interface AgentInfo {
  /** The agent name (a UCXL agent component). */
  agent: string
  /** The agent's role. */
  role: string
  /** Free-form capability names. */
  capabilities: string[]
}

/** A peer found by role, with what it says about itself. */
export interface RolePeer extends PeerInfo {
  agent?: string
  role?: string
  capabilities?: string[]
  /** When this node last heard from the peer, ms since the epoch. */
  lastSeen: number
}

/**
 * Role and capability discovery on top of a DHT: CHORUS's `registerPeer`,
 * `announceRole`, `announceCapability`, `findPeersByRole`. Implemented by
 * dht-core (provider records plus the `/CHORUS/peer-info/1.0.0` protocol).
 */
export interface RoleDiscovery {
  registerPeer(info: AgentInfo, options?: AbortOptions): Promise<void>
  announceRole(role: string, options?: AbortOptions): Promise<void>
  announceCapability(capability: string, options?: AbortOptions): Promise<void>
  findPeersByRole(role: string, options?: AbortOptions & { limit?: number }): Promise<RolePeer[]>
  /** Estimated number of peers in the DHT. */
  getDHTSize(): number
}
