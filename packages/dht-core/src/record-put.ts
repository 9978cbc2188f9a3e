// Over 400 lines: one put, start to end: the lookup of the closest peers,
// PUT_VALUE to them once it has converged, the count of acceptances among
// the `putReplicas` closest, the background remainder and the confirmation
// of a refusal. The pieces share the state of one run (`PutRun`), which is
// private to this file.
import { setMaxListeners } from 'node:events'
import { MessageType, Record as Libp2pRecord } from '@libp2p/kad-dht'
import { operationSignal } from '@chorus-dht/utils'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { xor as uint8ArrayXor } from 'uint8arrays/xor'
import { xorCompare as uint8ArrayXorCompare } from 'uint8arrays/xor-compare'
import { closestContacts, NO_PATH } from './internals.js'
import type { KadDHTInternals } from './internals.js'
import type { PeerLiveness } from './peer-liveness.js'
import type { Logger } from '@chorus-dht/types'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Narrow components of {@link RecordPut}. */
export interface RecordPutComponents {
  kad: KadDHTInternals
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'getConnections'>
  liveness: PeerLiveness
  /** Throws when a record fails the namespace's validator (used on a refusing peer's copy). */
  validate(key: string, value: Uint8Array): Promise<void>
  log: Logger
}

/** Settings of {@link RecordPut}, resolved by the node. */
export interface RecordPutInit {
  /** How many of the closest peers the record is placed on in all (foreground and background). */
  replicas: number
  /** Upper bound of FIND_NODE requests in flight during the lookup of one put. */
  alpha: number
  /** How long the background part of a put may run after the put resolved, ms. */
  backgroundTimeout: number
}

/** One put: the record and how many acceptances resolve it. */
export interface PutRequest {
  key: string
  keyBytes: Uint8Array
  value: Uint8Array
  /** Remote acceptances after which the put resolves (once its lookup converged). */
  minPeers: number
}

/** What the foreground of a put achieved. */
export interface PutOutcome {
  accepted: Set<string>
  refused: Set<string>
}

type PutState = 'pending' | 'accepted' | 'refused' | 'failed'

interface Candidate {
  peer: PeerId
  id: string
  distance: Uint8Array
  multiaddrs: Multiaddr[]
  find?: 'pending' | 'done' | 'failed'
  put?: PutState
}

/**
 * The put of chorus-dht: PUT_VALUE messages (the wire format a stock node
 * stores and serves) sent to the closest peers as they are found, a put
 * that resolves as soon as it has the acceptances it needs, and the rest
 * of the placement finished in the background, bounded.
 *
 * Unlike kad-dht's `put` (a lookup converged on the 20 closest peers, then
 * PUT_VALUE to each), a put here:
 *
 * 1. starts from the routing table's closest contacts to the key: the
 *    `minPeers` closest are asked for closer peers (FIND_NODE, at most
 *    `alpha` in flight);
 * 2. whenever an answer names closer peers, the new `minPeers` closest are
 *    asked in turn: the lookup only converges on the `minPeers` closest,
 *    which takes a round or two on a table that knows the neighbourhood (a
 *    lookup over the 20 closest asks 20 peers or more);
 * 3. once converged, the record goes to all of the `replicas` closest peers
 *    known (the routing table and every peer the answers named);
 * 4. the put resolves once `minPeers` of the `replicas` closest peers
 *    accepted (and every refusal seen so far was confirmed), or when nothing
 *    more can be sent; the
 *    requests still in flight finish in the background, under their own
 *    deadline and the node's shutdown.
 *
 * Inspired by go-libp2p-kad-dht's optimistic provide (early return, the
 * rest in the background), without its network-size estimate: the early
 * return here is on acceptances, not on distance thresholds.
 */
export class RecordPut {
  private readonly components: RecordPutComponents
  private readonly init: RecordPutInit
  private readonly background = new Set<Promise<void>>()
  private shutdown: AbortSignal = AbortSignal.abort()

  constructor (components: RecordPutComponents, init: RecordPutInit) {
    this.components = components
    this.init = init
  }

  start (shutdown: AbortSignal): void {
    this.shutdown = shutdown
  }

