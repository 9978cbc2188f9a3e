// The record operations of the facade (src/records.ts) one rule at a time:
// the errors they name, the local copy a get reads and when it skips it,
// the selector among several answers, removeLocal's compare-and-delete and
// getValueFromPeer's answers. Two nodes on the memory transport; a record
// the validator would refuse is written straight into a node's datastore,
// as an older validator could have left it.
import { Record as Libp2pRecord } from '@libp2p/kad-dht'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChorusDHT } from '../src/index.js'
import { createTestNetwork } from '../src/testing.js'
import { bytes, policy } from './fixtures.js'
import type { ChorusDHT } from '../src/index.js'
import type { TestNetwork } from '../src/testing.js'

const encoder = new TextEncoder()
/** Writes a record into a datastore as kad-dht keeps it, bypassing every check. */
async function plant (datastore: MemoryDatastore, key: string, value: Uint8Array): Promise<void> {
  const keyBytes = encoder.encode(key)
  await datastore.put(new Key(`/dht/record/${uint8ArrayToString(keyBytes, 'base32')}`, false), new Libp2pRecord(keyBytes, value, new Date()).serialize())
}

describe('record operations: arguments and validation', () => {
  let node: ChorusDHT
  const datastore = new MemoryDatastore()
  beforeAll(async () => {
    node = await createChorusDHT({ transports: ['memory'], validators: { ...policy.validators, ODD: (_key, value) => { if (value[0] === 9) throw 'nine' } }, selectors: policy.selectors }, { datastore })
  })
  afterAll(async () => { await node.stop() })

  it('refuses a namespace without a validator, naming it, before storing anything', async () => {
    await expect(node.putValue('/NOPE/k', bytes(1))).rejects.toMatchObject({
      name: 'InvalidParametersError',
      message: 'no validator for namespace "NOPE" of key /NOPE/k: every peer would refuse the record'
    })
    await expect(node.getValue('/NOPE/k')).rejects.toMatchObject({ name: 'NotFoundError' })
  })

  it('refuses a record its validator refuses, with the validator\'s reason and error as cause', async () => {
    const err = await node.putValue('/CHORUS/bad', bytes(0)).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'InvalidParametersError', message: 'record for /CHORUS/bad failed validation: first byte must not be 0' })
    expect((err as Error).cause).toMatchObject({ message: 'first byte must not be 0' })
    // a validator that throws something other than an Error
    await expect(node.putValue('/ODD/k', bytes(9))).rejects.toMatchObject({ message: 'record for /ODD/k failed validation: nine' })
    await expect(node.getValue('/CHORUS/bad')).rejects.toMatchObject({ name: 'NotFoundError', message: 'no valid record for /CHORUS/bad' })
  })

  it('refuses a value that is not a Uint8Array and a bad minPeers or quorum, naming them', async () => {
    await expect(node.putValue('/CHORUS/k', [1] as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'value must be a Uint8Array' })
    await expect(node.removeLocal('/CHORUS/k', 'x' as any)).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'value must be a Uint8Array' })
    for (const minPeers of [-1, 1.5]) {
      await expect(node.putValue('/CHORUS/k', bytes(1), { minPeers })).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('minPeers') })
    }
    await expect(node.getValue('/CHORUS/k', { quorum: 0 })).rejects.toMatchObject({ name: 'InvalidParametersError', message: expect.stringContaining('quorum') })
    await expect(node.getValueFromPeer('not-a-peer', '/CHORUS/k')).rejects.toMatchObject({ name: 'InvalidParametersError', message: 'not a peer id: "not-a-peer"' })
  })

  it('skips a local copy its validator now refuses: getValue finds nothing, getValueFromPeer of itself answers undefined', async () => {
    await plant(datastore, '/CHORUS/stale', bytes(0, 1))
    await expect(node.getValue('/CHORUS/stale')).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(await node.getValueFromPeer(node.peerId, '/CHORUS/stale')).toBeUndefined()
    await plant(datastore, '/CHORUS/fine', bytes(4))
    expect(await node.getValueFromPeer(node.peerId, '/CHORUS/fine')).toEqual(bytes(4))
  })

  it('removeLocal deletes the local copy only when it is exactly the given value', async () => {
    expect(await node.removeLocal('/CHORUS/none', bytes(1))).toBe(false)
    await node.putValue('/CHORUS/mine', bytes(3))
    expect(await node.removeLocal('/CHORUS/mine', bytes(3, 0))).toBe(false)
    expect(await node.getValue('/CHORUS/mine')).toEqual(bytes(3))
    expect(await node.removeLocal('/CHORUS/mine', bytes(3))).toBe(true)
    await expect(node.getValue('/CHORUS/mine')).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(await node.removeLocal('/CHORUS/mine', bytes(3))).toBe(false)
  })

  it('honours an aborted signal before doing anything', async () => {
    const signal = AbortSignal.abort()
    await expect(node.putValue('/CHORUS/aborted', bytes(1), { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(node.getValue('/CHORUS/fine', { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(node.removeLocal('/CHORUS/fine', bytes(4), { signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(await node.getValueFromPeer(node.peerId, '/CHORUS/fine')).toEqual(bytes(4))
    await expect(node.getValue('/CHORUS/aborted')).rejects.toMatchObject({ name: 'NotFoundError' })
  })
})

describe('record operations between two nodes', () => {
  let net: TestNetwork
  let a: ChorusDHT
  let b: ChorusDHT
  const stores = [new MemoryDatastore(), new MemoryDatastore()]
  beforeAll(async () => {
    net = await createTestNetwork(2, { ...policy, putMinPeers: 1 }, { components: (i) => ({ datastore: stores[i] }) })
    ;[a, b] = net.nodes
  })
  afterAll(async () => { await net.stop() })

  it('reads the local copy first, asks the network for a quorum, and lets the selector choose among the answers', async () => {
    // a and b hold different valid records for one key
    await plant(stores[0], '/CHORUS/two', bytes(2))
    await plant(stores[1], '/CHORUS/two', bytes(7))
    expect(await a.getValue('/CHORUS/two')).toEqual(bytes(2))
    expect(await a.getValue('/CHORUS/two', { remoteOnly: true })).toEqual(bytes(7))
    // both answers: the selector (largest first byte) picks b's, whichever order they came in
    expect(await a.getValue('/CHORUS/two', { quorum: 2 })).toEqual(bytes(7))
    await plant(stores[1], '/CHORUS/low', bytes(1))
    await plant(stores[0], '/CHORUS/low', bytes(6))
    expect(await a.getValue('/CHORUS/low', { quorum: 2 })).toEqual(bytes(6))
  })

  it('answers with what it found when the quorum is not met', async () => {
    await plant(stores[1], '/CHORUS/only-b', bytes(5))
    expect(await a.getValue('/CHORUS/only-b', { quorum: 3 })).toEqual(bytes(5))
  })

  it('reads one peer\'s copy: its record, undefined when it holds none or an invalid one', async () => {
    await plant(stores[1], '/CHORUS/peer', bytes(8))
    await plant(stores[1], '/CHORUS/peer-bad', bytes(0))
    expect(await a.getValueFromPeer(b.peerId, '/CHORUS/peer')).toEqual(bytes(8))
    expect(await a.getValueFromPeer(b.peerId, '/CHORUS/peer-bad')).toBeUndefined()
    expect(await a.getValueFromPeer(b.peerId, '/CHORUS/never')).toBeUndefined()
  })

  it('says a stopped peer did not answer (BackendUnavailableError)', async () => {
    const c = await createChorusDHT({ transports: ['memory'], ...policy, allowPrivateAddresses: true })
    await a.libp2p.dial(c.libp2p.getMultiaddrs()[0])
    const id = c.peerId
    await c.stop()
    await expect(a.getValueFromPeer(id, '/CHORUS/peer')).rejects.toMatchObject({ name: 'BackendUnavailableError', message: expect.stringContaining(`peer ${id} did not answer: `) })
  })
})
