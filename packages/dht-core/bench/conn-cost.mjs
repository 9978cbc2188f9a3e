// CPU per new connection between chorus-dht nodes in one process: memory
// transport, noise, yamux, identify and kad-dht's routing-table add on both
// sides. `CONN_N` nodes (40) are started without bootstrapping, then
// `CONN_PAIRS` distinct random pairs (400) are dialled, 4 at a time, each dial
// counted done once both routing tables hold the other peer. Prints the
// process's CPU time and the wall time per connection.
//
//   node --expose-gc bench/conn-cost.mjs
//   CONN_N=60 CONN_PAIRS=1200 node --expose-gc bench/conn-cost.mjs
import { pause } from '@chorus-dht/utils'
import { Queue } from '@libp2p/utils'
import { createChorusNetwork } from './network.mjs'

const N = Number(process.env.CONN_N ?? 40)
const PAIRS = Number(process.env.CONN_PAIRS ?? 400)
const CONCURRENCY = 4
if (!(N >= 2) || !(PAIRS >= 1) || PAIRS > (N * (N - 1)) / 2) {
  console.error(`CONN_PAIRS must be between 1 and ${(N * (N - 1)) / 2} for CONN_N=${N}`)
  process.exit(2)
}

const nodes = await createChorusNetwork(`conn-${Math.random()}`, N, {})
await Promise.all(nodes.map(n => n.start()))

const pairs = []
for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) pairs.push([i, j])
for (let i = pairs.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1))
  ;[pairs[i], pairs[j]] = [pairs[j], pairs[i]]
}
const picked = pairs.slice(0, PAIRS)

const knows = (a, b) => a.getRoutingTablePeers().includes(b.libp2p.peerId.toString())
// identify, then kad-dht's add, run after the dial resolves; kad-dht's
// routing table is internal, so poll it, and fail rather than count a
// connection that never reached both tables
async function connect ([i, j]) {
  await nodes[i].libp2p.dial(nodes[j].libp2p.getMultiaddrs()[0])
  const deadline = performance.now() + 5_000
  while (!(knows(nodes[i], nodes[j]) && knows(nodes[j], nodes[i]))) {
    if (performance.now() > deadline) throw new Error(`nodes ${i} and ${j} connected but not in each other's routing table after 5 s`)
    await pause(2)
  }
}

globalThis.gc?.()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const queue = new Queue({ concurrency: CONCURRENCY })
await Promise.all(picked.map(pair => queue.add(() => connect(pair))))
globalThis.gc?.()
const cpu = process.cpuUsage(cpu0)
const ms = (cpu.user + cpu.system) / 1000
console.log(`${picked.length} connections among ${N} nodes: ${(ms / picked.length).toFixed(2)} ms CPU each, ${((performance.now() - t0) / picked.length).toFixed(2)} ms wall each`)
await Promise.all(nodes.map(n => n.stop()))
process.exit(0)
