// resolveInit (src/init.ts): the defaults of every setting, each value
// passed through as given, and each bad value refused with an
// InvalidParametersError that names the setting. constants.spec checks the
// defaults against the README's Init table.
import { describe, expect, it } from 'vitest'
import * as C from '../src/constants.js'
import { resolveInit } from '../src/init.js'
import type { ChorusDHTInit } from '../src/index.js'

describe('resolveInit', () => {
  it('fills every default', () => {
    const r = resolveInit({})
    expect(r).toMatchObject({
      logPrefix: C.DEFAULT_LOG_PREFIX,
      listen: [C.DEFAULT_TCP_LISTEN],
      transports: ['tcp'],
      bootstrapPeers: [],
      bootstrapTimeout: C.DEFAULT_BOOTSTRAP_TIMEOUT,
      bootstrapInterval: C.DEFAULT_BOOTSTRAP_INTERVAL,
      autoBootstrap: true,
      joinStagger: C.DEFAULT_JOIN_STAGGER,
      discoveryInterval: C.DEFAULT_DISCOVERY_INTERVAL,
      peerCleanupInterval: C.DEFAULT_PEER_CLEANUP_INTERVAL,
      peerTTL: C.DEFAULT_PEER_TTL,
      mode: 'auto',
      allowPrivateAddresses: false,
      protocol: C.DEFAULT_PROTOCOL,
      validators: {},
      selectors: {},
      replacers: {},
      queryTimeout: C.DEFAULT_QUERY_TIMEOUT,
      peerRequestTimeout: C.DEFAULT_PEER_REQUEST_TIMEOUT,
      agentVersion: C.DEFAULT_AGENT_VERSION,
      allow: [],
      pingNewContacts: false,
      peerCheckTimeout: C.DEFAULT_PEER_CHECK_TIMEOUT,
      connectionPingInterval: C.DEFAULT_CONNECTION_PING_INTERVAL,
      putMinPeers: C.DEFAULT_PUT_MIN_PEERS,
      putReplicas: C.DEFAULT_PUT_REPLICAS,
      routingTableRefreshInterval: C.DEFAULT_ROUTING_TABLE_REFRESH_INTERVAL,
      putBackgroundTimeout: C.DEFAULT_PUT_BACKGROUND_TIMEOUT,
      inboundPutRate: C.DEFAULT_INBOUND_PUT_RATE,
      inboundPutBurst: C.DEFAULT_INBOUND_PUT_BURST,
      maxRecordsPerPeer: C.DEFAULT_MAX_RECORDS_PER_PEER,
      maxBytesPerPeer: C.DEFAULT_MAX_BYTES_PER_PEER,
      maxPeerStrikes: C.DEFAULT_MAX_PEER_STRIKES,
      strikeWindow: C.DEFAULT_STRIKE_WINDOW,
      banDuration: C.DEFAULT_BAN_DURATION,
      kadDHT: {}
    })
    expect(r).not.toHaveProperty('connectionGater')
  })

  it('listens on a fresh memory address per memory transport, and on loopback TCP', () => {
    const one = resolveInit({ transports: ['memory'] }).listen
    const two = resolveInit({ transports: ['memory'] }).listen
    expect(one).toHaveLength(1)
    expect(one[0]).toMatch(/^\/memory\/[0-9a-f-]{36}$/)
    expect(one[0]).not.toBe(two[0])
    const both = resolveInit({ transports: ['tcp', 'memory'] }).listen
    expect(both[0]).toBe(C.DEFAULT_TCP_LISTEN)
    expect(both[1]).toMatch(/^\/memory\//)
  })

  it('passes every given value through', () => {
    const validators = { CHORUS: () => {} }
    const gater = { denyDialPeer: async () => false }
    const init: ChorusDHTInit = {
      logPrefix: 'p',
      listen: ['/ip4/127.0.0.1/tcp/4001'],
      transports: ['memory', 'tcp'],
      bootstrapPeers: ['/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWLRPJAA5o6C9qVU6QAZ3rJ9V5yqvKSLzSVy6AXxtzkHTk'],
      bootstrapTimeout: 11,
      bootstrapInterval: 12,
      autoBootstrap: false,
      joinStagger: 0,
      discoveryInterval: 13,
      peerCleanupInterval: 14,
      peerTTL: 15,
      mode: 'client',
      allowPrivateAddresses: true,
      protocol: '/x/1',
      validators,
      queryTimeout: 16,
      peerRequestTimeout: 17,
      agentVersion: 'v',
      allow: ['/ip4/10.0.0.0/ipcidr/8'],
      pingNewContacts: true,
      peerCheckTimeout: 18,
      connectionPingInterval: 19,
      putMinPeers: 0,
      putReplicas: 5,
      routingTableRefreshInterval: 20,
      putBackgroundTimeout: 21,
      inboundPutRate: 2.5,
      inboundPutBurst: 3,
      maxRecordsPerPeer: 4,
      maxBytesPerPeer: 5,
      maxPeerStrikes: 6,
      strikeWindow: 22,
      banDuration: 23,
      connectionGater: gater as any,
      kadDHT: { kBucketSize: 7 }
    }
    const r = resolveInit(init)
    const { validators: _v, connectionGater: _g, ...rest } = init
    expect(r).toMatchObject(rest)
    expect(r.validators).toEqual(validators)
    // a copy of the maps, not the caller's object
    expect(r.validators).not.toBe(validators)
    expect(r.connectionGater).toBe(gater)
  })

  it('takes putReplicas from kad-dht\'s kBucketSize when it is not given', () => {
    expect(resolveInit({ kadDHT: { kBucketSize: 9 } }).putReplicas).toBe(9)
    expect(resolveInit({ kadDHT: { kBucketSize: 9 }, putReplicas: 4 }).putReplicas).toBe(4)
  })

  it('refuses unknown transports and modes, and addresses that are not multiaddrs, naming them', () => {
    const refused = (init: ChorusDHTInit, message: string): void => {
      expect(() => resolveInit(init)).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message }))
    }
    refused({ transports: [] }, 'transports must be a non-empty list of \'tcp\' and \'memory\', got []')
    refused({ transports: ['tcp', 'udp' as any] }, 'transports must be a non-empty list of \'tcp\' and \'memory\', got ["tcp","udp"]')
    refused({ mode: 'peer' as any }, 'mode must be \'auto\', \'client\' or \'server\', got "peer"')
    refused({ listen: ['nowhere'] }, 'not a multiaddr: "nowhere"')
    refused({ bootstrapPeers: ['/ip4/127.0.0.1/tcp/1', 'bad'] }, 'not a multiaddr: "bad"')
    for (const mode of ['auto', 'client', 'server'] as const) expect(resolveInit({ mode }).mode).toBe(mode)
  })

  it('refuses a bad number for each setting, naming it; zero only where allowed', () => {
    const positiveMs = ['bootstrapTimeout', 'bootstrapInterval', 'discoveryInterval', 'peerCleanupInterval', 'peerTTL', 'queryTimeout', 'peerRequestTimeout', 'peerCheckTimeout', 'connectionPingInterval']
    const timers = ['routingTableRefreshInterval', 'putBackgroundTimeout', 'strikeWindow', 'banDuration']
    const limits = ['inboundPutRate', 'inboundPutBurst', 'maxRecordsPerPeer', 'maxBytesPerPeer', 'maxPeerStrikes']
    for (const name of [...positiveMs, ...timers, ...limits, 'putReplicas']) {
      for (const bad of [0, -1, Number.NaN]) {
        expect(() => resolveInit({ [name]: bad }), `${name} = ${bad}`).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining(name) }))
      }
    }
    for (const name of ['joinStagger', 'putMinPeers']) {
      expect(resolveInit({ [name]: 0 })[name as 'joinStagger']).toBe(0)
      expect(() => resolveInit({ [name]: -1 }), name).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining(name) }))
    }
    // integers where a count is meant
    for (const name of ['inboundPutBurst', 'maxRecordsPerPeer', 'maxBytesPerPeer', 'maxPeerStrikes', 'putReplicas', 'putMinPeers']) {
      expect(() => resolveInit({ [name]: 1.5 }), name).toThrow(expect.objectContaining({ message: expect.stringContaining(name) }))
    }
    expect(resolveInit({ inboundPutRate: 1.5 }).inboundPutRate).toBe(1.5)
    // limits may be unlimited, but not the burst of the rate limiter
    for (const name of ['inboundPutRate', 'maxRecordsPerPeer', 'maxBytesPerPeer', 'maxPeerStrikes']) {
      expect(resolveInit({ [name]: Number.POSITIVE_INFINITY })[name as 'inboundPutRate']).toBe(Number.POSITIVE_INFINITY)
    }
    expect(() => resolveInit({ inboundPutBurst: Number.POSITIVE_INFINITY })).toThrow(expect.objectContaining({ message: expect.stringContaining('inboundPutBurst') }))
    // timers must fit a setTimeout
    expect(() => resolveInit({ putBackgroundTimeout: 2 ** 31 })).toThrow(expect.objectContaining({ message: expect.stringContaining('putBackgroundTimeout') }))
    expect(() => resolveInit({ queryTimeout: Number.POSITIVE_INFINITY })).toThrow(expect.objectContaining({ message: 'queryTimeout must be a positive number of ms, got Infinity' }))
  })
})
