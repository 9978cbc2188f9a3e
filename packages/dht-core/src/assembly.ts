import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { defaultLogger } from '@libp2p/logger'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { AbuseGuard } from './abuse-guard.js'
import { DEFAULT_QUERY_SELF_INTERVAL } from './constants.js'
import { kadInternals, setRoutingTableRefreshInterval } from './internals.js'
import { noiseCrypto } from './noise-crypto.js'
import { guardedDatastore, RecordGuard } from './record-guard.js'
import { jittered } from './utils.js'
import type { ResolvedInit } from './init.js'
import type { KadDHTInternals } from './internals.js'
import type { ChorusDHTComponents, ChorusServices } from './index.js'
import type { ComponentLogger, RandomSource } from '@chorus-dht/types'
import type { ComponentLogger as Libp2pComponentLogger, Libp2p } from '@libp2p/interface'
import type { KadDHT, KadDHTInit, SelectFn, ValidateFn } from '@libp2p/kad-dht'
import type { Datastore } from 'interface-datastore'

const DECODER = new TextDecoder()

/** The parts of a node that exist before it starts. */
export interface Assembly {
  libp2p: Libp2p<ChorusServices>
  kad: KadDHTInternals
  /** The guarded datastore: every record write passes the guard and the quotas. */
  datastore: Datastore
  /** Datastore keys of stored records, kept by the datastore wrapper. */
  recordKeys: Set<string>
  guard: RecordGuard
  abuse: AbuseGuard
  logger: ComponentLogger
  random: RandomSource
}

/**
 * Builds the (unstarted) libp2p node of chorus-dht: transports, noise,
 * yamux, identify, ping and kad-dht under the CHORUS protocol, over the
 * guarded datastore, with kad-dht's maintenance periods spread per node.
 */
export async function assemble (init: ResolvedInit, components: ChorusDHTComponents): Promise<Assembly> {
  const logger = components.logger ?? defaultLogger()
  const random = components.random ?? { next: () => Math.random() }
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
    // not allowQueryWithZeroPeers: it would also let kad-dht's first
    // self-query run (and end, finding nothing) before bootstrap added a
    // peer, and the next one comes querySelfInterval later; the parts guard
    // on the routing-table size instead
    // per node, so that nodes started together do not look themselves up in step
    querySelfInterval: jittered(DEFAULT_QUERY_SELF_INTERVAL, random),
    ...(clientMode === undefined ? {} : { clientMode }),
    ...(lan ? { peerInfoMapper: passthroughMapper } : {}),
    ...init.kadDHT
  }
  const libp2p = await createLibp2p({
    start: false,
    ...(components.privateKey != null ? { privateKey: components.privateKey } : {}),
    datastore,
    logger: logger as Libp2pComponentLogger,
    ...(components.metrics != null ? { metrics: components.metrics } : {}),
    addresses: { listen: init.listen },
    transports: init.transports.map(t => t === 'tcp' ? tcp() : memory()),
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    // no yamux keep-alive: it only sends ping frames (it never closes a dead
    // connection); the connection monitor already pings every connection
    // every connectionPingInterval and aborts the ones that do not answer
    streamMuxers: [yamux({ enableKeepAlive: false })],
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
  const kad = kadInternals(libp2p.services.dht as KadDHT)
  setRoutingTableRefreshInterval(kad, jittered(init.routingTableRefreshInterval, random))
  return { libp2p: libp2p as unknown as Libp2p<ChorusServices>, kad, datastore, recordKeys, guard, abuse, logger, random }
}
