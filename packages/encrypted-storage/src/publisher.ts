import { headKeyOf, versionKeyOf } from './keys.js'
import { AccessDeniedError, BackendUnavailableError, RecordConflictError, RecordTooLargeError, VersionConflictError } from './errors.js'
import { pause, throwIfAborted } from './deadline.js'
import { encodeRecord, recordSigningBytes } from './record.js'
import type { ContentIndex } from './content-index.js'
import type { RecordKind } from './record.js'
import type { FetchedRecord, RecordFetcher } from './record-fetcher.js'
import type { KeyedLock, WriteLedger } from './write-ledger.js'
import type { Clock, DHT, Logger, PutResult, RecordSigner, UCXLMetadata, WriteAuthority } from '@chorus-dht/types'

export interface PublisherComponents {
  dht: DHT
  writeAuthority?: WriteAuthority
  signer: RecordSigner
  fetcher: RecordFetcher
  ledger: WriteLedger
  index: ContentIndex
  /** One claim at a time per address on this node. */
  lock: KeyedLock
  /** Ledger ids of stores running in this process (not to be resumed as leftovers). */
  inFlight: Set<string>
  clock: Clock
  log: Logger
}

export interface PublisherInit {
  maxRecordSize: number
  confirmWrites: boolean
  maxRepublishAttempts: number
  /** The default deadline, ms (for the timeout error's message). */
  timeout: number
  /** Called once per acknowledged version. */
  onPublished(metadata: UCXLMetadata): void
}

/** Whether two metadata describe the same write (not just the same content). */
export function isSameWrite (a: UCXLMetadata, b: UCXLMetadata): boolean {
  return a.signer === b.signer && a.hash === b.hash && a.timestamp === b.timestamp && a.version === b.version
}

/**
 * The claim protocol (see the README, *Writes that hold*): claims a version
 * number for one write, moves the head, acknowledges in the ledger. Callers
 * run it under the address's lock.
 */
export class Publisher {
  private readonly components: PublisherComponents
  private readonly init: PublisherInit

  constructor (components: PublisherComponents, init: PublisherInit) {
    this.components = components
    this.init = init
  }

  /**
   * A new store: durable before anything goes out (a process killed from
   * here on leaves a pending write that the next start() finishes), then
   * the claim under the address's lock. A claim that fails removes its
   * ledger entry: the caller is told, nothing is left to finish.
   */
  async store (logical: string, base: UCXLMetadata, ciphertext: Uint8Array, signal: AbortSignal): Promise<UCXLMetadata> {
    const { ledger, lock, inFlight, clock, log } = this.components
    const id = ledger.newId(clock.now())
    inFlight.add(id)
    try {
      await ledger.put({ id, state: 'pending', metadata: base, ciphertext, at: clock.now() }, { signal })
      return await lock.run(logical, async () => this.publish(id, logical, base, ciphertext, signal), signal)
        .catch(async (err) => {
          await ledger.delete(id).catch(e => { log.error('could not drop failed write %s - %e', id, e) })
          throw err
        })
    } finally {
      inFlight.delete(id)
    }
  }

  /**
   * Claims a version number and moves the head, in as few DHT rounds as
   * the guarantees allow (see the README, *Store rounds*): the number comes
   * from what this node knows (no network read); then the version record `*~N` is put (a node that holds another
   * writer's `*~N` refuses it), needing every answering closest peer to
   * accept it (a refusal means a peer keeps another record for the key: the
   * claim is checked, and if another record won, this node withdraws its
   * own local copy, reads the network's head and claims the next number),
   * optionally read back, then the head is put. The ack is written to the
   * ledger (`id`) before this resolves.
   */
  async publish (id: string, logical: string, base: UCXLMetadata, ciphertext: Uint8Array, signal: AbortSignal, firstVersion?: number): Promise<UCXLMetadata> {
    const { dht, fetcher, ledger, index, clock, log } = this.components
    const hKey = headKeyOf(logical)
    let version = firstVersion ?? await this.nextVersion(logical, hKey, signal)
    for (let attempt = 0; attempt <= this.init.maxRepublishAttempts; attempt++) {
      throwIfAborted(signal, this.init.timeout)
      if (attempt > 0) {
        // two writers that lost to each other must not retry in lockstep
        await pause(Math.floor(Math.random() * 20 * attempt) + 5, signal)
      }
      const metadata: UCXLMetadata = { ...base, version, timestamp: clock.now(), dhtPeers: [] }
      const vKey = versionKeyOf(logical, version)
      const versionRecord = await this.sign('version', vKey, metadata, ciphertext)
      let lost: FetchedRecord | undefined
      let put: PutResult | undefined
      try {
        put = await dht.putValue(vKey, versionRecord, { signal })
      } catch (err: any) {
        // refused locally, before anything was sent: this node holds another record for the key
        if (err.name !== RecordConflictError.name) throw err
        lost = await fetcher.winnerOf(vKey, logical, signal)
        log('version %d of %s is held locally by another record (%s)', version, logical, lost?.metadata.signer ?? 'unknown')
      }
      if (put != null && put.refusedPeers > 0) {
        // a refusal is either a peer keeping another record (we lost) or a
        // peer refusing ours for its own reasons: ask the network which
        const winner = await fetcher.winnerOf(vKey, logical, signal)
        if (winner != null && !isSameWrite(winner.metadata, metadata)) lost = winner
      }
      if (lost == null && put != null) {
        const shortfall = this.shortfall(vKey, put)
        if (shortfall != null) {
          await this.withdraw(vKey, versionRecord, signal)
          throw shortfall
        }
        if (this.init.confirmWrites && put.remotePeers > 0) {
          const winner = await fetcher.winnerOf(vKey, logical, signal)
          if (winner != null && !isSameWrite(winner.metadata, metadata)) lost = winner
        }
      }
      if (lost != null || put == null) {
        await this.withdraw(vKey, versionRecord, signal)
        if (lost != null) {
          // peers holding our copy keep the version ambiguous: give them the winner
          await dht.putValue(vKey, lost.value, { signal }).catch(err => {
            throwIfAborted(signal, this.init.timeout)
            log('could not repair %s - %e', vKey, err)
          })
        }
        // the local knowledge was behind: ask the network how far the address went
        const head = await fetcher.fetchHead(logical, signal).catch(() => undefined)
        const next = Math.max(version, head?.metadata.version ?? 0) + 1
        log('version %d of %s went to %s; claiming version %d', version, logical, lost?.metadata.signer ?? 'another writer', next)
        version = next
        continue
      }
      const headRecord = await this.sign('head', hKey, metadata, ciphertext)
      // only now, with the version record in place, may the head name it
      try {
        await this.put(hKey, headRecord, signal)
      } catch (err: any) {
        // a newer head is already held here: this version stands, the head moved past it
        if (err.name !== RecordConflictError.name) throw err
      }
      const stored = { ...metadata, dhtPeers: [...put.peers] }
      await ledger.put({ id, state: 'acked', metadata: stored, ciphertext, at: clock.now() }, { signal })
      await ledger.logVersion(stored, { signal })
      await index.put(stored, { signal })
      this.init.onPublished(stored)
      return stored
    }
    throw new VersionConflictError(`could not claim a version of ${logical} after ${this.init.maxRepublishAttempts + 1} attempts`, { version })
  }

