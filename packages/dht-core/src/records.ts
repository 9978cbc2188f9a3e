import { nonNegativeInteger, positiveInteger } from '@chorus-dht/utils'
import { BackendUnavailableError, InvalidParametersError, NotFoundError } from '@chorus-dht/types'
import { MessageType, Record as Libp2pRecord } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { Key } from 'interface-datastore'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { RECORD_DATASTORE_PREFIX } from './constants.js'
import { NO_PATH } from './internals.js'
import { namespaceOf, recordKeyBytes } from './keys.js'
import { OperationSignal } from './utils.js'
import type { KadDHTInternals } from './internals.js'
import type { PeerLiveness } from './peer-liveness.js'
import type { RecordGuard } from './record-guard.js'
import { RecordPut } from './record-put.js'
import type { RecordPutInit } from './record-put.js'
import type { AbortOptions, GetValueOptions, Logger, PutResult, PutValueOptions, RecordSelector, RecordValidator } from '@chorus-dht/types'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** Narrow components of {@link Records}. */
export interface RecordsComponents {
  /** This node's peer id. */
  peerId: string
  kad: KadDHTInternals
  /** The guarded datastore (the replacement rule runs on every record write). */
  datastore: Datastore
  guard: RecordGuard
  liveness: PeerLiveness
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'getConnections'>
  log: Logger
  /** The logger of the put (its own component name). */
  putLog: Logger
}

/** Settings of {@link Records}, resolved by the node. */
export interface RecordsInit {
  validators: Record<string, RecordValidator>
  selectors: Record<string, RecordSelector>
  queryTimeout: number
  peerRequestTimeout: number
  putMinPeers: number
  put: RecordPutInit
}

/**
 * Records (kad-dht's content-fetching seam): validated local reads and
 * writes, `getValue` over kad-dht's lookup, one-peer reads, and `putValue`
 * through {@link RecordPut}. The node checks it is started before calling.
 */
export class Records {
  private readonly peerId: string
  private readonly kad: KadDHTInternals
  private readonly datastore: Datastore
  private readonly guard: RecordGuard
  private readonly liveness: PeerLiveness
  private readonly log: Logger
  private readonly init: RecordsInit
  private readonly recordPut: RecordPut
  private shutdown: AbortSignal = AbortSignal.abort()

  constructor (components: RecordsComponents, init: RecordsInit) {
    this.peerId = components.peerId
    this.kad = components.kad
    this.datastore = components.datastore
    this.guard = components.guard
    this.liveness = components.liveness
    this.log = components.log
    this.init = init
    this.recordPut = new RecordPut({
      kad: components.kad,
      libp2p: components.libp2p,
      liveness: components.liveness,
      validate: async (key, value) => { await this.validate(key, value) },
      log: components.putLog
    }, init.put)
  }

  start (shutdown: AbortSignal): void {
    this.shutdown = shutdown
    this.recordPut.start(shutdown)
  }

  /** Resolves once the background parts of puts ended (`shutdown` ends them). */
  async stop (): Promise<void> {
    await this.recordPut.stop()
  }


  /** Throws `InvalidParametersError` when the namespace has no validator or the record fails it. */
  async validate (key: string, value: Uint8Array): Promise<void> {
    const ns = namespaceOf(key)
    const validator = ns == null ? undefined : this.init.validators[ns]
    if (validator == null) {
      throw new InvalidParametersError(`no validator for namespace ${JSON.stringify(ns)} of key ${key}: every peer would refuse the record`)
    }
    try {
      await validator(key, value)
    } catch (err: any) {
      throw new InvalidParametersError(`record for ${key} failed validation: ${err?.message ?? String(err)}`, { cause: err })
    }
  }

  private select (key: string, values: Uint8Array[]): Uint8Array {
    if (values.length === 1) {
      return values[0]
    }
    const ns = namespaceOf(key)
    const selector = ns == null ? undefined : this.init.selectors[ns]
    if (selector == null) {
      return values[0]
    }
    const i = selector(key, values)
    return values[i] ?? values[0]
  }

  private dsKey (keyBytes: Uint8Array): Key {
    return new Key(`${RECORD_DATASTORE_PREFIX}/${uint8ArrayToString(keyBytes, 'base32')}`, false)
  }

  private async getLocal (key: string, keyBytes: Uint8Array, options?: AbortOptions): Promise<Uint8Array | undefined> {
    let raw: Uint8Array
    try {
      raw = await this.datastore.get(this.dsKey(keyBytes), options)
    } catch (err: any) {
      if (err?.name === 'NotFoundError') {
        return undefined
      }
      throw err
    }
    const record = Libp2pRecord.deserialize(raw)
    try {
      await this.validate(key, record.value)
    } catch {
      return undefined
    }
    return record.value
  }