  /** Resolves once every background put ended (they end on the shutdown signal). */
  async stop (): Promise<void> {
    await Promise.allSettled([...this.background])
  }

  /** Background puts still running (tests). */
  get pending (): number {
    return this.background.size
  }

  /**
   * Sends the record to the closest peers. Resolves with what the
   * foreground achieved when it ends, or as soon as `signal` aborts (the
   * caller's deadline or abort: then nothing more is sent). Never rejects.
   */
  async put (request: PutRequest, signal: AbortSignal): Promise<PutOutcome> {
    const kadId = (await sha256.digest(request.keyBytes)).digest
    const run = new PutRun(this.components, this.init, request, kadId)
    // the bound of the whole put: the node's shutdown and its own deadline;
    // the caller's signal only bounds the foreground
    const background = operationSignal(this.init.backgroundTimeout, [this.shutdown])
    const onAbort = (): void => { run.abort() }
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) run.abort()
    const tracked: Promise<void> = run.execute(background.signal)
      .catch((err) => {
        if (!background.signal.aborted) this.components.log.error('background put of %s failed - %e', request.key, err)
      })
      .finally(() => {
        background.clear()
        this.background.delete(tracked)
      })
    this.background.add(tracked)
    try {
      await run.foreground
      return run.outcome()
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }
}

/** The state of one put. */
class PutRun {
  readonly foreground: Promise<void>
  private readonly components: RecordPutComponents
  private readonly init: RecordPutInit
  private readonly request: PutRequest
  private readonly kadId: Uint8Array
  private readonly record: Uint8Array
  private readonly candidates = new Map<string, Candidate>()
  private readonly accepted = new Set<string>()
  private readonly refused = new Set<string>()
  private readonly inFlight = new Set<Promise<void>>()
  private readonly controller = new AbortController()
  private resolveForeground: () => void = () => {}
  private resolveIdle: () => void = () => {}
  private readonly idle: Promise<void>
  private converged = false
  private confirming = 0
  private foregroundDone = false
  private snapshot?: PutOutcome

  constructor (components: RecordPutComponents, init: RecordPutInit, request: PutRequest, kadId: Uint8Array) {
    this.components = components
    this.init = init
    this.request = request
    this.kadId = kadId
    // every request of the run listens to this one signal (kad-dht adds an
    // abort listener per request): 20 or more by design, not a leak
    setMaxListeners(Number.POSITIVE_INFINITY, this.controller.signal)
    this.record = new Libp2pRecord(request.keyBytes, request.value, new Date()).serialize()
    this.foreground = new Promise(resolve => { this.resolveForeground = resolve })
    this.idle = new Promise(resolve => { this.resolveIdle = resolve })
  }

  abort (): void {
    this.controller.abort()
    this.finishForeground()
  }

  outcome (): PutOutcome {
    return this.snapshot ?? { accepted: new Set(this.accepted), refused: new Set(this.refused) }
  }

  /** Runs the whole put; resolves when every request ended or `background` fired. */
  async execute (background: AbortSignal): Promise<void> {
    const onBackgroundAbort = (): void => { this.controller.abort() }
    background.addEventListener('abort', onBackgroundAbort, { once: true })
    // a put that started after the node's shutdown sends nothing
    if (background.aborted) this.controller.abort()
    try {
      const self = this.components.libp2p.peerId
      for (const contact of closestContacts(this.components.kad, this.kadId, this.init.replicas + 1)) {
        if (!contact.peerId.equals(self)) this.addCandidate(contact.peerId, contact.kadId, [])
      }
      this.pump()
      await this.idle
    } finally {
      background.removeEventListener('abort', onBackgroundAbort)
      this.finishForeground()
    }
  }

  private addCandidate (peer: PeerId, kadId: Uint8Array, multiaddrs: Multiaddr[]): void {
    const id = peer.toString()
    if (this.candidates.has(id)) return
    this.candidates.set(id, { peer, id, distance: uint8ArrayXor(kadId, this.kadId), multiaddrs })
  }

  /** Candidates that may still hold the record, closest first. */
  private live (): Candidate[] {
    return [...this.candidates.values()]
      .filter(c => c.find !== 'failed' && c.put !== 'failed' && c.put !== 'refused')
      .sort((a, b) => uint8ArrayXorCompare(a.distance, b.distance))
  }

