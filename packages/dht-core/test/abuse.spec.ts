// The chorus-dht side is imported first: it also installs the Node 20 shim libp2p needs.
import { createChorusDHT } from '../src/index.js'
import { createTestNetwork, TEST_NODE_DEFAULTS } from '../src/testing.js'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { build } from 'tsup'
import { afterEach, describe, expect, it } from 'vitest'
import { bytes, policy, waitFor } from './fixtures.js'
import { flood, join, stockNode, stockPut } from './fixtures/stock-node.js'
import type { ChorusDHT, ChorusDHTInit } from '../src/index.js'
import type { TestNetwork } from '../src/testing.js'
import type { StockNode } from './fixtures/stock-node.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

const here = fileURLToPath(new URL('.', import.meta.url))
const outDir = fileURLToPath(new URL('../node_modules/.cache/dht-core-abuse-exit-test/', import.meta.url))

describe('hostile peers', () => {
  const networks: TestNetwork[] = []
  const nodes: ChorusDHT[] = []
  const stocks: StockNode[] = []

  afterEach(async () => {
    await Promise.all([
      ...networks.splice(0).map(async net => { await net.stop() }),
      ...nodes.splice(0).map(async node => { await node.stop() }),
      ...stocks.splice(0).map(async node => { await node.stop() })
    ])
  })

  const network = async (n: number, init: ChorusDHTInit): Promise<ChorusDHT[]> => {
    const net = await createTestNetwork(n, { ...policy, ...init })
    networks.push(net)
    return net.nodes
  }

  const stock = async (targets: ChorusDHT[]): Promise<StockNode> => {
    const node = await stockNode()
    stocks.push(node)
    await join(node, targets)
    return node
  }

  const bannedBy = (node: ChorusDHT, peer: string): boolean => node.getAbuseStats().bannedPeers.includes(peer)

  it('a flooding stock node is rate-limited, then banned and refused, while honest nodes keep writing and reading', async () => {
    const limits: ChorusDHTInit = { inboundPutRate: 5, inboundPutBurst: 5, maxPeerStrikes: 3, strikeWindow: 60_000 }
    const honest = await network(3, limits)
    const flooder = await stock(honest)
    const flooderId = flooder.peerId.toString()

    // honest traffic runs alongside the flood and must not be disturbed by it
    let honestOps = 0
    const honestFailures: unknown[] = []
    let flooding = true
    const honestLoop = (async () => {
      while (flooding) {
        const i = honestOps++
        const writer = honest[i % 3]
        const reader = honest[(i + 1) % 3]
        try {
          const put = await writer.putValue(`/CHORUS/honest/${i}`, bytes(1, i % 256))
          // (before the ban, the flooder may be one of the peers too)
          const others = honest.filter(n => n !== writer).map(n => n.peerId)
          if (!others.every(id => put.peers.includes(id))) honestFailures.push(new Error(`put ${i} reached only ${put.peers.join(', ')}`))
          expect(await reader.getValueFromPeer(reader.peerId, `/CHORUS/honest/${i}`)).toEqual(bytes(1, i % 256))
          expect(await reader.getValue(`/CHORUS/honest/${i}`)).toEqual(bytes(1, i % 256))
        } catch (err) {
          honestFailures.push(err)
        }
        // honest traffic stays below the per-peer limit (5 PUT/s): a put now
        // takes a round trip or two, and an unpaced loop would exceed it
        await new Promise(resolve => setTimeout(resolve, 250))
      }
    })()

    // valid records, just too many of them
    await flood(flooder, () => honest.every(n => bannedBy(n, flooderId)), (i) => bytes(1, i % 256), { width: 10, timeout: 60_000 })
    flooding = false
    await honestLoop

    for (const node of honest) {
      const stats = node.getAbuseStats()
      // the flooder got some records in, and many refused, before the ban
      expect(stats.accepted).toBeGreaterThan(0)
      expect(stats.rejected['rate-limited']).toBeGreaterThan(0)
      expect(stats.rejected.invalid).toBe(0)
      expect(stats.strikes).toBeGreaterThanOrEqual(3)
      expect(stats.bans).toBe(1)
      expect(stats.bannedPeers).toEqual([flooderId])
      // hung up on and gone from the routing table
      await waitFor(() => node.libp2p.getConnections(flooder.peerId).length === 0, 10_000, 'the banned peer to be disconnected')
      expect(node.getRoutingTablePeers()).not.toContain(flooderId)
    }
    expect(honestOps).toBeGreaterThan(0)
    expect(honestFailures).toEqual([])

    // its redials are refused by the gater, and honest nodes do not dial it either
    const before = honest[0].getAbuseStats().gaterRefusals
    await expect(flooder.dial(multiaddr(honest[0].getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    await expect(honest[0].libp2p.dial(flooder.peerId, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    expect(honest[0].getAbuseStats().gaterRefusals).toBeGreaterThanOrEqual(before + 2)
    const late = await stockPut(flooder, '/CHORUS/flood/after-ban', bytes(7))
    expect(late.answered).toEqual([])
    expect(await honest[0].getValueFromPeer(honest[0].peerId, '/CHORUS/flood/after-ban')).toBeUndefined()

    // and the honest network still works
    const put = await honest[2].putValue('/CHORUS/honest/after', bytes(3))
    expect(put.remotePeers).toBe(2)
    expect(await honest[0].getValue('/CHORUS/honest/after')).toEqual(bytes(3))
  })

  it('invalid records are strikes; the ban ends by itself and the peer is accepted again', async () => {
    const honest = await network(2, { maxPeerStrikes: 4, banDuration: 1_500 })
    const sender = await stock(honest)
    const senderId = sender.peerId.toString()

    // an older record of a key the honest nodes hold: refused by their guard, but no strike
    expect((await honest[0].putValue('/CHORUS/held', bytes(9))).peers).toContain(honest[1].peerId)
    const older = await stockPut(sender, '/CHORUS/held', bytes(2))
    expect(older.sent.sort()).toEqual(honest.map(n => n.peerId).sort())
    expect(older.answered).toEqual([])
    for (const node of honest) {
      expect(node.getAbuseStats().rejected.conflict, JSON.stringify(node.getAbuseStats())).toBe(1)
      expect(node.getAbuseStats().strikes, JSON.stringify(node.getAbuseStats())).toBe(0)
      expect(await node.getValueFromPeer(node.peerId, '/CHORUS/held')).toEqual(bytes(9))
    }

    // policy refuses a first byte of 0: every one of these is an invalid record
    const acceptedBefore = honest.map(n => n.getAbuseStats().accepted)
    await flood(sender, () => honest.every(n => bannedBy(n, senderId)), () => bytes(0), { width: 2, prefix: 'invalid' })
    honest.forEach((node, i) => {
      const stats = node.getAbuseStats()
      expect(stats.rejected.invalid).toBeGreaterThanOrEqual(4)
      expect(stats.rejected['rate-limited']).toBe(0)
      expect(stats.accepted).toBe(acceptedBefore[i])
    })

    // the ban ends by itself
    await waitFor(() => honest.every(n => !bannedBy(n, senderId)), 20_000, 'the ban to end')
    await sender.dial(multiaddr(honest[0].getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })
    await sender.dial(multiaddr(honest[1].getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })
    await waitFor(async () => {
      const { answered } = await stockPut(sender, '/CHORUS/after-ban', bytes(5))
      return answered.length === 2
    }, 20_000, 'a valid put of the peer to be accepted again')
    for (const node of honest) {
      expect(await node.getValueFromPeer(node.peerId, '/CHORUS/after-ban')).toEqual(bytes(5))
      expect(node.getAbuseStats().bans).toBe(1)
    }
  })

  it('a peer past its record or byte quota is refused; other peers are still accepted; a record re-put by another peer moves', async () => {
    const [a, b, c] = await network(3, { maxRecordsPerPeer: 3, maxBytesPerPeer: 2_000 })
    for (let i = 1; i <= 3; i++) {
      expect((await b.putValue(`/CHORUS/b/${i}`, bytes(1))).remotePeers).toBe(2)
    }
    expect(a.getAbuseStats().peersHoldingRecords).toBe(1)

    // a fourth record of b's: refused by both peers, nothing stored there
    const fourth = await b.putValue('/CHORUS/b/4', bytes(1))
    expect(fourth.remotePeers).toBe(0)
    for (const node of [a, c]) {
      expect(await node.getValueFromPeer(node.peerId, '/CHORUS/b/4')).toBeUndefined()
      expect(node.getAbuseStats().rejected.quota).toBe(1)
      expect(node.getAbuseStats().quotaHits).toEqual({ records: 1, bytes: 0 })
      // a quota refusal is a strike (one per window), far from a ban
      expect(node.getAbuseStats().bannedPeers).toEqual([])
    }
    // b's re-put of a record it already holds there is no new record
    expect((await b.putValue('/CHORUS/b/1', bytes(1))).remotePeers).toBe(2)

    // another peer is still accepted
    expect((await c.putValue('/CHORUS/c/1', bytes(1))).remotePeers).toBe(2)

    // c replaces one of b's records (the selector prefers 2): on a it is c's now, so b has room again
    expect((await c.putValue('/CHORUS/b/1', bytes(2))).remotePeers).toBe(2)
    expect(await a.getValueFromPeer(a.peerId, '/CHORUS/b/1')).toEqual(bytes(2))

    // (c's own write of /CHORUS/b/1 belongs to nobody on c, so b has room there too)
    // but not for 2 000 bytes (a serialized record is its value and then some)
    const big = new Uint8Array(2_000).fill(1)
    expect((await b.putValue('/CHORUS/b/big', big)).remotePeers).toBe(0)
    for (const node of [a, c]) {
      expect(await node.getValueFromPeer(node.peerId, '/CHORUS/b/big')).toBeUndefined()
      expect(node.getAbuseStats().quotaHits).toEqual({ records: 1, bytes: 1 })
    }
    // a small one fits
    expect((await b.putValue('/CHORUS/b/4', bytes(1))).remotePeers).toBe(2)
    expect(await a.getValueFromPeer(a.peerId, '/CHORUS/b/4')).toEqual(bytes(1))
  })

  it('composes with a configured connection gater and with gater methods assigned later', async () => {
    const refusedByUser = new Set<string>()
    const connectionGater: ConnectionGater = {
      denyDialPeer: (peer: PeerId) => refusedByUser.has(peer.toString())
    }
    const a = await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...policy, connectionGater })
    nodes.push(a)
    const b = await createChorusDHT({ ...TEST_NODE_DEFAULTS, ...policy })
    nodes.push(b)

    refusedByUser.add(b.peerId)
    await expect(a.libp2p.dial(multiaddr(b.getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    refusedByUser.clear()

    // what the harness's partitions do: read, assign, assign back
    const gater = (a.libp2p as unknown as { components: { connectionGater: Record<string, unknown> } }).components.connectionGater
    const saved = gater.denyDialPeer
    gater.denyDialPeer = (peer: PeerId) => peer.toString() === b.peerId
    await expect(a.libp2p.dial(multiaddr(b.getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    // a nested fault: saved and restored on top of the first one
    const inner = gater.denyDialPeer
    gater.denyDialPeer = () => false
    gater.denyDialPeer = inner
    await expect(a.libp2p.dial(multiaddr(b.getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    gater.denyDialPeer = saved
    await a.libp2p.dial(multiaddr(b.getMultiaddrs()[0]), { signal: AbortSignal.timeout(10_000) })
    expect(a.libp2p.getConnections(b.libp2p.peerId).length).toBeGreaterThan(0)
  })

  it('rejects bad limits', async () => {
    await expect(createChorusDHT({ ...TEST_NODE_DEFAULTS, inboundPutBurst: 0 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ ...TEST_NODE_DEFAULTS, maxRecordsPerPeer: 1.5 })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ ...TEST_NODE_DEFAULTS, banDuration: Infinity })).rejects.toHaveProperty('name', 'InvalidParametersError')
    await expect(createChorusDHT({ ...TEST_NODE_DEFAULTS, inboundPutRate: -1 })).rejects.toHaveProperty('name', 'InvalidParametersError')
  })

  it('stop() ends every ban and leaves no timer: the process exits by itself', async () => {
    await build({
      entry: { child: `${here}fixtures/abuse-exit-child.ts` },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      config: false,
      silent: true,
      dts: false,
      clean: true
    })
    const child = spawn(process.execPath, [`${outDir}child.js`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    // a hang detector, not a timing assertion: a process kept alive by a handle never exits
    const killer = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
    clearTimeout(killer)
    expect(stderr).toBe('')
    expect(stdout).toContain('banned 1')
    expect(stdout).toContain('after stop 0')
    expect(stdout).toContain('stopped')
    expect(code).toBe(0)
  }, 90_000)
})
