// Prints figures; asserts nothing. Run: pnpm --filter @chorus-dht/hybrid-mock bench
import { performance } from 'node:perf_hooks'
import { MemoryDatastore } from 'datastore-core'
import { createMockNetwork, hybridDHT, mergePolicies, mockDHT, probeRecordPolicy, seededRandom } from '../dist/index.js'

const policy = mergePolicies({ validators: { app: () => {} }, selectors: { app: () => 0 } }, probeRecordPolicy)
const value = new Uint8Array(256).fill(7)

function pct (xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

async function timed (label, n, fn) {
  const lat = []
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const s = performance.now()
    await fn(i)
    lat.push(performance.now() - s)
  }
  const total = performance.now() - t0
  console.log(`${label.padEnd(46)} ${String(n).padStart(6)} ops  ${(n / (total / 1000)).toFixed(0).padStart(8)} ops/s  p50 ${pct(lat, 0.5).toFixed(3)} ms  p99 ${pct(lat, 0.99).toFixed(3)} ms`)
}

const rnd = seededRandom(1)
const pick = (n) => Math.floor(rnd.next() * n)

// 1. a lone node
const lone = mockDHT(policy)()
await lone.start()
await timed('lone MockDHT putValue', 5000, (i) => lone.putValue(`/app/l${i}`, value))
await timed('lone MockDHT getValue', 5000, (i) => lone.getValue(`/app/l${i}`))
if (globalThis.gc != null) {
  globalThis.gc()
  const h0 = process.memoryUsage().heapUsed
  for (let i = 0; i < 100_000; i++) await lone.getValue('/app/l1')
  globalThis.gc()
  console.log(`heap growth over 100000 getValue on one started node: ${((process.memoryUsage().heapUsed - h0) / 1e6).toFixed(2)} MB`)
}
await lone.stop()

// 2. a 20-node network, k = 20 (every put reaches all 19 others)
for (const k of [20, 5]) {
  const network = createMockNetwork({ random: seededRandom(2) })
  const nodes = Array.from({ length: 20 }, () => mockDHT({ ...policy, k })({ network }))
  for (const d of nodes) await d.start()
  await timed(`20 nodes k=${k}: putValue from a random node`, 2000, (i) => nodes[pick(20)].putValue(`/app/n${i}`, value))
  await timed(`20 nodes k=${k}: getValue (quorum 1) random node`, 2000, (i) => nodes[pick(20)].getValue(`/app/n${i}`))
  await timed(`20 nodes k=${k}: getValue (quorum 5) random node`, 2000, (i) => nodes[pick(20)].getValue(`/app/n${i}`, { quorum: 5 }))
  for (const d of nodes) await d.stop()
}

// 3. the hybrid's overhead on a healthy real backend, and a replay after an outage
const realNet = createMockNetwork()
const peer = mockDHT(policy)({ network: realNet })
await peer.start()
const real = mockDHT({ ...policy, peerId: 'node' })({ network: realNet })
const hybrid = hybridDHT({ useRealDHT: true, maxConsecutiveFailures: 1, healthCheckInterval: 3_600_000 })({
  real, mock: mockDHT({ ...policy, peerId: 'node' })(), datastore: new MemoryDatastore()
})
await hybrid.start()
await timed('HybridDHT (2-node real net) putValue', 3000, (i) => hybrid.putValue(`/app/h${i}`, value))
await timed('HybridDHT (2-node real net) getValue', 3000, (i) => hybrid.getValue(`/app/h${i}`))
real.setFailureRate(1)
await timed('HybridDHT during outage: journaled putValue', 3000, (i) => hybrid.putValue(`/app/o${i}`, value))
real.setFailureRate(0)
const t0 = performance.now()
await hybrid.checkHealth()
const ms = performance.now() - t0
console.log(`replay of ${3000} journaled writes (persisted, MemoryDatastore): ${ms.toFixed(0)} ms (${(3000 / (ms / 1000)).toFixed(0)} writes/s), active=${hybrid.activeBackend}, pending=${hybrid.pendingWrites}`)
await hybrid.stop()
await peer.stop()

// 4. a cut-off real node (its only peer gone, bootstrapNodes set): puts fail over at once and are journaled
{
  const net = createMockNetwork()
  const other = mockDHT({ ...policy, peerId: 'other' })({ network: net })
  await other.start()
  const cutOff = hybridDHT({ useRealDHT: true, bootstrapNodes: ['/memory/other'], healthCheckInterval: 3_600_000 })({
    real: mockDHT({ ...policy, peerId: 'node' })({ network: net }), mock: mockDHT({ ...policy, peerId: 'node' })(), datastore: new MemoryDatastore()
  })
  await cutOff.start()
  await other.stop()
  await timed('HybridDHT cut-off real node: journaled putValue', 3000, (i) => cutOff.putValue(`/app/c${i}`, value))
  await other.start()
  const t1 = performance.now()
  await cutOff.checkHealth()
  const ms1 = performance.now() - t1
  console.log(`probe reached a live peer again, replay of 3000 writes: ${ms1.toFixed(0)} ms, active=${cutOff.activeBackend}, pending=${cutOff.pendingWrites}, dropped=${cutOff.droppedWrites}`)
  await cutOff.stop()
  await other.stop()
}
