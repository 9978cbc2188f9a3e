import { randomUUID } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber, timerDelay } from '@chorus-dht/utils'
import {
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError
} from '@chorus-dht/types'
import { identify } from '@libp2p/identify'
import { kadDHT, MessageType, passthroughMapper, Record as Libp2pRecord } from '@libp2p/kad-dht'
import { defaultLogger } from '@libp2p/logger'
import { memory } from '@libp2p/memory'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { createLibp2p } from 'libp2p'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import {
  CAPABILITY_PROVIDER_PREFIX,
  DEFAULT_AGENT_VERSION,
  DEFAULT_BAN_DURATION,
  DEFAULT_BOOTSTRAP_INTERVAL,
  DEFAULT_BOOTSTRAP_TIMEOUT,
  DEFAULT_CONNECTION_PING_INTERVAL,
  DEFAULT_LOG_PREFIX,
  DEFAULT_DISCOVERY_INTERVAL,
  DEFAULT_INBOUND_PUT_BURST,
  DEFAULT_INBOUND_PUT_RATE,
  DEFAULT_JOIN_STAGGER,
  DEFAULT_MAX_BYTES_PER_PEER,
  DEFAULT_MAX_PEER_STRIKES,
  DEFAULT_MAX_RECORDS_PER_PEER,
  DEFAULT_PEER_CHECK_TIMEOUT,
  DEFAULT_PEER_CLEANUP_INTERVAL,
  DEFAULT_PEER_REQUEST_TIMEOUT,
  DEFAULT_PEER_TTL,
  DEFAULT_PROTOCOL,
  DEFAULT_PROVIDER_LIMIT,
  DEFAULT_QUERY_TIMEOUT,
  DEFAULT_STRIKE_WINDOW,
  DEFAULT_TCP_LISTEN,
  MAX_PEER_CHECKS,
  PEER_INFO_PROTOCOL,
  PEER_PROVIDER_KEY,
  RECORD_DATASTORE_PREFIX,
  ROLE_PROVIDER_PREFIX,
  UNREACHABLE_PEER_TTL
} from './constants.js'
import { AbuseGuard } from './abuse-guard.js'
import type { AbuseGuardInit } from './abuse-guard.js'
import { kadInternals, routingTablePeers } from './internals.js'
import { namespaceOf, providerKeyToCID, recordKeyBytes } from './keys.js'
import { readPeerInfo, writePeerInfo } from './peer-info.js'
import { PeerLiveness } from './peer-liveness.js'
import { guardedDatastore, RecordGuard } from './record-guard.js'
import { OperationSignal, sleep } from './utils.js'
import type { KadDHTInternals } from './internals.js'
import type { AbuseStats, ChorusDHT, ChorusDHTComponents, ChorusDHTInit, ChorusDHTMode, ChorusServices, ChorusTransport } from './index.js'
import type {
  AbortOptions,
  AgentInfo,
  Clock,
  DHTStats,
  FindProvidersOptions,
  GetValueOptions,
  Logger,
  PeerInfo,
  PutResult,
  PutValueOptions,
  RandomSource,
  RecordReplacer,
  RecordSelector,
  RecordValidator,
  RolePeer
} from '@chorus-dht/types'
import type { ComponentLogger as Libp2pComponentLogger, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { KadDHTInit, SelectFn, ValidateFn } from '@libp2p/kad-dht'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

/** Every option resolved once; the abuse limits as the guard takes them. */
interface ResolvedInit extends Omit<AbuseGuardInit, 'log'> {
  logPrefix: string
  listen: string[]
  transports: ChorusTransport[]
  bootstrapPeers: string[]
  bootstrapTimeout: number
  bootstrapInterval: number
  autoBootstrap: boolean
  joinStagger: number
  discoveryInterval: number
  peerCleanupInterval: number
  peerTTL: number
  mode: ChorusDHTMode
  allowPrivateAddresses: boolean
  protocol: string
  validators: Record<string, RecordValidator>
  selectors: Record<string, RecordSelector>
  replacers: Record<string, RecordReplacer>
  queryTimeout: number
  peerRequestTimeout: number
  agentVersion: string
  allow: string[]
  pingNewContacts: boolean
  peerCheckTimeout: number
  connectionPingInterval: number
  kadDHT: Partial<KadDHTInit>
}

const NO_PATH = { index: -1, queued: 0, running: 0, total: 0 }
const DECODER = new TextDecoder()

/** An optional duration, ms: finite and > 0 (≥ 0 with `allowZero`). */
function positive (name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value == null) {
    return fallback
  }
  const check = allowZero ? nonNegativeNumber : positiveNumber
  return check(name, value, { unit: 'ms' })
}

