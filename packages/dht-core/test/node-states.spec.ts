// The facade's states (README "Lifecycle"): start and stop are idempotent,
// safe to call concurrently and in either order while the other runs; a
// failed start leaves a stopped node; operations before start or after
// stop are a NotStartedError; each part logs under its own component name.
// A lone node on the memory transport; lifecycle.spec checks that nothing
// is left running after stop, in a process of its own.
import { prefixLogger } from '@libp2p/logger'
import { afterEach, describe, expect, it } from 'vitest'
import { createChorusDHT } from '../src/index.js'
import { bytes, policy } from './fixtures.js'
import type { ChorusDHT } from '../src/index.js'
import type { ComponentLogger } from '@libp2p/interface'

describe('the states of a node', () => {
  const nodes: ChorusDHT[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })
  const make = async (init: Parameters<typeof createChorusDHT>[0] = {}, components: Parameters<typeof createChorusDHT>[1] = {}): Promise<ChorusDHT> => {
    const node = await createChorusDHT({ transports: ['memory'], ...policy, start: false, ...init }, components)
    nodes.push(node)
    return node
  }
  const notStarted = { name: 'NotStartedError', message: 'the DHT node is not started' }

  it('refuses every operation before start and after stop with NotStartedError, and reports zeros', async () => {
    const node = await make()
    expect(node.isStarted()).toBe(false)
    const refused = async (): Promise<void> => {
      await expect(node.putValue('/CHORUS/x', bytes(1))).rejects.toMatchObject(notStarted)
      await expect(node.getValue('/CHORUS/x')).rejects.toMatchObject(notStarted)
      await expect(node.bootstrap()).rejects.toMatchObject(notStarted)
      await expect(node.provide('CHORUS:x')).rejects.toMatchObject(notStarted)
      expect(node.isBootstrapped()).toBe(false)
      expect(node.getDHTSize()).toBe(0)
      expect(node.getStats()).toMatchObject({ totalPeers: 0, uptime: 0, connectedPeers: 0 })
    }
    await refused()
    await node.start()
    expect(node.isStarted()).toBe(true)
    expect(await node.putValue('/CHORUS/x', bytes(1))).toMatchObject({ remotePeers: 0 })
    await node.stop()
    expect(node.isStarted()).toBe(false)
    await refused()
    // the records outlive a restart of the same node
    await node.start()
    expect(await node.getValue('/CHORUS/x')).toEqual(bytes(1))
    expect(node.getStats().totalKeys).toBe(1)
  })

  it('takes concurrent starts and stops, in any order, and ends in the state last asked for', async () => {
    const node = await make()
    await Promise.all([node.start(), node.start()])
    expect(node.isStarted()).toBe(true)
    await node.start()
    await Promise.all([node.stop(), node.stop()])
    expect(node.isStarted()).toBe(false)
    await node.stop()
    // a stop asked while starting waits for the start, then stops
    const starting = node.start()
    const stopping = node.stop()
    await Promise.all([starting, stopping])
    expect(node.isStarted()).toBe(false)
    // a start asked while stopping waits for the stop, then starts
    await node.start()
    const stopped = node.stop()
    const restarted = node.start()
    await Promise.all([stopped, restarted])
    expect(node.isStarted()).toBe(true)
    expect(await node.putValue('/CHORUS/again', bytes(2))).toMatchObject({ remotePeers: 0 })
    // close is stop
    await node.close()
    expect(node.isStarted()).toBe(false)
  })

  it('leaves a node whose start failed stopped, and says why', async () => {
    // an address no transport of the node can listen on
    const node = await make({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    const err = await Promise.resolve(node.start()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(node.isStarted()).toBe(false)
    await expect(node.putValue('/CHORUS/x', bytes(1))).rejects.toMatchObject(notStarted)
    // and a stop of it is a no-op
    await node.stop()
    expect(node.isStarted()).toBe(false)
  })

  it('copies its agent info, and defaults it to no agent, no role and no capabilities', async () => {
    expect((await make()).getAgentInfo()).toEqual({ agent: '', role: '', capabilities: [] })
    const capabilities = ['search']
    const node = await make({ agent: { agent: 'a1', role: 'admin', capabilities } })
    capabilities.push('later')
    expect(node.getAgentInfo()).toEqual({ agent: 'a1', role: 'admin', capabilities: ['search'] })
  })

  it('logs each part under its own component name, below logPrefix', async () => {
    const names = new Set<string>()
    const base = prefixLogger('test')
    const logger: ComponentLogger = { forComponent: (name: string) => { names.add(name); return base.forComponent(name) } }
    const node = await make({ logPrefix: 'p' }, { logger })
    await node.start()
    for (const part of ['peer-liveness', 'records', 'record-put', 'role-discovery', 'bootstrap', 'record-guard', 'abuse']) {
      expect(names, part).toContain(`p:${part}`)
    }
  })
})