  /**
   * One more than the highest this node knows of, without a network round:
   * its own copy of the head, the local index, its own acknowledged
   * versions. When that is behind the network, the claim finds out (the
   * version key is held by another record) and the next claim is numbered
   * from the network's head.
   */
  private async nextVersion (logical: string, hKey: string, signal: AbortSignal): Promise<number> {
    const { fetcher, index, ledger } = this.components
    const head = await fetcher.local(hKey, signal)
    const indexed = await index.get(logical, { signal })
    const own = await ledger.latestOwnVersion(logical, { signal })
    return Math.max(head?.metadata.version ?? 0, indexed?.version ?? 0, own) + 1
  }

  /** Signs a record and checks its size. */
  private async sign (kind: RecordKind, key: string, metadata: UCXLMetadata, ciphertext: Uint8Array): Promise<Uint8Array> {
    const { writeAuthority, signer } = this.components
    const certificate = writeAuthority?.certificateFor(metadata.creatorRole)
    if (writeAuthority != null && certificate == null) {
      throw new AccessDeniedError(`this node holds no certificate of the authority for role ${metadata.creatorRole}`)
    }
    const signature = await signer.sign(recordSigningBytes(kind, key, metadata, certificate))
    const value = encodeRecord({ kind, key, metadata, ciphertext, signature, ...(certificate != null ? { certificate } : {}) })
    const limit = this.init.maxRecordSize
    if (value.byteLength > limit) {
      throw new RecordTooLargeError(`record of ${value.byteLength} bytes exceeds the limit of ${limit} bytes`, { size: value.byteLength, limit })
    }
    return value
  }

  /** Removes this node's own local copy of a claim that did not win (so it cannot be served). */
  private async withdraw (key: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    try {
      await this.components.dht.removeLocal(key, value, { signal })
    } catch (err) {
      throwIfAborted(signal, this.init.timeout)
      this.components.log('could not withdraw the local copy of %s - %e', key, err)
    }
  }

  /** Puts a record and checks the write quorum (a head refused by peers holding a newer head is fine). */
  private async put (key: string, value: Uint8Array, signal: AbortSignal): Promise<PutResult> {
    const result = await this.components.dht.putValue(key, value, { signal })
    const shortfall = this.shortfall(key, result)
    if (shortfall != null && result.refusedPeers === 0) throw shortfall
    return result
  }

  /**
   * Why a put falls short of the write quorum, if it does. The quorum is
   * taken from live peers: every peer that answered must accept, except
   * refusals already examined by the caller (a peer refusing for its own
   * reasons, not because it holds a better record), of which at least one
   * acceptance must remain; peers that cannot be reached do not count (the
   * DHT drops them); and a DHT that knows peers must hear from one.
   */
  private shortfall (key: string, result: PutResult): BackendUnavailableError | undefined {
    const answered = result.remotePeers + result.refusedPeers
    if (answered === 0) {
      const known = this.components.dht.getStats().totalPeers
      return known > 0 ? new BackendUnavailableError(`none of the ${known} known peers answered the put of ${key}`) : undefined
    }
    if (result.refusedPeers === 0 || result.remotePeers > 0) return undefined
    return new BackendUnavailableError(`all ${result.refusedPeers} peers that answered refused the record ${key}`)
  }
}
