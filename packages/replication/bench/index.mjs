// Prints figures for the replication manager; asserts nothing.
// Run: pnpm --filter @chorus-dht/replication bench
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { createTestNetwork } from '@chorus-dht/dht-core/testing'
import { peerIdFromString } from '@libp2p/peer-id'
import { replicationManager } from '../dist/index.js'

const policy = { validators: { test: () => {}, CHORUS: () => {} }, selectors: { test: () => 0, CHORUS: () => 0 } }
const value = new Uint8Array(1024).fill(7)

function stats (samples) {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return `n=${s.length} p50=${q(0.5).toFixed(2)} ms p95=${q(0.95).toFixed(2)} ms max=${s[s.length - 1].toFixed(2)} ms`
}

async function timed (fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

async function mock (nodes, keys) {
  const network = createMockNetwork()
  const dhts = []
  for (let i = 0; i < nodes; i++) {
    const d = mockDHT({ k: 3, ...policy })({ network })
    await d.start()
    dhts.push(d)
  }
  const writer = dhts[0]
  const m = replicationManager({ enableAutoReplication: false })({ dht: writer })
  await m.start()
  const puts = []
  for (let i = 0; i < keys; i++) puts.push(await writer.putValue(`/test/bench/${i}`, value))

  const add = []
  for (let i = 0; i < keys; i++) add.push(await timed(() => m.addContent(`/test/bench/${i}`, value.byteLength, i % 10)))
  console.log(`mock ${nodes} nodes, addContent (announce + measure): ${stats(add)}`)

  const check = []
  for (let i = 0; i < keys; i++) check.push(await timed(() => m.checkReplication(`/test/bench/${i}`)))
  console.log(`mock ${nodes} nodes, checkReplication: ${stats(check)}, ${(keys / (check.reduce((a, b) => a + b, 0) / 1000)).toFixed(0)} keys/s`)

  // stop a third of the nodes (never the writer), then repair what degraded
  for (const d of dhts.slice(1, 1 + Math.floor(nodes / 3))) await d.stop()
  const repair = []
  let degraded = 0
  for (let i = 0; i < keys; i++) {
    const s = await m.checkReplication(`/test/bench/${i}`)
    if (s.health !== 'healthy') {
      degraded++
      repair.push(await timed(() => m.repairContent(`/test/bench/${i}`)))
    }
  }
  const healthy = m.getMetrics().healthyKeys
  console.log(`mock ${nodes} nodes, ${degraded} of ${keys} keys degraded after stopping ${Math.floor(nodes / 3)} nodes; repairContent: ${repair.length > 0 ? stats(repair) : 'none'}; healthy afterwards ${healthy}/${keys}`)
  await m.stop()
  for (const d of dhts) await d.stop()
}

async function real (n, samples) {
  const t = performance.now()
  const net = await createTestNetwork(n, { ...policy, kadDHT: { kBucketSize: 3 } }, { minRoutingTableSize: 3 })
  console.log(`dht-core ${n} nodes up in ${(performance.now() - t).toFixed(0)} ms`)
  const writer = net.nodes[0]
  const m = replicationManager({ enableAutoReplication: false })({ dht: writer })
  await m.start()
  const check = []
  const puts = []
  for (let i = 0; i < samples; i++) {
    const key = `/CHORUS/bench/${i}`
    puts.push(await writer.putValue(key, value))
    await m.addContent(key, value.byteLength)
    check.push(await timed(() => m.checkReplication(key)))
  }
  console.log(`dht-core ${n} nodes, checkReplication: ${stats(check)}`)

  // stop two holders of key 0, evict them from routing tables, repair
  const victims = puts[0].peers.slice(0, 2)
  for (const id of victims) await net.nodes.find(x => x.peerId === id).stop()
  for (const x of net.nodes.filter(x => x.isStarted())) for (const id of victims) await x.libp2p.services.dht.routingTable.remove(peerIdFromString(id))
  const repair = []
  for (let i = 0; i < samples; i++) {
    const s = await m.checkReplication(`/CHORUS/bench/${i}`)
    if (s.health !== 'healthy') repair.push(await timed(() => m.repairContent(`/CHORUS/bench/${i}`)))
  }
  console.log(`dht-core ${n} nodes, repairContent after 2 nodes stopped: ${repair.length > 0 ? stats(repair) : 'none degraded'}; healthy afterwards ${m.getMetrics().healthyKeys}/${samples}`)
  await m.stop()
  await net.stop()
}

await mock(50, 500)
await real(12, 30)
