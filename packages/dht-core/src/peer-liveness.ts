import { inRoutingTable, removeFromRoutingTable, verifyContacts } from './internals.js'
import { OperationSignal } from './utils.js'
import type { ChorusServices } from './index.js'
import type { KadDHTInternals } from './internals.js'
import type { Clock, Logger } from '@chorus-dht/types'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'

/** Narrow components of {@link PeerLiveness}. */
export interface PeerLivenessComponents {
  libp2p: Libp2p<ChorusServices>
  kad: KadDHTInternals
  clock: Clock
  log: Logger
}

/** Settings of {@link PeerLiveness}, resolved by the node. */
export interface PeerLivenessInit {
  /** Timeout of the one ping sent to a peer that disconnected, ms. */
  checkTimeout: number
  /** How long a peer found unreachable is pinged before it may rejoin the routing table, ms. */
  suspectTTL: number
  /** Upper bound of disconnect checks in flight; more disconnects at once are left to the next failed request. */
  maxChecks: number
  /** Ping every new contact (stock kad-dht), in which case suspects need no special treatment. */
  pingNewContacts: boolean
}

/** What a failed request to a peer means. */
export type RequestFailure = 'unreachable' | 'reset'

/**
 * Keeps kad-dht's routing table to peers that can be reached, without
 * pinging every new contact:
 *
 * - a request of a query, put, get or single-peer read that fails before
 *   its stream opens (the dial or the protocol negotiation failed) removes
 *   the peer at once;
 * - on `peer:disconnect`, a peer still in the routing table is pinged once
 *   (bounded by `checkTimeout`, cancelled on stop) and removed if it does
 *   not answer;
 * - a removed peer is a *suspect* for `suspectTTL`: other peers may still
 *   name it in their answers, so kad-dht's own ping decides before it is
 *   added again, instead of it being re-added blindly.
 */
export class PeerLiveness {
  private readonly components: PeerLivenessComponents
  private readonly init: PeerLivenessInit
  private readonly suspects = new Map<string, number>()
  private readonly checking = new Set<string>()
  private shutdown: AbortSignal = AbortSignal.abort()
  private readonly onDisconnect: (evt: CustomEvent<PeerId>) => void

  constructor (components: PeerLivenessComponents, init: PeerLivenessInit) {
    this.components = components
    this.init = init
    if (!init.pingNewContacts) {
      verifyContacts(components.kad, (peer) => this.isSuspect(peer), (peer, alive) => {
        if (alive) {
          this.suspects.delete(peer.toString())
        }
      })
    }
    this.onDisconnect = (evt) => { this.check(evt.detail) }
  }

  /** Starts watching disconnects; `shutdown` ends every check. */
  start (shutdown: AbortSignal): void {
    this.shutdown = shutdown
    this.components.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
  }

  stop (): void {
    this.components.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    this.checking.clear()
  }

  private isSuspect (peer: PeerId): boolean {
    const id = peer.toString()
    const until = this.suspects.get(id)
    if (until == null) {
      return false
    }
    if (until < this.components.clock.now()) {
      this.suspects.delete(id)
      return false
    }
    return true
  }

  /** Removes a peer that could not be reached from the routing table. Never throws. */
  async unreachable (peer: PeerId, why: string): Promise<void> {
    // kad-dht's routing table holds this node too, and its queries try to
    // dial it (InvalidPeerIdError): that is no sign of a dead peer
    if (this.shutdown.aborted || peer.equals(this.components.libp2p.peerId)) {
      return
    }
    this.suspects.set(peer.toString(), this.components.clock.now() + this.init.suspectTTL)
    try {
      if (await inRoutingTable(this.components.kad, peer)) {
        await removeFromRoutingTable(this.components.kad, peer)
        this.components.log('removed unreachable peer %s from the routing table (%s)', peer.toString(), why)
      }
    } catch (err: any) {
      this.components.log.error('could not remove %s from the routing table - %e', peer.toString(), err)
    }
  }

  /** Pings a peer that disconnected, once; removes it if it does not answer. */
  private check (peer: PeerId): void {
    const id = peer.toString()
    if (this.shutdown.aborted || this.checking.has(id) || this.checking.size >= this.init.maxChecks) {
      return
    }
    this.checking.add(id)
    const op = new OperationSignal(`liveness check of ${id}`, this.init.checkTimeout, this.shutdown)
    void (async () => {
      if (!(await inRoutingTable(this.components.kad, peer))) {
        return
      }
      try {
        await this.components.libp2p.services.ping.ping(peer, { signal: op.signal })
      } catch (err: any) {
        if (!this.shutdown.aborted) {
          await this.unreachable(peer, `no answer to a ping after it disconnected: ${String(err?.name ?? err)}`)
        }
      }
    })()
      .catch((err: any) => {
        if (!this.shutdown.aborted) {
          this.components.log.error('liveness check of %s failed - %e', id, err)
        }
      })
      .finally(() => {
        op.clear()
        this.checking.delete(id)
      })
  }

  /** A tracker of the requests of one operation, see {@link RequestTracker}. */
  tracker (signal: AbortSignal): RequestTracker {
    return new RequestTracker(this, signal)
  }
}

/**
 * Follows the events of one kad-dht operation and says what each failed
 * request means. kad-dht's `sendRequest` yields `DIAL_PEER`, then
 * `SEND_QUERY` once the stream is open and the request written, then
 * `PEER_RESPONSE` or `QUERY_ERROR`; every request to a peer within one
 * operation follows that order. So:
 *
 * - `QUERY_ERROR` before `SEND_QUERY`: the peer could not be reached (dial
 *   or protocol negotiation failed): `'unreachable'`, and the peer is
 *   removed from the routing table;
 * - `QUERY_ERROR` with `name === 'StreamResetError'` after `SEND_QUERY`:
 *   the peer read the request and reset the stream, which is what kad-dht's
 *   RPC handler does when it throws (a refused put: validator or
 *   replacement rule): `'reset'`. A connection that dies mid-request can
 *   reset the stream too, so callers confirm a reset with the peer before
 *   counting it as a refusal.
 *
 * Errors after the operation's own signal fired (an early exit, a deadline)
 * mean nothing about the peer and are ignored.
 */
export class RequestTracker {
  private readonly liveness: PeerLiveness
  private readonly signal: AbortSignal
  private readonly state = new Map<string, 'dialing' | 'sent'>()

  constructor (liveness: PeerLiveness, signal: AbortSignal) {
    this.liveness = liveness
    this.signal = signal
  }

  observe (event: QueryEvent): RequestFailure | undefined {
    switch (event.name) {
      case 'DIAL_PEER':
        this.state.set(event.peer.toString(), 'dialing')
        return undefined
      case 'SEND_QUERY':
        this.state.set(event.to.toString(), 'sent')
        return undefined
      case 'PEER_RESPONSE':
        this.state.delete(event.from.toString())
        return undefined
      case 'QUERY_ERROR': {
        const id = event.from.toString()
        const stage = this.state.get(id)
        this.state.delete(id)
        const name = (event.error as { name?: string } | undefined)?.name
        if (this.signal.aborted || name === 'AbortError' || stage == null) {
          return undefined
        }
        if (stage === 'dialing') {
          void this.liveness.unreachable(event.from, `request failed before its stream opened: ${String(name)}`)
          return 'unreachable'
        }
        return name === 'StreamResetError' ? 'reset' : undefined
      }
      default:
        return undefined
    }
  }
}