  /** Sends what the current state calls for, then checks whether the foreground or the whole put is done. */
  private pump (): void {
    if (this.controller.signal.aborted) {
      this.checkDone()
      return
    }
    const live = this.live()
    const want = Math.max(1, this.request.minPeers)
    const closest = live.slice(0, want)
    let finds = [...this.candidates.values()].filter(c => c.find === 'pending').length
    if (!this.converged) {
      // no PUT_VALUE before the lookup converged: a peer sent the record
      // early (from the routing table, before closer peers were known)
      // would hold a copy outside the closest set, one no get's lookup asks
      // and no replica count sees
      for (const c of closest) {
        if (c.find == null && finds < this.init.alpha) {
          this.sendFind(c)
          finds++
        }
      }
      // converged: every one of the closest live peers answered a FIND_NODE
      if (finds === 0 && closest.every(c => c.find === 'done')) this.converged = true
    }
    if (this.converged) {
      // the foreground sends to as many of the closest as the
      // acknowledgement needs (the next in line when one fails), and to
      // those already connected; the dials to the rest wait for the
      // acknowledgement. A new connection costs a noise handshake and an
      // identify exchange (most of a put's CPU, profiled at N=100), and
      // made all at once they delay the few the acknowledgement waits for.
      let owed = this.request.minPeers
      for (const c of live.slice(0, this.init.replicas)) {
        if (c.put != null) {
          owed--
        } else if (this.foregroundDone || owed > 0 || this.components.libp2p.getConnections(c.peer).length > 0) {
          this.sendPut(c)
          owed--
        }
      }
    }
    this.checkDone()
  }

  /**
   * Acceptances that count for the acknowledgement: by peers among the
   * `replicas` closest live peers known once the lookup converged, the set a
   * get's lookup converges on. A peer sent the record early (from the
   * routing table, before closer peers were known) holds a copy, but one a
   * get may never ask.
   */
  private closeAcceptances (): number {
    return this.live().slice(0, this.init.replicas).filter(c => c.put === 'accepted').length
  }

  private checkDone (): void {
    if (!this.foregroundDone && this.confirming === 0 &&
      ((this.converged && this.closeAcceptances() >= this.request.minPeers) || this.inFlight.size === 0 || this.controller.signal.aborted)) {
      this.finishForeground()
    }
    if (this.inFlight.size === 0) this.resolveIdle()
  }

  private finishForeground (): void {
    if (this.foregroundDone) return
    this.foregroundDone = true
    this.snapshot = { accepted: new Set(this.accepted), refused: new Set(this.refused) }
    this.resolveForeground()
    // the rest of the closest, in the background
    if (!this.controller.signal.aborted && this.converged) this.pump()
  }

  private track (work: Promise<void>): void {
    const p = work.catch((err) => {
      if (!this.controller.signal.aborted) this.components.log.error('put request failed - %e', err)
    }).finally(() => {
      this.inFlight.delete(p)
      this.pump()
    })
    this.inFlight.add(p)
  }

  /** Makes sure a peer learned from an answer can be dialled (kad-dht's own merge is asynchronous). */
  private async learnAddresses (c: Candidate): Promise<void> {
    if (c.multiaddrs.length === 0 || this.components.libp2p.getConnections(c.peer).length > 0) return
    await this.components.libp2p.peerStore.merge(c.peer, { multiaddrs: c.multiaddrs }).catch(() => {})
  }

  private sendFind (c: Candidate): void {
    c.find = 'pending'
    this.track((async () => {
      const signal = this.controller.signal
      const tracker = this.components.liveness.tracker(signal)
      await this.learnAddresses(c)
      let unreachable = false
      for await (const event of this.components.kad.network.sendRequest(c.peer, { type: MessageType.FIND_NODE, key: this.request.keyBytes }, { signal, path: NO_PATH })) {
        if (tracker.observe(event) === 'unreachable') unreachable = true
        if (event.name === 'PEER_RESPONSE') {
          await this.addCloser(event)
        }
      }
      // only a peer that cannot be reached is out; one that was slow or
      // reset the request still gets the record (it named no closer peers)
      c.find = unreachable ? 'failed' : 'done'
    })().catch((err) => { c.find = 'done'; throw err }))
  }

