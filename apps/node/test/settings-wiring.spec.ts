import { Writable } from 'node:stream'
import { chorusRecordPolicy } from '@chorus-dht/encrypted-storage'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { SETTINGS } from '../src/config/settings.js'
import { createDhtLayer, hybridDhtInit, realDhtInit } from '../src/dht-layer.js'
import { replicationInit, storageInit } from '../src/library-inits.js'
import { componentLogger, createLogger } from '../src/logger.js'
import type { DhtLayer } from '../src/dht-layer.js'

// The settings reach the library they configure: a real dht-core node
// over loopback TCP, built by the node's DHT layer from a loaded config.
describe('settings reach the DHT', () => {
  let layer: DhtLayer | undefined
  afterEach(async () => {
    await layer?.stop()
    layer = undefined
  })

  async function build (settings: Record<string, string | string[]>, lines?: string[]): Promise<DhtLayer> {
    const config = await loadConfig({ env: {}, flags: { listen: ['/ip4/127.0.0.1/tcp/0'], settings: { 'dht.healthCheckInterval': '60s', ...settings } } })
    const stream = new Writable({ write (chunk, _enc, cb) { lines?.push(...String(chunk).split('\n').filter(Boolean)); cb() } })
    const logger = componentLogger(createLogger({ level: 'silent', format: 'json', components: config.log.components, destination: stream }))
    const privateKey = await generateKeyPair('Ed25519')
    layer = await createDhtLayer({
      config,
      privateKey,
      peerId: peerIdFromPrivateKey(privateKey).toString(),
      datastore: new MemoryDatastore(),
      journal: new MemoryDatastore(),
      policy: chorusRecordPolicy(),
      logger
    })
    await layer.start()
    return layer
  }

  it('p2p.mode sets kad-dht\'s mode', async () => {
    const client = await build({ 'p2p.mode': 'client' })
    expect((await client.status()).mode).toBe('client')
    await client.stop()
    layer = undefined
    const server = await build({ 'p2p.mode': 'server', 'p2p.allowPrivateAddresses': 'false' })
    expect((await server.status()).mode).toBe('server')
  }, 30_000)

  it('the DHT logs under the prefix log.components selects by', async () => {
    const lines: string[] = []
    await build({ 'log.components': 'chorus-dht:dht=debug' }, lines)
    const components = new Set(lines.map(l => JSON.parse(l).component))
    expect([...components].some(c => c.startsWith('chorus-dht:dht:'))).toBe(true)
    expect([...components].every(c => c.startsWith('chorus-dht:dht'))).toBe(true)
  }, 30_000)
})

// Every p2p.* and dht.* setting, set to a value other than its default,
// reaches the init the node builds dht-core and the hybrid DHT from. A
// setting added to the table but not passed on fails here.
describe('every p2p and dht setting reaches its library\'s init', () => {
  // the one setting the node's DHT layer uses itself (its announce loop),
  // not a library's: its effect is tested in dht-layer.spec
  const LAYER_OWN = new Set(['p2p.announceInterval'])
  const INIT_NAME: Record<string, string> = { 'p2p.bootstrap': 'bootstrapPeers' }
  const HYBRID_TOO: Record<string, string> = { 'p2p.bootstrap': 'bootstrapNodes' }

  it('sets each one in dht-core\'s or the hybrid\'s init, as loaded', async () => {
    const key = await generateKeyPair('Ed25519')
    const bootstrapPeer = `/ip4/127.0.0.1/tcp/4001/p2p/${peerIdFromPrivateKey(key).toString()}`
    const text = (spec: (typeof SETTINGS)[number]): string | string[] => {
      if (spec.key === 'p2p.mode') return 'server'
      if (spec.key === 'p2p.listen') return ['/ip4/127.0.0.1/tcp/4444']
      if (spec.kind === 'bool') return String(spec.default !== true)
      if (spec.kind === 'duration') return '77s'
      if (spec.kind === 'int') return '7'
      throw new Error(`no test value for ${spec.key} (${spec.kind})`)
    }
    const specs = SETTINGS.filter(spec => /^(p2p|dht)\./.test(spec.key) && !LAYER_OWN.has(spec.key))
    expect(specs.length).toBeGreaterThan(15)
    // the bootstrap list has its own priority (assignment, flags, file,
    // variable): given here by its flag
    const settings = Object.fromEntries(specs.filter(spec => spec.key !== 'p2p.bootstrap').map(spec => [spec.key, text(spec)]))
    const config = await loadConfig({ env: {}, flags: { settings, bootstrap: [bootstrapPeer] } })
    const policy = chorusRecordPolicy()
    const real = realDhtInit(config, policy) as Record<string, unknown>
    const hybrid = hybridDhtInit(config, policy) as Record<string, unknown>
    for (const spec of specs) {
      const [section, name] = spec.key.split('.') as ['p2p' | 'dht', string]
      const value = (config[section] as Record<string, unknown>)[name]
      expect(value, `${spec.key} loaded`).not.toEqual(spec.default)
      const init = section === 'p2p' ? real : hybrid
      expect(init[INIT_NAME[spec.key] ?? name], spec.key).toEqual(value)
      if (HYBRID_TOO[spec.key] != null) expect(hybrid[HYBRID_TOO[spec.key]], `${spec.key} (hybrid)`).toEqual(value)
    }
    expect(real.agent).toEqual({ agent: config.agent, role: config.role, capabilities: [] })
    expect(real.validators).toBe(policy.validators)
    expect(real.start).toBe(false)
  })
})

describe('every storage and replication setting reaches its library\'s init', () => {
  // whether the node runs a replication manager at all: node.e2e's and
  // api.node's nodes run with it on and off
  const NODE_OWN = new Set(['replication.enabled'])

  it('sets each one in encrypted-storage\'s or the replication manager\'s init, as loaded', async () => {
    const specs = SETTINGS.filter(spec => /^(storage|replication)\./.test(spec.key) && !NODE_OWN.has(spec.key))
    expect(specs.length).toBeGreaterThan(15)
    const text = (spec: (typeof SETTINGS)[number]): string => {
      if (spec.kind === 'bool') return String(spec.default !== true)
      if (spec.kind === 'duration') return '77s'
      if (spec.kind === 'int') return '7'
      throw new Error(`no test value for ${spec.key} (${spec.kind})`)
    }
    const config = await loadConfig({ env: {}, flags: { settings: Object.fromEntries(specs.map(spec => [spec.key, text(spec)])) } })
    const storage = storageInit(config) as Record<string, unknown>
    const replication = replicationInit(config) as Record<string, unknown>
    for (const spec of specs) {
      const [section, name] = spec.key.split('.') as ['storage' | 'replication', string]
      const value = (config[section] as Record<string, unknown>)[name]
      expect(value, `${spec.key} loaded`).not.toEqual(spec.default)
      if (section === 'storage') {
        expect(storage[name], spec.key).toEqual(value)
      } else {
        expect(replication[name === 'factor' ? 'replicationFactor' : name], spec.key).toEqual(value)
      }
    }
    // the storage layer writes as many copies as replication keeps
    expect(storage.replicationFactor).toBe(config.replication.factor)
  })
})