/** An optional positive limit (not a duration): `Infinity` allowed unless `finite`, an integer when `integer`. */
function limit (name: string, value: number | undefined, fallback: number, options: { integer?: boolean, finite?: boolean } = {}): number {
  if (value == null) {
    return fallback
  }
  const check = options.integer === true ? positiveInteger : positiveNumber
  return check(name, value, { allowInfinity: options.finite !== true })
}

/** An optional positive duration a timer can wait, ms. */
function timerDuration (name: string, value: number | undefined, fallback: number): number {
  return value == null ? fallback : timerDelay(name, value)
}

function resolveInit (init: ChorusDHTInit): ResolvedInit {
  const transports = init.transports ?? ['tcp']
  if (transports.length === 0 || transports.some(t => t !== 'tcp' && t !== 'memory')) {
    throw new InvalidParametersError(`transports must be a non-empty list of 'tcp' and 'memory', got ${JSON.stringify(init.transports)}`)
  }
  const mode = init.mode ?? 'auto'
  if (mode !== 'auto' && mode !== 'client' && mode !== 'server') {
    throw new InvalidParametersError(`mode must be 'auto', 'client' or 'server', got ${JSON.stringify(mode)}`)
  }
  const listen = init.listen ?? transports.map(t => t === 'tcp' ? DEFAULT_TCP_LISTEN : `/memory/${randomUUID()}`)
  for (const addr of [...listen, ...(init.bootstrapPeers ?? [])]) {
    try {
      multiaddr(addr)
    } catch (err) {
      throw new InvalidParametersError(`not a multiaddr: ${JSON.stringify(addr)}`, { cause: err })
    }
  }
  return {
    logPrefix: init.logPrefix ?? DEFAULT_LOG_PREFIX,
    listen,
    transports,
    bootstrapPeers: init.bootstrapPeers ?? [],
    bootstrapTimeout: positive('bootstrapTimeout', init.bootstrapTimeout, DEFAULT_BOOTSTRAP_TIMEOUT),
    bootstrapInterval: positive('bootstrapInterval', init.bootstrapInterval, DEFAULT_BOOTSTRAP_INTERVAL),
    autoBootstrap: init.autoBootstrap ?? true,
    joinStagger: positive('joinStagger', init.joinStagger, DEFAULT_JOIN_STAGGER, true),
    discoveryInterval: positive('discoveryInterval', init.discoveryInterval, DEFAULT_DISCOVERY_INTERVAL),
    peerCleanupInterval: positive('peerCleanupInterval', init.peerCleanupInterval, DEFAULT_PEER_CLEANUP_INTERVAL),
    peerTTL: positive('peerTTL', init.peerTTL, DEFAULT_PEER_TTL),
    mode,
    allowPrivateAddresses: init.allowPrivateAddresses ?? false,
    protocol: init.protocol ?? DEFAULT_PROTOCOL,
    validators: { ...init.validators },
    selectors: { ...init.selectors },
    replacers: { ...init.replacers },
    queryTimeout: positive('queryTimeout', init.queryTimeout, DEFAULT_QUERY_TIMEOUT),
    peerRequestTimeout: positive('peerRequestTimeout', init.peerRequestTimeout, DEFAULT_PEER_REQUEST_TIMEOUT),
    agentVersion: init.agentVersion ?? DEFAULT_AGENT_VERSION,
    allow: init.allow ?? [],
    pingNewContacts: init.pingNewContacts ?? false,
    peerCheckTimeout: positive('peerCheckTimeout', init.peerCheckTimeout, DEFAULT_PEER_CHECK_TIMEOUT),
    connectionPingInterval: positive('connectionPingInterval', init.connectionPingInterval, DEFAULT_CONNECTION_PING_INTERVAL),
    inboundPutRate: limit('inboundPutRate', init.inboundPutRate, DEFAULT_INBOUND_PUT_RATE),
    inboundPutBurst: limit('inboundPutBurst', init.inboundPutBurst, DEFAULT_INBOUND_PUT_BURST, { integer: true, finite: true }),
    maxRecordsPerPeer: limit('maxRecordsPerPeer', init.maxRecordsPerPeer, DEFAULT_MAX_RECORDS_PER_PEER, { integer: true }),
    maxBytesPerPeer: limit('maxBytesPerPeer', init.maxBytesPerPeer, DEFAULT_MAX_BYTES_PER_PEER, { integer: true }),
    maxPeerStrikes: limit('maxPeerStrikes', init.maxPeerStrikes, DEFAULT_MAX_PEER_STRIKES, { integer: true }),
    strikeWindow: timerDuration('strikeWindow', init.strikeWindow, DEFAULT_STRIKE_WINDOW),
    banDuration: timerDuration('banDuration', init.banDuration, DEFAULT_BAN_DURATION),
    ...(init.connectionGater != null ? { connectionGater: init.connectionGater } : {}),
    kadDHT: init.kadDHT ?? {}
  }
}

