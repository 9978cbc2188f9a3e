import { Writable } from 'node:stream'
import { chorusRecordPolicy } from '@chorus-dht/encrypted-storage'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { createDhtLayer } from '../src/dht-layer.js'
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
