import { randomUUID } from 'node:crypto'
import { nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber, timerDelay } from '@chorus-dht/utils'
import { InvalidParametersError } from '@chorus-dht/types'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_AGENT_VERSION,
  DEFAULT_BAN_DURATION,
  DEFAULT_BOOTSTRAP_INTERVAL,
  DEFAULT_BOOTSTRAP_TIMEOUT,
  DEFAULT_CONNECTION_PING_INTERVAL,
  DEFAULT_DISCOVERY_INTERVAL,
  DEFAULT_INBOUND_PUT_BURST,
  DEFAULT_INBOUND_PUT_RATE,
  DEFAULT_JOIN_STAGGER,
  DEFAULT_LOG_PREFIX,
  DEFAULT_MAX_BYTES_PER_PEER,
  DEFAULT_MAX_PEER_STRIKES,
  DEFAULT_MAX_RECORDS_PER_PEER,
  DEFAULT_PEER_CHECK_TIMEOUT,
  DEFAULT_PEER_CLEANUP_INTERVAL,
  DEFAULT_PEER_REQUEST_TIMEOUT,
  DEFAULT_PEER_TTL,
  DEFAULT_PROTOCOL,
  DEFAULT_PUT_BACKGROUND_TIMEOUT,
  DEFAULT_PUT_MIN_PEERS,
  DEFAULT_PUT_REPLICAS,
  DEFAULT_QUERY_TIMEOUT,
  DEFAULT_ROUTING_TABLE_REFRESH_INTERVAL,
  DEFAULT_STRIKE_WINDOW,
  DEFAULT_TCP_LISTEN
} from './constants.js'
import type { AbuseGuardInit } from './abuse-guard.js'
import type { ChorusDHTInit, ChorusDHTMode, ChorusTransport } from './index.js'
import type { RecordReplacer, RecordSelector, RecordValidator } from '@chorus-dht/types'
import type { KadDHTInit } from '@libp2p/kad-dht'

/** Every option resolved once; the abuse limits as the guard takes them. */
export interface ResolvedInit extends Omit<AbuseGuardInit, 'log'> {
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
  putMinPeers: number
  putReplicas: number
  putBackgroundTimeout: number
  routingTableRefreshInterval: number
  kadDHT: Partial<KadDHTInit>
}


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

export function resolveInit (init: ChorusDHTInit): ResolvedInit {
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
    putMinPeers: init.putMinPeers == null ? DEFAULT_PUT_MIN_PEERS : nonNegativeInteger('putMinPeers', init.putMinPeers),
    // kad-dht's k: the number of closest peers a record belongs on
    putReplicas: init.putReplicas == null ? (init.kadDHT?.kBucketSize ?? DEFAULT_PUT_REPLICAS) : positiveInteger('putReplicas', init.putReplicas),
    routingTableRefreshInterval: timerDuration('routingTableRefreshInterval', init.routingTableRefreshInterval, DEFAULT_ROUTING_TABLE_REFRESH_INTERVAL),
    putBackgroundTimeout: timerDuration('putBackgroundTimeout', init.putBackgroundTimeout, DEFAULT_PUT_BACKGROUND_TIMEOUT),
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
