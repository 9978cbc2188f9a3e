import { afterEach, describe, expect, it } from 'vitest'
import { mockNode, text } from './fixtures.js'
import type { TestNode } from './fixtures.js'

describe('recordKeys', () => {
  let node: TestNode | undefined

  afterEach(async () => {
    await node?.storage.stop()
    await node?.dht.stop()
    node = undefined
  })

  it('names the keys a store writes: the head and each version, whatever temporal form the address is given in', async () => {
    node = await mockNode()
    await node.storage.start()
    const address = 'ucxl://alice:backend_developer@chorus:keys/*^/design.md'
    await node.storage.storeUCXLContent(address, text('one'), 'backend_developer', 'text/plain')
    const second = await node.storage.storeUCXLContent(address, text('two'), 'backend_developer', 'text/plain')
    const own: Array<{ key: string, kind: string, version: number }> = []
    for await (const r of node.storage.ownRecords()) own.push(r)

    const keys = node.storage.recordKeys('ucxl://alice:backend_developer@chorus:keys/*~1/design.md')
    expect(keys.address).toBe(address)
    expect(own.filter(r => r.kind === 'head').map(r => r.key)).toEqual([keys.head])
    expect(own.filter(r => r.kind === 'version').map(r => r.key).sort()).toEqual([keys.version(1), keys.version(second.version)].sort())
    expect(keys.version(1)).not.toBe(keys.version(2))
    // the records are where the keys say
    expect(await node.dht.getValue(keys.head)).toBeInstanceOf(Uint8Array)
    expect(await node.dht.getValue(keys.version(2))).toBeInstanceOf(Uint8Array)
  })

  it('refuses a bad address and a version that is not a positive integer', async () => {
    node = await mockNode()
    const { storage } = node
    expect(() => storage.recordKeys('not an address')).toThrow(expect.objectContaining({ name: 'InvalidUcxlAddressError' }))
    const keys = storage.recordKeys('ucxl://alice:backend_developer@chorus:keys/*^/design.md')
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => keys.version(bad)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})
