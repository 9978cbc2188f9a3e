import { RateLimiter } from '@libp2p/utils'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { RECORD_DATASTORE_PREFIX } from './constants.js'
import { PeerBannedError } from './errors.js'
import { refuseContacts, removeFromRoutingTable, wrapPutValueHandler } from './internals.js'
import { createPeerGater } from './peer-gater.js'
import { PeerQuotas } from './peer-quotas.js'
import type { AbuseStats, ChorusServices, RejectReason } from './index.js'
import type { InboundPutMessage, KadDHTInternals, PutValueHandle } from './internals.js'
import type { RecordWrites } from './record-guard.js'
import type { Logger } from '@chorus-dht/types'
import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'

/** Limits of {@link AbuseGuard}, resolved by the node. `Infinity` turns a limit off. */
export interface AbuseGuardInit {
  inboundPutRate: number
  inboundPutBurst: number
  maxRecordsPerPeer: number
  maxBytesPerPeer: number
  maxPeerStrikes: number
  /** ms */
  strikeWindow: number
  /** ms */
  banDuration: number
  /** The user's connection gater, consulted after the ban. */
  connectionGater?: ConnectionGater
  log: Logger
}

/** The inbound PUT_VALUE being handled, seen by the datastore wrapper. */
interface InboundWrite {
  peer: string
  /** The record passed kad-dht's validation and reached the datastore. */
  reached: boolean
}

/**
 * What peers may make this node do, and what happens to those that push
 * past it. Every PUT_VALUE a peer sends passes {@link handlePut}:
 *
 * - a per-peer rate limit (`RateLimiter` of `@libp2p/utils`: at most
 *   `inboundPutBurst` records per fixed window of burst / rate seconds);
 * - per-peer quotas of records and bytes held ({@link PeerQuotas}), checked
 *   in the datastore write itself, which finds the writer among the
 *   inbound PUT_VALUEs being handled for that datastore key;
 * - strikes: each invalid record (kad-dht's validation failed) is one;
 *   rate-limit and quota refusals are one per rate window and reason, so
 *   an honest burst costs a strike, not fifty. `maxPeerStrikes` strikes
 *   within `strikeWindow` ban the peer for `banDuration`: it is hung up on,
 *   dropped from the routing table and refused by the connection gater.
 *
 * A guard refusal (`RecordConflictError`: we hold a record our rule keeps)
 * is counted but is no strike: honest peers send older records all the
 * time. Nothing is counted on the putting side: a peer refusing our record
 * is never held against it.
 */
export class AbuseGuard implements RecordWrites {
  readonly gater: ConnectionGater
  private readonly init: AbuseGuardInit
  private readonly log: Logger
  private readonly quotas: PeerQuotas
  private readonly puts?: RateLimiter
  private readonly oncePerWindow: RateLimiter
  private readonly strikes?: RateLimiter
  private readonly bans = new Map<string, ReturnType<typeof setTimeout> | undefined>()
  /**
   * Inbound PUT_VALUEs being handled, by datastore key. Not an
   * `AsyncLocalStorage`: on Node 20 one in use turns on promise hooks for
   * the whole process, and a profile of 100 nodes showed `_propagate`
   * taking a third of all CPU time (`bench/profile-idle.mjs`).
   */
  private readonly writes = new Map<string, InboundWrite[]>()
  private readonly rejected: Record<RejectReason, number> = { invalid: 0, 'rate-limited': 0, quota: 0, conflict: 0, banned: 0 }
  private accepted = 0
  private struck = 0
  private banned = 0
  private gaterRefusals = 0
  private libp2p?: Libp2p<ChorusServices>
  private kad?: KadDHTInternals

  constructor (init: AbuseGuardInit) {
    this.init = init
    this.log = init.log
    this.quotas = new PeerQuotas({ maxRecords: init.maxRecordsPerPeer, maxBytes: init.maxBytesPerPeer })
    const window = Number.isFinite(init.inboundPutRate) ? init.inboundPutBurst / init.inboundPutRate : 1
    if (Number.isFinite(init.inboundPutRate)) {
      this.puts = new RateLimiter({ points: init.inboundPutBurst, duration: window, keyPrefix: 'put' })
    }
    this.oncePerWindow = new RateLimiter({ points: 1, duration: window, keyPrefix: 'strike-once' })
    if (Number.isFinite(init.maxPeerStrikes)) {
      this.strikes = new RateLimiter({ points: init.maxPeerStrikes, duration: init.strikeWindow / 1000, keyPrefix: 'strikes' })
    }
    this.gater = createPeerGater({
      isBanned: (peer) => this.bans.has(peer.toString()),
      onRefused: (peer) => {
        this.gaterRefusals++
        this.log.trace('connection gater refused banned peer %p', peer)
      },
      base: init.connectionGater
    })
  }

  /**
   * Hooks into kad-dht's PUT_VALUE handler and its check of new routing-table
   * contacts (banned peers fail it); once, when the node is built, after
   * the node's own contact check is installed.
   */
  attach (libp2p: Libp2p<ChorusServices>, kad: KadDHTInternals): void {
    this.libp2p = libp2p
    this.kad = kad
    wrapPutValueHandler(kad, async (peerId, msg, next) => this.handlePut(peerId, msg, next))
    refuseContacts(kad, (peer) => this.bans.has(peer.toString()))
  }

