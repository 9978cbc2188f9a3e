import { describe, expect, it } from 'vitest'
import { createPeerGater, PEER_GATER_METHODS } from '../src/peer-gater.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

// The gater alone, with stand-in peers: abuse.spec shows a banned peer
// refused on a real network, these pin down the composition rules.
const peer = (id: string) => ({ toString: () => id }) as unknown as PeerId
const good = peer('good')
const bad = peer('bad')

function setup (base?: ConnectionGater) {
  const refused: string[] = []
  const gater = createPeerGater({
    isBanned: (p) => p.toString() === 'bad',
    onRefused: (p) => { refused.push(p.toString()) },
    base
  }) as Record<string, any>
  return { gater, refused }
}

describe('createPeerGater', () => {
  it('refuses a banned peer in every peer method, once per refusal, and lets others through', async () => {
    const { gater, refused } = setup()
    for (const m of PEER_GATER_METHODS) {
      expect(await gater[m](bad)).toBe(true)
      expect(await gater[m](good)).toBe(false)
    }
    expect(refused).toEqual(PEER_GATER_METHODS.map(() => 'bad'))
  })

  it('asks the configured gater after the ban, with its own this and every argument', async () => {
    const calls: unknown[][] = []
    const base = {
      marker: 'base',
      denyDialPeer (this: { marker: string }, p: PeerId, ...rest: unknown[]) {
        calls.push([this.marker, p.toString(), ...rest])
        return p.toString() === 'blocked'
      }
    }
    const { gater, refused } = setup(base as unknown as ConnectionGater)
    expect(await gater.denyDialPeer(good, 'extra')).toBe(false)
    expect(await gater.denyDialPeer(peer('blocked'))).toBe(true)
    expect(await gater.denyDialPeer(bad)).toBe(true)
    // the banned peer never reaches the configured gater
    expect(calls).toEqual([['base', 'good', 'extra'], ['base', 'blocked']])
    expect(refused).toEqual(['bad'])
  })

  it('only a configured answer of exactly true refuses', async () => {
    const base = { denyDialPeer: async () => 'yes' as unknown as boolean }
    const { gater } = setup(base as unknown as ConnectionGater)
    expect(await gater.denyDialPeer(good)).toBe(false)
  })

  it('passes the other methods of the configured gater through, bound to it, and adds none', async () => {
    const base = {
      marker: 'base',
      denyDialMultiaddr (this: { marker: string }) { return this.marker === 'base' },
      filterMultiaddrForPeer () { return true }
    }
    const { gater } = setup(base as unknown as ConnectionGater)
    expect(gater.denyDialMultiaddr()).toBe(true)
    expect(gater.filterMultiaddrForPeer()).toBe(true)
    expect(gater.denyInboundConnection).toBeUndefined()
    expect(setup().gater.denyDialMultiaddr).toBeUndefined()
    expect(Object.keys(setup().gater).sort()).toEqual([...PEER_GATER_METHODS].sort())
  })

  it('an assigned check is asked after the ban and before the configured gater, with the gater as this', async () => {
    const order: string[] = []
    const base = { denyDialPeer: () => { order.push('configured'); return false } }
    const { gater, refused } = setup(base as unknown as ConnectionGater)
    let self: unknown
    gater.denyDialPeer = function (this: unknown, p: PeerId) { self = this; order.push('added'); return p.toString() === 'cut' }
    expect(await gater.denyDialPeer(peer('cut'))).toBe(true)
    expect(order).toEqual(['added'])
    expect(self).toBe(gater)
    expect(await gater.denyDialPeer(good)).toBe(false)
    expect(order).toEqual(['added', 'added', 'configured'])
    // the ban still holds with a check assigned
    expect(await gater.denyDialPeer(bad)).toBe(true)
    expect(refused).toEqual(['bad'])
  })

  it('assigning replaces the previous check, and undefined removes it', async () => {
    const { gater } = setup()
    gater.denyDialPeer = () => true
    gater.denyDialPeer = () => false
    expect(await gater.denyDialPeer(good)).toBe(false)
    gater.denyDialPeer = () => true
    gater.denyDialPeer = undefined
    expect(await gater.denyDialPeer(good)).toBe(false)
    expect(typeof gater.denyDialPeer).toBe('function')
    expect(await gater.denyDialPeer(bad)).toBe(true)
  })

  it('assigning back a method read earlier restores the check of that time (save, assign, restore)', async () => {
    const { gater } = setup()
    const original = gater.denyDialPeer
    gater.denyDialPeer = () => true
    const partitioned = gater.denyDialPeer
    expect(await gater.denyDialPeer(good)).toBe(true)
    gater.denyDialPeer = () => false
    gater.denyDialPeer = partitioned
    expect(await gater.denyDialPeer(good)).toBe(true)
    gater.denyDialPeer = original
    expect(await gater.denyDialPeer(good)).toBe(false)
    // restored, the ban is still there
    expect(await gater.denyDialPeer(bad)).toBe(true)
  })

  it('each peer method keeps its own assigned check', async () => {
    const { gater } = setup()
    gater.denyOutboundEncryptedConnection = () => true
    expect(await gater.denyOutboundEncryptedConnection(good)).toBe(true)
    expect(await gater.denyDialPeer(good)).toBe(false)
  })
})
