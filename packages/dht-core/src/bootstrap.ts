import { BackendUnavailableError, InvalidParametersError } from '@chorus-dht/types'
import { multiaddr } from '@multiformats/multiaddr'
import { OperationSignal } from './utils.js'

/** The multiaddr code of `/p2p/`. */
const P2P_CODE = 421
import type { KadDHTInternals } from './internals.js'
import type { AbortOptions, Logger } from '@chorus-dht/types'
import type { Connection, Libp2p } from '@libp2p/interface'

/** Narrow components of {@link Bootstrap}. */
export interface BootstrapComponents {
  libp2p: Pick<Libp2p, 'dial' | 'getConnections'>
  /** This node's peer id. */
  peerId: string
  kad: KadDHTInternals
  log: Logger
}

/** Settings of {@link Bootstrap}, resolved by the node. */
export interface BootstrapInit {
  bootstrapPeers: string[]
  bootstrapTimeout: number
}

/** Joining the network through the configured bootstrap peers (the node runs {@link Bootstrap.rejoin} as its auto-bootstrap loop). */
export class Bootstrap {
  private readonly libp2p: Pick<Libp2p, 'dial' | 'getConnections'>
  private readonly peerId: string
  private readonly kad: KadDHTInternals
  private readonly log: Logger
  private readonly init: BootstrapInit
  private shutdown: AbortSignal = AbortSignal.abort()

  constructor (components: BootstrapComponents, init: BootstrapInit) {
    this.libp2p = components.libp2p
    this.peerId = components.peerId
    this.kad = components.kad
    this.log = components.log
    this.init = init
  }

  start (shutdown: AbortSignal): void {
    this.shutdown = shutdown
  }

  /** Dials every bootstrap peer; resolves when one answered and the routing table has a peer. */
  async bootstrap (options: AbortOptions = {}): Promise<void> {
    const addrs = this.init.bootstrapPeers.filter(addr => !addr.endsWith(`/p2p/${this.peerId}`))
    if (addrs.length === 0) {
      return
    }
    const op = new OperationSignal('bootstrap', this.init.bootstrapTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      const results = await Promise.allSettled(addrs.map(async addr => this.dialBootstrap(addr, op.signal)))
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map(r => r.reason)
      for (const reason of failures) {
        this.log('bootstrap dial failed - %s', reason?.message ?? reason)
      }
      if (failures.length === results.length) {
        op.throwIfAborted()
        const mismatch = failures.find(f => f?.name === 'InvalidParametersError')
        throw new BackendUnavailableError(`could not reach any of ${addrs.length} bootstrap peer(s)${mismatch != null ? `: ${String(mismatch.message)}` : ''}`, { cause: new AggregateError(failures) })
      }
      // kad-dht's own first self-query starts as soon as the routing table
      // has a peer and fills it with our neighbourhood; a second lookup here
      // would only double the dials of a join
      await this.waitForRoutingTable(op.signal)
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  private async dialBootstrap (addr: string, signal: AbortSignal): Promise<Connection> {
    const ma = multiaddr(addr)
    const expected = ma.getComponents().find(c => c.name === 'p2p')?.value
    // dialled without its /p2p/ id, then compared: libp2p reports an
    // unexpected peer only as a generic EncryptionFailedError (by message)
    const conn: Connection = await this.libp2p.dial(expected != null ? ma.decapsulateCode(P2P_CODE) : ma, { signal })
    if (expected != null && conn.remotePeer.toString() !== expected) {
      await conn.close().catch(() => {})
      throw new InvalidParametersError(`bootstrap address ${addr} was answered by ${conn.remotePeer.toString()}`)
    }
    return conn
  }

  private async waitForRoutingTable (signal: AbortSignal): Promise<void> {
    if (this.kad.routingTable.size > 0) {
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAdd = (): void => { cleanup(); resolve() }
      const onAbort = (): void => { cleanup(); reject(signal.reason) }
      const cleanup = (): void => {
        this.kad.routingTable.removeEventListener('peer:add', onAdd)
        signal.removeEventListener('abort', onAbort)
      }
      this.kad.routingTable.addEventListener('peer:add', onAdd)
      signal.addEventListener('abort', onAbort, { once: true })
      if (signal.aborted) onAbort()
    })
  }

  /** One run of the auto-bootstrap loop: joins again when the node has no connection. Throws what {@link bootstrap} throws. */
  async rejoin (signal: AbortSignal): Promise<void> {
    if (this.libp2p.getConnections().length === 0) {
      await this.bootstrap({ signal })
    }
  }
}
