import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LOG_PREFIX, replicationManager } from '../src/index.js'
import { bytes, mockCluster, spyDHT } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import { recordingLogger } from './fixtures/logger.js'
import type { ReplicationManager } from '../src/index.js'

let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  await cluster?.stopAll()
  cluster = undefined
})

describe('logging', () => {
  it('logs under chorus-dht:replication by default, each part under its own sub-component', async () => {
    cluster = await mockCluster(3, 3)
    const rec = recordingLogger()
    managers.push(replicationManager()({ dht: cluster.nodes[0], logger: rec.logger }))
    expect(DEFAULT_LOG_PREFIX).toBe('chorus-dht:replication')
    expect([...rec.components].sort()).toEqual([
      'chorus-dht:replication', 'chorus-dht:replication:loops', 'chorus-dht:replication:measure', 'chorus-dht:replication:repair'
    ])
  })

  it('extends a given logPrefix, and the measurement logs under its sub-component', async () => {
    cluster = await mockCluster(3, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/log', bytes('l'))
    const rec = recordingLogger()
    const m = replicationManager({ logPrefix: 'node-a:replication' })({ dht: writer, logger: rec.logger })
    managers.push(m)
    expect(rec.components.every(c => c === 'node-a:replication' || c.startsWith('node-a:replication:'))).toBe(true)
    await m.start()
    await m.addContent('/test/log', 1)
    expect(rec.lines.some(l => l.component === 'node-a:replication:measure' && String(l.args[0]).includes('replicas'))).toBe(true)
    expect(rec.lines.some(l => l.component === 'node-a:replication' && String(l.args[0]).startsWith('tracking'))).toBe(true)
  })

  it('refuses an empty logPrefix', () => {
    expect(() => replicationManager({ logPrefix: '' })({ dht: {} as any })).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('logPrefix') }))
  })

  it('a failed announcement is a warning (warn level, with the error for %e), not an error', async () => {
    cluster = await mockCluster(3, 3)
    const [writer] = cluster.nodes
    await writer.putValue('/test/warn', bytes('w'))
    const failing = new Error('provide refused')
    const spy = spyDHT(writer)
    const dht = new Proxy(spy, { get: (t, p, r) => p === 'provide' ? async () => { throw failing } : Reflect.get(t, p, r) })
    for (const withWarn of [true, false]) {
      const rec = recordingLogger(withWarn)
      const m = replicationManager()({ dht, logger: rec.logger })
      managers.push(m)
      await m.start()
      expect((await m.addContent('/test/warn', 1)).health).toBe('healthy')
      const line = rec.lines.find(l => String(l.args[0]).startsWith('announcing'))
      expect(line).toMatchObject({ level: withWarn ? 'warn' : 'debug', args: ['announcing %s failed - %e', '/test/warn', failing] })
      expect(rec.lines.filter(l => l.level === 'error')).toEqual([])
      expect(m.getMetrics().failedReplications).toBe(1)
    }
  })
})
