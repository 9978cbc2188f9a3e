import { BackendUnavailableError } from '@chorus-dht/types'
import { compareHex } from './provider-book.js'
import { deadline } from './tasks.js'
import type { ContentEntry, ProviderBook } from './provider-book.js'
import type { Clock, ComponentLogger, DHT, Logger, ReplicationStatus } from '@chorus-dht/types'

export interface ReplicaMeterComponents {
  dht: DHT
  book: ProviderBook
  clock: Clock
  logger: ComponentLogger
}

export interface ReplicaMeterInit {
  /** Closest peers and announced providers asked per measurement. */
  maxProvidersPerKey: number
  /** Outcomes per provider kept for its quality. */
  qualityWindow: number
  /** Deadline of one question to one peer, ms. */
  peerQueryTimeout: number
  /** The manager's prefix; this logs as `<logPrefix>:measure`. */
  logPrefix: string
}

/**
 * Measures a key's replicas: asks this node, the closest peers and every
 * known or announced provider whether they hold a valid copy, and writes the
 * answers into the provider book. A peer that says no, holds an invalid
 * record, cannot be reached or is silent past `peerQueryTimeout` is no replica.
 */
export class ReplicaMeter {
  private readonly dht: DHT
  private readonly book: ProviderBook
  private readonly clock: Clock
  private readonly log: Logger
  private readonly init: ReplicaMeterInit

  constructor (components: ReplicaMeterComponents, init: ReplicaMeterInit) {
    this.dht = components.dht
    this.book = components.book
    this.clock = components.clock
    this.log = components.logger.forComponent(`${init.logPrefix}:measure`)
    this.init = init
  }

  /**
   * One measurement of `e`. Rejects `BackendUnavailableError` (the entry is
   * left as it was) when this node's own DHT does not answer, and the
   * signal's reason when it aborts.
   */
  async measure (e: ContentEntry, signal: AbortSignal): Promise<ReplicationStatus> {
    const limit = this.init.maxProvidersPerKey
    const soft = async <T>(what: string, p: Promise<T>, fallback: T): Promise<T> => {
      try {
        return await p
      } catch (err) {
        if (signal.aborted) throw signal.reason
        this.log('%s of %s failed while measuring - %e', what, e.key, err)
        return fallback
      }
    }
    const [closest, announced] = await Promise.all([
      soft('getClosestPeers', this.dht.getClosestPeers(e.key, { signal, limit }), [] as string[]),
      soft('findProviders', this.dht.findProviders(e.key, { signal, limit }), [])
    ])
    const candidates = new Set<string>([this.dht.peerId, ...closest.slice(0, limit), ...announced.map(p => p.id), ...e.providers.keys()])
    const answers = await Promise.all([...candidates].map(async peer => [peer, await this.holds(peer, e.key, signal)] as const))
    if (signal.aborted) throw signal.reason

    const now = this.clock.now()
    const yes: string[] = []
    for (const [peer, holds] of answers) {
      let rec = e.providers.get(peer)
      if (holds) {
        yes.push(peer)
        if (rec == null) {
          rec = this.book.newRecord(e.point, peer, now, now)
          e.providers.set(peer, rec)
        }
        rec.lastSeen = now
      }
      if (rec != null) {
        rec.lastAnswer = holds
        rec.outcomes.push(holds)
        if (rec.outcomes.length > this.init.qualityWindow) rec.outcomes.shift()
      }
    }
    e.replicas = yes.sort((a, b) => compareHex(this.book.distance(e.point, a), this.book.distance(e.point, b)))
    e.lastChecked = now
    this.book.trim(e)
    const status = this.book.statusOf(e)
    this.log('%s: %d of %d replicas (%s) after asking %d peers', e.key, status.actualReplicas, status.targetReplicas, status.health, candidates.size)
    return status
  }

  /** Whether `peer` answers that it holds a valid copy; unreachable or slow counts as no. */
  private async holds (peer: string, key: string, signal: AbortSignal): Promise<boolean> {
    try {
      const value = await deadline(`asking ${peer} for ${key}`, this.init.peerQueryTimeout, [signal], async (s) => this.dht.getValueFromPeer(peer, key, { signal: s }))
      return value !== undefined
    } catch (err: any) {
      if (signal.aborted) throw signal.reason
      if (peer === this.dht.peerId) {
        // our own store not answering says nothing about the network: no measurement
        throw new BackendUnavailableError(`cannot measure ${key}: this node's DHT did not answer (${err?.name ?? 'Error'}: ${err?.message ?? String(err)})`, { cause: err })
      }
      this.log.trace('%s did not answer for %s - %e', peer, key, err)
      return false
    }
  }
}
