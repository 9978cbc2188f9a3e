import { afterEach, describe, expect, it } from 'vitest'
import { replicationManager } from '../src/index.js'
import { bytes, mockCluster } from './fixtures/mock.js'
import type { MockCluster } from './fixtures/mock.js'
import type { ReplicationManager } from '../src/index.js'
import type { DHT } from '@chorus-dht/types'

let cluster: MockCluster | undefined
let managers: ReplicationManager[] = []

afterEach(async () => {
  for (const m of managers) await m.stop()
  managers = []
  await cluster?.stopAll()
  cluster = undefined
})

/** `dht` whose findProviders fails while `broken.on`. */
function breakable (dht: DHT): { dht: DHT, broken: { on: boolean } } {
  const broken = { on: false }
  const proxy = new Proxy(dht, {
    get (target, prop, receiver) {
      if (prop === 'findProviders') {
        return async (...args: any[]) => {
          if (broken.on) throw Object.assign(new Error('no route'), { name: 'BackendUnavailableError' })
          return (target as any).findProviders(...args)
        }
      }
      const v = Reflect.get(target, prop, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
  return { dht: proxy, broken }
}

describe('findProviders', () => {
  it('answers from the known providers when the DHT cannot be asked, for a tracked key', async () => {
    cluster = await mockCluster(6, 3)
    const [writer] = cluster.nodes
    const put = await writer.putValue('/test/fp', bytes('f'))
    const { dht, broken } = breakable(writer)
    const m = replicationManager({ enableAutoReplication: false })({ dht })
    managers.push(m)
    await m.start()
    await m.addContent('/test/fp', 1)
    broken.on = true
    const known = await m.findProviders('/test/fp')
    expect(known.map(p => p.peerId).sort()).toEqual([writer.peerId, ...put.peers].sort())
    // an untracked key has nothing to fall back on: the DHT's error
    await expect(m.findProviders('/test/other')).rejects.toMatchObject({ name: 'BackendUnavailableError' })
  })

  it('a tracked key with no provider record yet gets the DHT\'s error', async () => {
    cluster = await mockCluster(3, 3)
    const { dht, broken } = breakable(cluster.nodes[0])
    const m = replicationManager({ enableAutoReplication: false, enableReprovide: false })({ dht })
    managers.push(m)
    await m.start()
    broken.on = true
    // no copy anywhere: the measurement finds no provider
    expect((await m.addContent('/test/empty', 1)).actualReplicas).toBe(0)
    await expect(m.findProviders('/test/empty')).rejects.toMatchObject({ name: 'BackendUnavailableError' })
  })

  it('keeps announced providers of a tracked key as records, at most maxProvidersPerKey, and honours limit', async () => {
    cluster = await mockCluster(8, 3)
    const [watcher, ...others] = cluster.nodes
    for (const o of others.slice(0, 5)) await o.provide('/test/ann')
    const m = replicationManager({ enableAutoReplication: false, enableReprovide: false, maxProvidersPerKey: 3 })({ dht: watcher })
    managers.push(m)
    await m.start()
    // nobody holds a value: the measurement finds no replica, only announcements
    await m.addContent('/test/ann', 1)
    expect(m.getMetrics().totalProviders).toBe(0)
    // the answer holds up to `limit` providers; the records kept, maxProvidersPerKey
    const found = await m.findProviders('/test/ann', 5)
    expect(found.map(p => p.peerId).sort()).toEqual(others.slice(0, 5).map(o => o.peerId).sort())
    expect(found.every(p => p.lastSeen === 0 && p.quality === 0.5)).toBe(true)
    expect(m.getMetrics().totalProviders).toBe(3)
    expect(await m.findProviders('/test/ann', 1)).toHaveLength(1)
    expect(await m.findProviders('/test/ann')).toHaveLength(3)
  })
})
