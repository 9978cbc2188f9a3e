import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as c from '../src/constants.js'
import { DEFAULT_PROTOCOL } from '../src/index.js'

it('speaks the CHORUS Kademlia protocol', () => { expect(DEFAULT_PROTOCOL).toBe('/CHORUS/kad/1.0.0') })

// The defaults table of the README ("Init") against the constants the node
// resolves its init with: a default changed in one place and not the other fails.
it('has the defaults the README documents', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const documented = new Map<string, string>()
  for (const [, name, value] of readme.matchAll(/^\| `(\w+)` \| `([^`]*)`/gm)) documented.set(name, value)
  const constants: Record<string, unknown> = {
    bootstrapTimeout: c.DEFAULT_BOOTSTRAP_TIMEOUT,
    bootstrapInterval: c.DEFAULT_BOOTSTRAP_INTERVAL,
    joinStagger: c.DEFAULT_JOIN_STAGGER,
    discoveryInterval: c.DEFAULT_DISCOVERY_INTERVAL,
    peerCleanupInterval: c.DEFAULT_PEER_CLEANUP_INTERVAL,
    peerTTL: c.DEFAULT_PEER_TTL,
    protocol: `'${c.DEFAULT_PROTOCOL}'`,
    queryTimeout: c.DEFAULT_QUERY_TIMEOUT,
    putMinPeers: c.DEFAULT_PUT_MIN_PEERS,
    putBackgroundTimeout: c.DEFAULT_PUT_BACKGROUND_TIMEOUT,
    routingTableRefreshInterval: c.DEFAULT_ROUTING_TABLE_REFRESH_INTERVAL,
    peerRequestTimeout: c.DEFAULT_PEER_REQUEST_TIMEOUT,
    agentVersion: `'${c.DEFAULT_AGENT_VERSION}'`,
    peerCheckTimeout: c.DEFAULT_PEER_CHECK_TIMEOUT,
    connectionPingInterval: c.DEFAULT_CONNECTION_PING_INTERVAL,
    inboundPutRate: c.DEFAULT_INBOUND_PUT_RATE,
    inboundPutBurst: c.DEFAULT_INBOUND_PUT_BURST,
    maxRecordsPerPeer: c.DEFAULT_MAX_RECORDS_PER_PEER,
    maxBytesPerPeer: c.DEFAULT_MAX_BYTES_PER_PEER,
    maxPeerStrikes: c.DEFAULT_MAX_PEER_STRIKES,
    strikeWindow: c.DEFAULT_STRIKE_WINDOW,
    banDuration: c.DEFAULT_BAN_DURATION
  }
  for (const [name, value] of Object.entries(constants)) {
    expect(documented.get(name), name).toBe(String(value))
  }
  // `kadDHT.kBucketSize` or `20`
  expect(readme).toContain(`| \`putReplicas\` | \`kadDHT.kBucketSize\` or \`${c.DEFAULT_PUT_REPLICAS}\` |`)
})

// The rest are documented in prose (README sections named below) or are wire names.
it('has the documented wire names, limits and intervals', () => {
  expect(c.PEER_INFO_PROTOCOL).toBe('/CHORUS/peer-info/1.0.0')
  expect(c.PEER_PROVIDER_KEY).toBe('CHORUS:peer')
  expect(c.ROLE_PROVIDER_PREFIX).toBe('CHORUS:role:')
  expect(c.CAPABILITY_PROVIDER_PREFIX).toBe('CHORUS:capability:')
  expect(c.RECORD_DATASTORE_PREFIX).toBe('/dht/record')
  expect(c.DEFAULT_TCP_LISTEN).toBe('/ip4/127.0.0.1/tcp/0')
  expect(c.DEFAULT_LOG_PREFIX).toBe('chorus-dht:dht-core')
  // "a round asks at most 20 providers"; "findProviders … limit 20"
  expect(c.MAX_DISCOVERY_REFRESHES).toBe(20)
  expect(c.DEFAULT_PROVIDER_LIMIT).toBe(20)
  expect(c.MAX_PEER_INFO_SIZE).toBe(16_384)
  // "self-query runs every 10 min ±20% too"
  expect(c.DEFAULT_QUERY_SELF_INTERVAL).toBe(600_000)
  // "Hostile peers": an unreachable peer is pinged before it rejoins for 10 minutes
  expect(c.UNREACHABLE_PEER_TTL).toBe(600_000)
  expect(c.MAX_PEER_CHECKS).toBe(32)
  expect(c.PUT_LOOKUP_ALPHA).toBe(3)
})