/** The implementation behind {@link ChorusDHT}. Not exported from the package. */
export class ChorusDHTNode implements ChorusDHT {
  readonly libp2p: Libp2p<ChorusServices>
  readonly peerId: string
  private readonly kad: KadDHTInternals
  private readonly init: ResolvedInit
  private readonly datastore: Datastore
  private readonly clock: Clock
  private readonly random: RandomSource
  private readonly log: Logger
  /** Datastore keys of stored records, kept by the datastore wrapper. */
  private readonly recordKeys: Set<string>
  private readonly guard: RecordGuard
  private readonly liveness: PeerLiveness
  private readonly abuse: AbuseGuard
  private readonly knownPeers = new Map<string, RolePeer>()
  private agentInfo: AgentInfo
  private status: 'stopped' | 'starting' | 'started' | 'stopping' = 'stopped'
  private startPromise?: Promise<void>
  private stopPromise?: Promise<void>
  private shutdown = new AbortController()
  private loops: Array<Promise<void>> = []
  private startedAt = 0
  private readonly onIdentify: (evt: CustomEvent<{ peerId: PeerId }>) => void

  private constructor (libp2p: Libp2p<ChorusServices>, init: ResolvedInit, datastore: Datastore, recordKeys: Set<string>, guard: RecordGuard, abuse: AbuseGuard, components: ChorusDHTComponents, agent: AgentInfo, log: Logger) {
    this.libp2p = libp2p
    this.peerId = libp2p.peerId.toString()
    this.kad = kadInternals(libp2p.services.dht)
    this.init = init
    this.datastore = datastore
    this.recordKeys = recordKeys
    this.guard = guard
    this.abuse = abuse
    this.clock = components.clock ?? { now: () => Date.now() }
    this.liveness = new PeerLiveness({ libp2p, kad: this.kad, clock: this.clock, log: (components.logger ?? defaultLogger()).forComponent(`${init.logPrefix}:peer-liveness`) }, {
      checkTimeout: init.peerCheckTimeout,
      suspectTTL: UNREACHABLE_PEER_TTL,
      maxChecks: MAX_PEER_CHECKS,
      pingNewContacts: init.pingNewContacts
    })
    // after the liveness check of new contacts, so that a banned peer is refused before it
    abuse.attach(libp2p, this.kad)
    this.random = components.random ?? { next: () => Math.random() }
    this.log = log
    this.agentInfo = agent
    this.shutdown.abort()
    this.onIdentify = (evt) => {
      const known = this.knownPeers.get(evt.detail.peerId.toString())
      if (known != null) {
        known.lastSeen = this.clock.now()
      }
    }
  }

