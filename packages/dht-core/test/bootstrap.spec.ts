import { afterEach, describe, expect, it } from 'vitest'
import { createChorusDHT } from '../src/index.js'
import { bytes, policy, waitFor } from './fixtures.js'
import type { ChorusDHT, ChorusDHTInit } from '../src/index.js'

const base: ChorusDHTInit = { transports: ['memory'], allowPrivateAddresses: true, joinStagger: 0, ...policy }

describe('bootstrap', () => {
  const nodes: ChorusDHT[] = []
  const make = async (init: ChorusDHTInit = {}): Promise<ChorusDHT> => {
    const node = await createChorusDHT({ ...base, ...init })
    nodes.push(node)
    return node
  }

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  it('joins through the configured peers and can then use the DHT', async () => {
    const seed = await make()
    const joiner = await make({ bootstrapPeers: seed.getMultiaddrs(), autoBootstrap: false })
    expect(joiner.isBootstrapped()).toBe(false)
    await joiner.bootstrap()
    expect(joiner.isBootstrapped()).toBe(true)
    expect(joiner.getConnectedPeers().map(p => p.id)).toContain(seed.peerId)
    const result = await joiner.putValue('/CHORUS/joined', bytes(5))
    expect(result.peers).toEqual([seed.peerId])
    expect(await seed.getValue('/CHORUS/joined')).toEqual(bytes(5))
  })

  it('bootstraps by itself when autoBootstrap is on', async () => {
    const seed = await make()
    const joiner = await make({ bootstrapPeers: seed.getMultiaddrs() })
    await waitFor(() => joiner.getRoutingTablePeers().includes(seed.peerId), 20_000, 'auto-bootstrap')
  })

  it('rejects a bootstrap address whose /p2p/ id is not the peer that answers', async () => {
    const seed = await make()
    const impostor = await make()
    const addr = seed.getMultiaddrs()[0].replace(seed.peerId, impostor.peerId)
    const joiner = await make({ bootstrapPeers: [addr], autoBootstrap: false })
    const err = await joiner.bootstrap().catch(e => e)
    expect(err).toHaveProperty('name', 'BackendUnavailableError')
    // the failure is the id mismatch, not any dial failure: the one cause is the mismatch error
    expect(err.message).toContain(`was answered by ${seed.peerId}`)
    expect(err.cause).toBeInstanceOf(AggregateError)
    expect(err.cause.errors.map((e: Error) => e.name)).toEqual(['InvalidParametersError'])
    expect(joiner.isBootstrapped()).toBe(false)
    expect(joiner.getConnectedPeers().map(p => p.id)).not.toContain(seed.peerId)
  })

  it('reports unreachable bootstrap peers', async () => {
    const seed = await make()
    const addr = seed.getMultiaddrs()[0]
    await seed.stop()
    const joiner = await make({ bootstrapPeers: [addr], autoBootstrap: false, bootstrapTimeout: 5_000 })
    await expect(joiner.bootstrap()).rejects.toHaveProperty('name', 'BackendUnavailableError')
  })

  it('resolves at once with no bootstrap peers configured', async () => {
    const node = await make()
    await node.bootstrap()
    expect(node.isBootstrapped()).toBe(false)
  })
})