  /** Ends every ban and forgets rates and strikes (their timers with them); quotas stay, the records do too. */
  stop (): void {
    for (const timer of this.bans.values()) {
      clearTimeout(timer)
    }
    this.bans.clear()
    for (const limiter of [this.puts, this.oncePerWindow, this.strikes]) {
      if (limiter == null) continue
      for (const key of [...limiter.memoryStorage.storage.keys()]) {
        limiter.memoryStorage.delete(key)
      }
    }
  }

  isBanned (peer: string): boolean {
    return this.bans.has(peer)
  }

  stats (): AbuseStats {
    return {
      accepted: this.accepted,
      rejected: { ...this.rejected },
      quotaHits: { ...this.quotas.hits },
      strikes: this.struck,
      bans: this.banned,
      gaterRefusals: this.gaterRefusals,
      bannedPeers: [...this.bans.keys()],
      peersHoldingRecords: this.quotas.peers
    }
  }

  /** What `peer`'s PUTs make this node hold. */
  usageOf (peer: string): { records: number, bytes: number } {
    return this.quotas.usageOf(peer)
  }

  // ---------------------------------------------------------------- RecordWrites (the datastore wrapper)

  claim (dsKey: string, bytes: number): () => void {
    // the first inbound write of the key not yet at the datastore; a local
    // write racing an inbound one for the same key may be charged to that
    // peer (a record of the key it sent anyway)
    const write = this.writes.get(dsKey)?.find(w => !w.reached)
    if (write != null) {
      write.reached = true
    }
    return this.quotas.claim(write?.peer, dsKey, bytes)
  }

  release (dsKey: string): void {
    this.quotas.release(dsKey)
  }

  // ---------------------------------------------------------------- inbound PUT_VALUE

  private async handlePut (peerId: PeerId, msg: InboundPutMessage, next: PutValueHandle): Promise<unknown> {
    const peer = peerId.toString()
    if (this.bans.has(peer)) {
      this.rejected.banned++
      throw new PeerBannedError(`peer ${peer} is banned`)
    }
    try {
      this.puts?.consume(peer)
    } catch (err: any) {
      if (err?.name !== 'RateLimitError') throw err
      this.refuse(peerId, 'rate-limited', err)
      throw err
    }
    const write: InboundWrite = { peer, reached: false }
    const dsKey = `${RECORD_DATASTORE_PREFIX}/${uint8ArrayToString(msg.key, 'base32')}`
    const pending = this.writes.get(dsKey) ?? []
    pending.push(write)
    this.writes.set(dsKey, pending)
    try {
      const answer = await next(peerId, msg)
      this.accepted++
      return answer
    } catch (err: any) {
      const reason: RejectReason | undefined = err?.name === 'QuotaExceededError'
        ? 'quota'
        : err?.name === 'RecordConflictError'
          ? 'conflict'
          // thrown before the datastore: no record, or one kad-dht's validation refused;
          // after it, the datastore failed, which is not the peer's doing
          : write.reached ? undefined : 'invalid'
      if (reason != null) {
        this.refuse(peerId, reason, err)
      }
      throw err
    } finally {
      pending.splice(pending.indexOf(write), 1)
      if (pending.length === 0 && this.writes.get(dsKey) === pending) this.writes.delete(dsKey)
    }
  }

  private refuse (peerId: PeerId, reason: RejectReason, err: Error): void {
    const peer = peerId.toString()
    this.rejected[reason]++
    this.log('refused a record from %p (%s) - %e', peerId, reason, err)
    if (reason === 'conflict') {
      return
    }
    if (reason === 'rate-limited' || reason === 'quota') {
      try {
        this.oncePerWindow.consume(`${peer}:${reason}`)
      } catch {
        // this peer was already struck for this in the current window
        return
      }
    }
    this.strike(peerId)
  }

  private strike (peerId: PeerId): void {
    this.struck++
    if (this.strikes == null) {
      return
    }
    const peer = peerId.toString()
    const { consumedPoints } = this.strikes.penalty(peer)
    if (consumedPoints >= this.init.maxPeerStrikes) {
      this.strikes.delete(peer)
      this.ban(peerId)
    }
  }

  private ban (peerId: PeerId): void {
    const peer = peerId.toString()
    if (this.bans.has(peer)) {
      return
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    if (Number.isFinite(this.init.banDuration)) {
      timer = setTimeout(() => {
        this.bans.delete(peer)
        this.log('the ban of %s ended', peer)
      }, this.init.banDuration)
      timer.unref?.()
    }
    this.bans.set(peer, timer)
    this.banned++
    this.log('banned %s for %d ms after %d strikes', peer, this.init.banDuration, this.init.maxPeerStrikes)
    this.libp2p?.hangUp(peerId).catch((err: any) => { this.log('hanging up on banned %s failed - %e', peer, err) })
    if (this.kad != null) {
      removeFromRoutingTable(this.kad, peerId).catch((err: any) => { this.log('removing banned %s from the routing table failed - %e', peer, err) })
    }
  }
}