  private async addCloser (event: Extract<QueryEvent, { name: 'PEER_RESPONSE' }>): Promise<void> {
    const self = this.components.libp2p.peerId
    for (const p of event.closer) {
      if (p.id.equals(self) || this.candidates.has(p.id.toString())) continue
      const kadId = (await sha256.digest(p.id.toMultihash().bytes)).digest
      this.addCandidate(p.id, kadId, p.multiaddrs)
    }
  }

  private sendPut (c: Candidate): void {
    c.put = 'pending'
    this.track((async () => {
      const signal = this.controller.signal
      const tracker = this.components.liveness.tracker(signal)
      await this.learnAddresses(c)
      let sent = false
      for await (const event of this.components.kad.network.sendRequest(c.peer, { type: MessageType.PUT_VALUE, key: this.request.keyBytes, record: this.record }, { signal, path: NO_PATH })) {
        const failure = tracker.observe(event)
        if (event.name === 'SEND_QUERY') {
          sent = true
        } else if (event.name === 'PEER_RESPONSE') {
          if (event.record != null && uint8ArrayEquals(event.record.value, this.request.value)) {
            this.accept(c)
          } else {
            c.put = 'failed'
          }
        } else if (event.name === 'QUERY_ERROR') {
          if (failure === 'reset' && sent) {
            await this.confirm(c, signal)
          } else {
            c.put = 'failed'
          }
        }
      }
      if (c.put === 'pending') c.put = 'failed'
    })().catch((err) => { c.put = 'failed'; throw err }))
  }

  private accept (c: Candidate): void {
    c.put = 'accepted'
    this.accepted.add(c.id)
    this.refused.delete(c.id)
  }

  /** A reset after the record was sent: a refusal or a broken request? Asks the peer. */
  private async confirm (c: Candidate, signal: AbortSignal): Promise<void> {
    this.confirming++
    try {
      const outcome = await confirmRefusal(this.components, c.peer, this.request, signal)
      if (outcome === 'refused') {
        c.put = 'refused'
        if (!this.accepted.has(c.id)) this.refused.add(c.id)
      } else if (outcome === 'stored') {
        this.accept(c)
      } else {
        c.put = 'failed'
      }
    } finally {
      this.confirming--
    }
  }
}

/**
 * Tells a refusal from a broken request after a peer reset the stream of
 * our PUT_VALUE. kad-dht's RPC handler resets the stream when the handler
 * throws (the guard's `RecordConflictError`, or a validator), and sends no
 * answer; a connection that dies mid-request resets it too. So the peer is
 * asked for its copy (GET_VALUE): `'refused'` when it answers with a valid
 * record for the key other than ours (it holds one its rule keeps),
 * `'stored'` when it answers with ours, `'unknown'` otherwise (no answer:
 * unreachable, then also dropped from the routing table; or no valid
 * record: its validator refused). Never throws.
 */
export async function confirmRefusal (components: Pick<RecordPutComponents, 'kad' | 'liveness' | 'validate' | 'log'>, peer: PeerId, request: Pick<PutRequest, 'key' | 'keyBytes' | 'value'>, signal: AbortSignal): Promise<'refused' | 'stored' | 'unknown'> {
  const tracker = components.liveness.tracker(signal)
  try {
    for await (const event of components.kad.network.sendRequest(peer, { type: MessageType.GET_VALUE, key: request.keyBytes }, { signal, path: NO_PATH })) {
      tracker.observe(event)
      if (event.name === 'PEER_RESPONSE') {
        const record = event.record
        if (record == null || !uint8ArrayEquals(record.key, request.keyBytes)) {
          return 'unknown'
        }
        if (uint8ArrayEquals(record.value, request.value)) {
          return 'stored'
        }
        await components.validate(request.key, record.value)
        return 'refused'
      }
    }
  } catch (err: any) {
    components.log('could not confirm the refusal of %s by %s - %e', request.key, peer.toString(), err)
  }
  return 'unknown'
}