  /**
   * Stores a record locally through the guarded datastore: throws
   * `RecordConflictError` when the replacement rule keeps the held record.
   * The only local write of a put (the network part sends PUT_VALUE
   * messages itself, it does not call kad-dht's `put`, which would store it
   * a second time).
   */
  private async storeLocal (keyBytes: Uint8Array, value: Uint8Array, options?: AbortOptions): Promise<void> {
    const record = new Libp2pRecord(keyBytes, value, new Date())
    await this.datastore.put(this.dsKey(keyBytes), record.serialize(), options)
  }

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    const keyBytes = recordKeyBytes(key)
    if (!(value instanceof Uint8Array)) {
      throw new InvalidParametersError('value must be a Uint8Array')
    }
    const minPeers = options.minPeers == null ? this.init.putMinPeers : nonNegativeInteger('minPeers', options.minPeers)
    await this.validate(key, value)
    const op = new OperationSignal(`putValue ${key}`, this.init.queryTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      // a local refusal (RecordConflictError) ends the put before anything is sent
      await this.storeLocal(keyBytes, value, { signal: op.signal })
      const { accepted, refused } = await this.recordPut.put({ key, keyBytes, value, minPeers }, op.signal)
      // our own deadline: report what was achieved, the record is stored locally
      if (op.signal.aborted && !(op.timedOut && !op.callerAborted)) {
        throw op.error()
      }
      accepted.delete(this.peerId)
      return { remotePeers: accepted.size, peers: [...accepted], refusedPeers: refused.size }
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  async removeLocal (key: string, value: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    const keyBytes = recordKeyBytes(key)
    if (!(value instanceof Uint8Array)) {
      throw new InvalidParametersError('value must be a Uint8Array')
    }
    const dsKey = this.dsKey(keyBytes)
    const op = new OperationSignal(`removeLocal ${key}`, this.init.peerRequestTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      // under the guard's lock for the key: a put cannot slip in between the compare and the delete
      return await this.guard.exclusive(dsKey.toString(), async () => {
        let raw: Uint8Array
        try {
          raw = await this.datastore.get(dsKey, { signal: op.signal })
        } catch (err: any) {
          if (err?.name === 'NotFoundError') {
            return false
          }
          throw err
        }
        if (!uint8ArrayEquals(Libp2pRecord.deserialize(raw).value, value)) {
          return false
        }
        op.throwIfAborted()
        await this.datastore.delete(dsKey, { signal: op.signal })
        return true
      })
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  async getValue (key: string, options: GetValueOptions = {}): Promise<Uint8Array> {
    const keyBytes = recordKeyBytes(key)
    const quorum = positiveInteger('quorum', options.quorum ?? 1)
    const op = new OperationSignal(`getValue ${key}`, this.init.queryTimeout, this.shutdown, options.signal)
    const values: Uint8Array[] = []
    const from = new Set<string>()
    try {
      op.throwIfAborted()
      if (options.remoteOnly !== true) {
        const local = await this.getLocal(key, keyBytes, { signal: op.signal })
        if (local != null) {
          values.push(local)
          from.add(this.peerId)
        }
      }
      // kad-dht's query would wait for a first peer
      if (values.length < quorum && this.kad.routingTable.size > 0) {
        // kad-dht only yields PEER_RESPONSE events carrying a record after the
        // record passed our validator; stop the query once the quorum is met
        const tracker = this.liveness.tracker(op.signal)
        for await (const event of this.kad.get(keyBytes, { signal: op.signal })) {
          tracker.observe(event)
          if (event.name === 'PEER_RESPONSE' && event.messageName === 'GET_VALUE' && event.record != null) {
            const id = event.from.toString()
            if (id === this.peerId || from.has(id)) {
              continue
            }
            from.add(id)
            values.push(event.record.value)
            if (values.length >= quorum) {
              break
            }
          }
        }
      }
    } catch (err: any) {
      // after a lookup that ends below the quorum kad-dht sends correction
      // records, and throws QueryError when a peer refuses one (its
      // replacement rule keeps its record): the answers are still good
      const correctionRefused = err?.name === 'QueryError' && !op.signal.aborted
      if (correctionRefused) {
        this.log('a peer refused the correction record of %s - %e', key, err)
      }
      if (!(values.length > 0 && (correctionRefused || (op.timedOut && !op.callerAborted)))) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    if (values.length === 0) {
      throw new NotFoundError(`no valid record for ${key}`)
    }
    return this.select(key, values)
  }

  async getValueFromPeer (peerId: string, key: string, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    const keyBytes = recordKeyBytes(key)
    let peer: PeerId
    try {
      peer = peerIdFromString(peerId)
    } catch (err) {
      throw new InvalidParametersError(`not a peer id: ${JSON.stringify(peerId)}`, { cause: err })
    }
    if (peerId === this.peerId) {
      return this.getLocal(key, keyBytes, options)
    }
    const op = new OperationSignal(`getValueFromPeer ${peerId}`, this.init.peerRequestTimeout, this.shutdown, options.signal)
    try {
      op.throwIfAborted()
      const tracker = this.liveness.tracker(op.signal)
      for await (const event of this.kad.network.sendRequest(peer, { type: MessageType.GET_VALUE, key: keyBytes }, { signal: op.signal, path: NO_PATH })) {
        tracker.observe(event)
        if (event.name === 'QUERY_ERROR') {
          op.throwIfAborted()
          throw new BackendUnavailableError(`peer ${peerId} did not answer: ${event.error.message}`, { cause: event.error })
        }
        if (event.name === 'PEER_RESPONSE') {
          const record = event.record
          if (record == null || !uint8ArrayEquals(record.key, keyBytes)) {
            return undefined
          }
          try {
            await this.validate(key, record.value)
          } catch {
            return undefined
          }
          return record.value
        }
      }
      op.throwIfAborted()
      throw new BackendUnavailableError(`no answer from peer ${peerId} (the node is stopping)`)
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }
}