  /** Builds the libp2p node (unstarted). */
  static async create (rawInit: ChorusDHTInit, components: ChorusDHTComponents): Promise<ChorusDHTNode> {
    const init = resolveInit(rawInit)
    const logger = components.logger ?? defaultLogger()
    const log = logger.forComponent(init.logPrefix)
    const recordKeys = new Set<string>()
    const guard = new RecordGuard({ validators: init.validators, selectors: init.selectors, replacers: init.replacers, log: logger.forComponent(`${init.logPrefix}:record-guard`) })
    const abuse = new AbuseGuard({
      inboundPutRate: init.inboundPutRate,
      inboundPutBurst: init.inboundPutBurst,
      maxRecordsPerPeer: init.maxRecordsPerPeer,
      maxBytesPerPeer: init.maxBytesPerPeer,
      maxPeerStrikes: init.maxPeerStrikes,
      strikeWindow: init.strikeWindow,
      banDuration: init.banDuration,
      ...(init.connectionGater != null ? { connectionGater: init.connectionGater } : {}),
      log: logger.forComponent(`${init.logPrefix}:abuse`)
    })
    const datastore = guardedDatastore(components.datastore ?? new MemoryDatastore(), recordKeys, guard, abuse)
    const toBytesKey = (key: Uint8Array): string => DECODER.decode(key)
    const validators: Record<string, ValidateFn> = {}
    for (const [ns, validate] of Object.entries(init.validators)) {
      validators[ns] = async (key, value) => { await validate(toBytesKey(key), value) }
    }
    const selectors: Record<string, SelectFn> = {}
    for (const [ns, select] of Object.entries(init.selectors)) {
      selectors[ns] = (key, values) => select(toBytesKey(key), values)
    }
    const lan = init.allowPrivateAddresses
    const clientMode = init.mode === 'client' ? true : init.mode === 'server' ? false : lan ? false : undefined
    const kadInit: KadDHTInit = {
      protocol: init.protocol,
      validators,
      selectors,
      ...(clientMode === undefined ? {} : { clientMode }),
      ...(lan ? { peerInfoMapper: passthroughMapper } : {}),
      ...init.kadDHT
    }
    const libp2p = await createLibp2p({
      start: false,
      ...(components.privateKey != null ? { privateKey: components.privateKey } : {}),
      datastore,
      logger: logger as Libp2pComponentLogger,
      addresses: { listen: init.listen },
      transports: init.transports.map(t => t === 'tcp' ? tcp() : memory()),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      nodeInfo: { userAgent: init.agentVersion },
      connectionManager: { allow: init.allow },
      connectionMonitor: { pingInterval: init.connectionPingInterval },
      // refuses banned peers, then asks init.connectionGater (see AbuseGuard)
      connectionGater: abuse.gater,
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT(kadInit)
      }
    })
    const agent: AgentInfo = {
      agent: rawInit.agent?.agent ?? '',
      role: rawInit.agent?.role ?? '',
      capabilities: [...(rawInit.agent?.capabilities ?? [])]
    }
    return new ChorusDHTNode(libp2p as unknown as Libp2p<ChorusServices>, init, datastore, recordKeys, guard, abuse, components, agent, log)
  }

  // ---------------------------------------------------------------- lifecycle

  isStarted (): boolean {
    return this.status === 'started'
  }

  async start (): Promise<void> {
    if (this.status === 'started') {
      return
    }
    if (this.status === 'stopping') {
      await this.stopPromise
    }
    if (this.startPromise != null) {
      return this.startPromise
    }
    this.status = 'starting'
    this.startPromise = this.doStart()
      .then(() => {
        this.status = 'started'
        this.startLoops()
      })
      .catch(async (err) => {
        this.status = 'stopped'
        await Promise.resolve(this.libp2p.stop()).catch(() => {})
        throw err
      })
      .finally(() => { this.startPromise = undefined })
    return this.startPromise
  }

  private async doStart (): Promise<void> {
    this.shutdown = new AbortController()
    await this.libp2p.start()
    await this.libp2p.handle(PEER_INFO_PROTOCOL, (stream) => { this.answerPeerInfo(stream) })
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.liveness.start(this.shutdown.signal)
    this.startedAt = this.clock.now()
    for await (const key of this.datastore.queryKeys({ prefix: RECORD_DATASTORE_PREFIX })) {
      this.recordKeys.add(key.toString())
    }
    this.log('started %s with protocol %s in %s mode', this.peerId, this.init.protocol, this.getMode())
  }

  /** Background loops start once the node is started (they call the public operations). */
  private startLoops (): void {
    const signal = this.shutdown.signal
    this.loops = [
      this.loop('discovery', this.init.discoveryInterval, signal, async (s) => { await this.discover(s) }),
      this.loop('peer cleanup', this.init.peerCleanupInterval, signal, async () => { this.cleanupPeers() })
    ]
    if (this.init.autoBootstrap && this.init.bootstrapPeers.length > 0) {
      this.loops.push(this.bootstrapLoop(signal))
    }
  }

  async stop (): Promise<void> {
    if (this.status === 'starting') {
      await this.startPromise?.catch(() => {})
    }
    if (this.status === 'stopped') {
      return
    }
    if (this.stopPromise != null) {
      return this.stopPromise
    }
    this.status = 'stopping'
    this.stopPromise = (async () => {
      this.shutdown.abort()
      this.libp2p.removeEventListener('peer:identify', this.onIdentify)
      this.liveness.stop()
      this.abuse.stop()
      await Promise.allSettled(this.loops)
      this.loops = []
      this.log('loops ended, stopping libp2p')
      await this.libp2p.unhandle(PEER_INFO_PROTOCOL).catch(() => {})
      await this.libp2p.stop()
      this.log('stopped %s', this.peerId)
      this.startedAt = 0
      this.status = 'stopped'
    })().finally(() => { this.stopPromise = undefined })
    return this.stopPromise
  }

  async close (): Promise<void> {
    await this.stop()
  }

  private assertStarted (): void {
    if (this.status !== 'started') {
      throw new NotStartedError('the DHT node is not started')
    }
  }

  /** Runs `fn` every `interval` until `signal` aborts; errors are logged, never thrown. */
  private async loop (name: string, interval: number, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await sleep(interval, signal)
        await fn(signal)
      } catch (err: any) {
        if (!signal.aborted) {
          this.log.error('%s loop failed - %e', name, err)
        }
      }
    }
  }

  // ---------------------------------------------------------------- addresses and peers

  getMultiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  getMode (): 'client' | 'server' {
    return this.kad.getMode()
  }

  getAgentInfo (): AgentInfo {
    return { ...this.agentInfo, capabilities: [...this.agentInfo.capabilities] }
  }

  getDiscoveredPeers (): RolePeer[] {
    return [...this.knownPeers.values()].map(p => ({ ...p, multiaddrs: [...p.multiaddrs], capabilities: [...(p.capabilities ?? [])] }))
  }

  getRoutingTablePeers (): string[] {
    return routingTablePeers(this.kad, this.peerId)
  }

  isBootstrapped (): boolean {
    return this.status === 'started' && this.libp2p.getConnections().length > 0
  }

  getConnectedPeers (): PeerInfo[] {
    const byPeer = new Map<string, Set<string>>()
    for (const conn of this.libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      const addrs = byPeer.get(id) ?? new Set<string>()
      addrs.add(conn.remoteAddr.toString())
      byPeer.set(id, addrs)
    }
    return [...byPeer].map(([id, addrs]) => ({ id, multiaddrs: [...addrs] }))
  }

  getStats (): DHTStats {
    const started = this.status === 'started'
    return {
      totalPeers: started ? this.getRoutingTablePeers().length : 0,
      totalKeys: this.recordKeys.size,
      uptime: started ? Math.max(0, this.clock.now() - this.startedAt) : 0,
      connectedPeers: started ? this.getConnectedPeers().length : 0
    }
  }

  getAbuseStats (): AbuseStats {
    return this.abuse.stats()
  }

  getDHTSize (): number {
    if (this.status !== 'started') {
      return 0
    }
    const ids = new Set(this.getRoutingTablePeers())
    for (const id of this.knownPeers.keys()) {
      ids.add(id)
    }
    ids.delete(this.peerId)
    return ids.size
  }

  // ---------------------------------------------------------------- bootstrap

  async bootstrap (options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    const addrs = this.init.bootstrapPeers.filter(addr => !addr.endsWith(`/p2p/${this.peerId}`))
    if (addrs.length === 0) {
      return
    }
    const op = new OperationSignal('bootstrap', this.init.bootstrapTimeout, this.shutdown.signal, options.signal)
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
    let conn: Connection
    try {
      conn = await this.libp2p.dial(ma, { signal })
    } catch (err: any) {
      if (expected != null && /does not match|expected remote peer|unexpected peer/i.test(String(err?.message))) {
        throw new InvalidParametersError(`bootstrap address ${addr} was answered by a different peer`, { cause: err })
      }
      throw err
    }
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

  private async bootstrapLoop (signal: AbortSignal): Promise<void> {
    try {
      if (this.init.joinStagger > 0) {
        await sleep(Math.floor(this.random.next() * this.init.joinStagger), signal)
      }
      while (!signal.aborted) {
        if (!this.isBootstrapped()) {
          try {
            await this.bootstrap({ signal })
          } catch (err: any) {
            if (!signal.aborted) {
              this.log('auto-bootstrap failed, retrying in %d ms - %e', this.init.bootstrapInterval, err)
            }
          }
        }
        await sleep(this.init.bootstrapInterval, signal)
      }
    } catch (err: any) {
      if (!signal.aborted) {
        this.log.error('bootstrap loop ended - %e', err)
      }
    }
  }

  // ---------------------------------------------------------------- records

  private async validate (key: string, value: Uint8Array): Promise<void> {
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
   */
  private async storeLocal (keyBytes: Uint8Array, value: Uint8Array, options?: AbortOptions): Promise<void> {
    const record = new Libp2pRecord(keyBytes, value, new Date())
    await this.datastore.put(this.dsKey(keyBytes), record.serialize(), options)
  }

  async putValue (key: string, value: Uint8Array, options: PutValueOptions = {}): Promise<PutResult> {
    this.assertStarted()
    const keyBytes = recordKeyBytes(key)
    if (!(value instanceof Uint8Array)) {
      throw new InvalidParametersError('value must be a Uint8Array')
    }
    if (options.minPeers != null) nonNegativeInteger('minPeers', options.minPeers)
    await this.validate(key, value)
    const op = new OperationSignal(`putValue ${key}`, this.init.queryTimeout, this.shutdown.signal, options.signal)
    const accepted = new Set<string>()
    const refused = new Set<string>()
    const confirmations: Array<Promise<void>> = []
    try {
      op.throwIfAborted()
      // a local refusal (RecordConflictError) ends the put before anything is sent
      await this.storeLocal(keyBytes, value, { signal: op.signal })
      if (this.kad.routingTable.size === 0) {
        return { remotePeers: 0, peers: [], refusedPeers: 0 }
      }
      const tracker = this.liveness.tracker(op.signal)
      // peers whose PUT_VALUE stream opened and carried the record
      const sent = new Set<string>()
      for await (const event of this.kad.put(keyBytes, value, { signal: op.signal })) {
        const failure = tracker.observe(event)
        if (event.name === 'SEND_QUERY' && event.messageName === 'PUT_VALUE') {
          sent.add(event.to.toString())
        } else if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE' && event.record != null &&
          uint8ArrayEquals(event.record.value, value)) {
          accepted.add(event.from.toString())
          if (options.minPeers != null && options.minPeers > 0 && accepted.size >= options.minPeers) {
            break
          }
        } else if (event.name === 'QUERY_ERROR' && failure === 'reset' && sent.has(event.from.toString())) {
          const from = event.from
          confirmations.push(this.confirmRefusal(from, key, keyBytes, value, op.signal).then(outcome => {
            if (outcome === 'refused') {
              refused.add(from.toString())
            } else if (outcome === 'stored') {
              accepted.add(from.toString())
            }
          }))
        }
      }
      await Promise.all(confirmations)
    } catch (err) {
      await Promise.allSettled(confirmations)
      // our own deadline: report what was achieved, the record is stored locally
      if (!(op.timedOut && !op.callerAborted)) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    accepted.delete(this.peerId)
    for (const id of accepted) {
      refused.delete(id)
    }
    return { remotePeers: accepted.size, peers: [...accepted], refusedPeers: refused.size }
  }

  /**
   * Tells a refusal from a broken request after a peer reset the stream of
   * our PUT_VALUE. kad-dht's RPC handler resets the stream when the handler
   * throws (our guard's `RecordConflictError`, or a validator), and sends no
   * answer; a connection that dies mid-request resets it too. So the peer is
   * asked for its copy (GET_VALUE): `'refused'` when it answers with a valid
   * record for the key other than ours (it holds one its rule keeps),
   * `'stored'` when it answers with ours, `'unknown'` otherwise (no answer:
   * unreachable, then also dropped from the routing table; or no valid
   * record: its validator refused). Never throws.
   */
  private async confirmRefusal (peer: PeerId, key: string, keyBytes: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<'refused' | 'stored' | 'unknown'> {
    const tracker = this.liveness.tracker(signal)
    try {
      for await (const event of this.kad.network.sendRequest(peer, { type: MessageType.GET_VALUE, key: keyBytes }, { signal, path: NO_PATH })) {
        tracker.observe(event)
        if (event.name === 'PEER_RESPONSE') {
          const record = event.record
          if (record == null || !uint8ArrayEquals(record.key, keyBytes)) {
            return 'unknown'
          }
          if (uint8ArrayEquals(record.value, value)) {
            return 'stored'
          }
          await this.validate(key, record.value)
          return 'refused'
        }
      }
    } catch (err: any) {
      this.log('could not confirm the refusal of %s by %s - %e', key, peer.toString(), err)
    }
    return 'unknown'
  }

  async removeLocal (key: string, value: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    this.assertStarted()
    const keyBytes = recordKeyBytes(key)
    if (!(value instanceof Uint8Array)) {
      throw new InvalidParametersError('value must be a Uint8Array')
    }
    const dsKey = this.dsKey(keyBytes)
    const op = new OperationSignal(`removeLocal ${key}`, this.init.peerRequestTimeout, this.shutdown.signal, options.signal)
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
    this.assertStarted()
    const keyBytes = recordKeyBytes(key)
    const quorum = positiveInteger('quorum', options.quorum ?? 1)
    const op = new OperationSignal(`getValue ${key}`, this.init.queryTimeout, this.shutdown.signal, options.signal)
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
    this.assertStarted()
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
    const op = new OperationSignal(`getValueFromPeer ${peerId}`, this.init.peerRequestTimeout, this.shutdown.signal, options.signal)
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

  async getClosestPeers (key: string, options: AbortOptions & { limit?: number } = {}): Promise<string[]> {
    this.assertStarted()
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidParametersError('key must be a non-empty string')
    }
    const limit = options.limit ?? 20
    const keyBytes = new TextEncoder().encode(key)
    const op = new OperationSignal('getClosestPeers', this.init.queryTimeout, this.shutdown.signal, options.signal)
    const peers: string[] = []
    try {
      op.throwIfAborted()
      if (this.kad.routingTable.size === 0) {
        return []
      }
      const tracker = this.liveness.tracker(op.signal)
      for await (const event of this.kad.getClosestPeers(keyBytes, { signal: op.signal })) {
        tracker.observe(event)
        if (event.name === 'FINAL_PEER') {
          const id = event.peer.id.toString()
          if (id !== this.peerId && !peers.includes(id)) {
            peers.push(id)
          }
        }
      }
    } catch (err) {
      if (!(op.timedOut && !op.callerAborted)) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    return peers.slice(0, limit)
  }

  // ---------------------------------------------------------------- providers

  async provide (key: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    const cid = await providerKeyToCID(key)
    await this.provideCID(cid, options)
  }

  private async provideCID (cid: CID, options: AbortOptions): Promise<void> {
    const op = new OperationSignal('provide', this.init.queryTimeout, this.shutdown.signal, options.signal)
    try {
      op.throwIfAborted()
      await this.kad.providers.addProvider(cid, this.libp2p.peerId, { signal: op.signal })
      if (this.kad.routingTable.size === 0) {
        return
      }
      const tracker = this.liveness.tracker(op.signal)
      for await (const event of this.kad.provide(cid, { signal: op.signal })) {
        tracker.observe(event)
      }
    } catch (err) {
      throw op.translate(err)
    } finally {
      op.clear()
    }
  }

  async findProviders (key: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    this.assertStarted()
    const limit = positiveInteger('limit', options.limit ?? DEFAULT_PROVIDER_LIMIT)
    const cid = await providerKeyToCID(key)
    const op = new OperationSignal('findProviders', this.init.queryTimeout, this.shutdown.signal, options.signal)
    const found = new Map<string, PeerInfo>()
    const add = (id: PeerId, addrs: Array<{ toString(): string }>): void => {
      const s = id.toString()
      if (found.has(s) || found.size >= limit) {
        return
      }
      found.set(s, {
        id: s,
        multiaddrs: s === this.peerId ? this.getMultiaddrs() : [...new Set(addrs.map(a => a.toString()))]
      })
    }
    try {
      op.throwIfAborted()
      for (const id of await this.kad.providers.getProviders(cid, { signal: op.signal })) {
        add(id, await this.addressesOf(id))
      }
      if (found.size < limit && this.kad.routingTable.size > 0) {
        const tracker = this.liveness.tracker(op.signal)
        for await (const event of this.kad.findProviders(cid, { signal: op.signal })) {
          tracker.observe(event)
          if (event.name === 'PROVIDER') {
            for (const p of event.providers) {
              add(p.id, p.multiaddrs)
            }
            if (found.size >= limit) {
              break
            }
          }
        }
      }
    } catch (err) {
      if (!(op.timedOut && !op.callerAborted)) {
        throw op.translate(err)
      }
    } finally {
      op.clear()
    }
    return [...found.values()]
  }

  private async addressesOf (id: PeerId): Promise<Array<{ toString(): string }>> {
    if (id.equals(this.libp2p.peerId)) {
      return this.libp2p.getMultiaddrs()
    }
    try {
      const peer = await this.libp2p.peerStore.get(id)
      return peer.addresses.map(a => a.multiaddr)
    } catch {
      return []
    }
  }

  // ---------------------------------------------------------------- roles and discovery

  async registerPeer (info: AgentInfo, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
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
    await Promise.all(keys.map(async k => { await this.provide(k, options) }))
  }

  async announceRole (role: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    if (typeof role !== 'string' || role === '') {
      throw new InvalidParametersError('role must be a non-empty string')
    }
    this.agentInfo.role = role
    await this.provide(`${ROLE_PROVIDER_PREFIX}${role}`, options)
  }

  async announceCapability (capability: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    if (typeof capability !== 'string' || capability === '') {
      throw new InvalidParametersError('capability must be a non-empty string')
    }
    if (!this.agentInfo.capabilities.includes(capability)) {
      this.agentInfo.capabilities.push(capability)
    }
    await this.provide(`${CAPABILITY_PROVIDER_PREFIX}${capability}`, options)
  }

  async findPeersByRole (role: string, options: AbortOptions & { limit?: number } = {}): Promise<RolePeer[]> {
    this.assertStarted()
    if (typeof role !== 'string' || role === '') {
      throw new InvalidParametersError('role must be a non-empty string')
    }
    const op = new OperationSignal('findPeersByRole', this.init.queryTimeout, this.shutdown.signal, options.signal)
    try {
      op.throwIfAborted()
      const providers = await this.findProviders(`${ROLE_PROVIDER_PREFIX}${role}`, { signal: op.signal, limit: options.limit })
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
    const op = new OperationSignal('peer-info', this.init.peerRequestTimeout, this.shutdown.signal, signal)
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
    const op = new OperationSignal('peer-info answer', this.init.peerRequestTimeout, this.shutdown.signal)
    writePeerInfo(stream, this.agentInfo, { signal: op.signal })
      .catch((err: any) => {
        this.log('answering peer-info failed - %e', err)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      })
      .finally(() => { op.clear() })
  }

  /** One discovery round: providers of `CHORUS:peer` are asked who they are. */
  private async discover (signal: AbortSignal): Promise<void> {
    if (this.kad.routingTable.size === 0) {
      return
    }
    this.log.trace('%s discovery round', this.peerId.slice(-6))
    const providers = await this.findProviders(PEER_PROVIDER_KEY, { signal, limit: 100 })
    this.log.trace('%s discovery found %d providers', this.peerId.slice(-6), providers.length)
    for (const p of providers) {
      if (signal.aborted) {
        return
      }
      if (p.id !== this.peerId) {
        await this.refreshPeerInfo(p, signal)
      }
    }
  }

  /** Drops discovered peers unseen for longer than `peerTTL`. */
  private cleanupPeers (): void {
    const cutoff = this.clock.now() - this.init.peerTTL
    for (const [id, peer] of this.knownPeers) {
      if (peer.lastSeen < cutoff) {
        this.knownPeers.delete(id)
      }
    }
  }
}
