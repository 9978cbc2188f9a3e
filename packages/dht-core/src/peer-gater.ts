import type { ConnectionGater, PeerId } from '@libp2p/interface'

type PeerCheck = (peerId: PeerId, ...rest: any[]) => boolean | Promise<boolean>

/** The gater methods that name the remote peer: where a ban is enforced. */
export const PEER_GATER_METHODS = [
  'denyDialPeer',
  'denyInboundEncryptedConnection',
  'denyOutboundEncryptedConnection',
  'denyInboundUpgradedConnection',
  'denyOutboundUpgradedConnection'
] as const

/** The other methods of libp2p's `ConnectionGater`: passed through to the configured gater. */
const OTHER_GATER_METHODS = [
  'denyDialMultiaddr',
  'denyInboundConnection',
  'denyOutboundConnection',
  'denyInboundRelayReservation',
  'denyOutboundRelayedConnection',
  'denyInboundRelayedConnection',
  'filterMultiaddrForPeer'
] as const

/** What {@link createPeerGater} needs. */
export interface PeerGaterInit {
  /** Whether connections with `peer` are refused. */
  isBanned(peer: PeerId): boolean
  /** Called once per refusal. */
  onRefused(peer: PeerId): void
  /** The gater configured by the user (`ChorusDHTInit.connectionGater`), consulted after the ban. */
  base?: ConnectionGater
}

/**
 * The connection gater handed to `createLibp2p`. libp2p keeps this object as
 * `components.connectionGater` and reads its methods at every dial and
 * upgrade. Each peer method refuses a banned peer first, then asks, in
 * order, a method assigned later (the harness's partitions assign
 * `gater.denyDialPeer = …`) and the configured gater.
 *
 * The peer methods are accessors so that code which mutates the gater keeps
 * working without dropping the ban: assigning a function makes it the added
 * check (replacing the previous one, as a plain assignment would), reading
 * returns the composed method, and assigning back a method read earlier
 * restores the added check of that time (so nested save / assign / restore
 * works as on a plain object). Deleting a method removes the ban check too:
 * do not.
 */
export function createPeerGater (init: PeerGaterInit): ConnectionGater {
  const base: Partial<Record<string, unknown>> = (init.base ?? {}) as Partial<Record<string, unknown>>
  const gater: Record<string, unknown> = {}
  for (const m of OTHER_GATER_METHODS) {
    const fn = base[m]
    if (typeof fn === 'function') {
      gater[m] = fn.bind(base)
    }
  }
  // each composed method remembers the check it was composed with, so that
  // assigning back a method read earlier restores exactly that state
  const composedWith = new WeakMap<PeerCheck, PeerCheck | undefined>()
  for (const m of PEER_GATER_METHODS) {
    const configured = typeof base[m] === 'function' ? (base[m] as PeerCheck).bind(base) : undefined
    const compose = (added: PeerCheck | undefined): PeerCheck => {
      const composed: PeerCheck = async (peerId, ...rest) => {
        if (init.isBanned(peerId)) {
          init.onRefused(peerId)
          return true
        }
        if (added != null && (await added.call(gater, peerId, ...rest)) === true) {
          return true
        }
        return configured != null && (await configured(peerId, ...rest)) === true
      }
      composedWith.set(composed, added)
      return composed
    }
    let current = compose(undefined)
    Object.defineProperty(gater, m, {
      enumerable: true,
      configurable: true,
      get: () => current,
      set: (fn: PeerCheck | undefined) => {
        if (fn != null && composedWith.has(fn)) {
          current = compose(composedWith.get(fn))
        } else {
          current = compose(typeof fn === 'function' ? fn : undefined)
        }
      }
    })
  }
  return gater as ConnectionGater
}
