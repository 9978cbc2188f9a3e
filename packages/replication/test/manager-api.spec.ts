import { afterEach, describe, expect, it } from 'vitest'
import { replicationManager } from '../src/index.js'
import { bytes, mockCluster, spyDHT } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import type { ReplicationManager } from '../src/index.js'

let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  await cluster?.stopAll()
  cluster = undefined
})

describe('the manager\'s API', () => {
  it('status follows the lifecycle: stopped, started, stopped; start and stop are idempotent', async () => {
    cluster = await mockCluster(2, 3)
    const m = replicationManager()({ dht: cluster.nodes[0] })
    managers.push(m)
    expect(m.status).toBe('stopped')
    await m.stop()
    expect(m.status).toBe('stopped')
    m.start()
    expect(m.status).toBe('started')
    m.start()
    expect(m.status).toBe('started')
    const stopping = m.stop()
    expect(m.status).toBe('stopping')
    const again = m.stop()
    await Promise.all([stopping, again])
    expect(m.status).toBe('stopped')
  })

  it('a caller\'s abort reaches every network method, named after it', async () => {
    cluster = await mockCluster(3, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/a', bytes('a'))
    const spy = spyDHT(writer)
    const m = replicationManager({ enableAutoReplication: false })({ dht: spy })
    managers.push(m)
    m.start()
    await m.addContent('/test/a', 1)
    spy.hang = true
    const calls: Array<[string, (signal: AbortSignal) => Promise<unknown>]> = [
      ['addContent(/test/a)', async (signal) => m.addContent('/test/a', 1, 0, { signal })],
      ['provideContent(/test/a)', async (signal) => m.provideContent('/test/a', { signal })],
      ['findProviders(/test/a)', async (signal) => m.findProviders('/test/a', 3, { signal })],
      ['checkReplication(/test/a)', async (signal) => m.checkReplication('/test/a', { signal })],
      ['repairContent(/test/a)', async (signal) => m.repairContent('/test/a', { signal })]
    ]
    for (const [what, call] of calls) {
      const controller = new AbortController()
      const p = call(controller.signal)
      controller.abort()
      await expect(p).rejects.toMatchObject({ name: 'AbortError', message: `${what} was aborted` })
    }
  })

  it('names the method and the state when not started, and the key when it is bad or untracked', async () => {
    cluster = await mockCluster(2, 3)
    const m = replicationManager()({ dht: cluster.nodes[0] })
    managers.push(m)
    await expect(m.addContent('/test/x', 1)).rejects.toMatchObject({ name: 'NotStartedError', message: 'addContent needs the replication manager started (it is stopped)' })
    await expect(m.findProviders('/test/x')).rejects.toMatchObject({ name: 'NotStartedError', message: expect.stringMatching(/^findProviders needs/) })
    m.start()
    await m.addContent('/test/x', 1)
    await m.stop()
    for (const [name, call] of [
      ['provideContent', async () => m.provideContent('/test/x')],
      ['checkReplication', async () => m.checkReplication('/test/x')],
      ['repairContent', async () => m.repairContent('/test/x')]
    ] as const) {
      await expect(call()).rejects.toMatchObject({ name: 'NotStartedError', message: `${name} needs the replication manager started (it is stopped)` })
    }
    expect(() => m.getReplicationStatus('')).toThrow('key must be a non-empty string, got ""')
    expect(() => m.getReplicationStatus(5 as any)).toThrow('key must be a non-empty string, got 5')
    expect(() => m.removeContent('/test/none')).toThrow(expect.objectContaining({ name: 'NotFoundError', message: 'key /test/none is not tracked' }))
    await expect(m.addContent('/test/y', 1, Number.POSITIVE_INFINITY)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'priority must be a finite number, got Infinity' })
    await expect(m.addContent('/test/y', 1, '1' as any)).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(m.addContent('/test/y', 1.5)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'size must be a whole number of bytes >= 0, got 1.5' })
  })

  it('a removed key is not tracked again by a findProviders that was in flight', async () => {
    cluster = await mockCluster(4, 3)
    const [writer, other] = cluster.nodes
    await writer.putValue('/test/gone', bytes('g'))
    await other.provide('/test/gone')
    const spy = spyDHT(writer)
    const m = replicationManager({ enableAutoReplication: false, enableReprovide: false })({ dht: spy })
    managers.push(m)
    m.start()
    await m.addContent('/test/gone', 1)
    const pending = m.findProviders('/test/gone')
    m.removeContent('/test/gone')
    expect((await pending).map(p => p.peerId)).toContain(other.peerId)
    expect(m.getMetrics()).toMatchObject({ totalKeys: 0, totalProviders: 0 })
  })
})
