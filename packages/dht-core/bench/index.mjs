// Benchmark: chorus-dht vs stock @libp2p/kad-dht, same transport (memory), encryption (noise),
// muxer (yamux) and N; each network lives in one process (a fresh one per row). Usage:
// node --expose-gc bench/index.mjs [--sizes 20,50,100,200] [--gets 50] [--puts 20] [--idle 10] [--only chorus|stock]
// [--stock-max-n 100] [--formation-deadline 300]. Prints a table; asserts nothing. Stock kad-dht runs up to
// --stock-max-n nodes (at N=200 its routing tables do not fill within the formation deadline on one process).
import { createChorusNetwork, DEGREE, log, selectors, targetsOf, validators } from './network.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'

const args = process.argv.slice(2)
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}
const SIZES = arg('sizes', '20,50,100,200').split(',').map(Number)
const STOCK_MAX_N = Number(arg('stock-max-n', '100'))
const PUTS = Number(arg('puts', '20'))
const GETS = Number(arg('gets', '50'))
const IDLE_S = Number(arg('idle', '10'))
const ONLY = arg('only', 'both')
// formed: every routing table holds at least min(N - 1, MIN_PEERS) distinct peers
const MIN_PEERS = Number(arg('min-peers', '10'))
const FORMATION_DEADLINE = Number(arg('formation-deadline', '300')) * 1000
const OP_TIMEOUT = 30_000
// extra chorus-dht init (JSON), for experiments
const CHORUS_EXTRA = JSON.parse(arg('chorus', '{}'))

const enc = new TextEncoder()

// deterministic pseudo-random so both implementations get the same op sequence
function rng (seed) {
  let s = seed >>> 0
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
}

const pct = (xs, p) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]
}

/** Counts every kad RPC sent by any node of a network (wraps the kad network layer). */
function countRpcs (dhts) {
  const counter = { n: 0 }
  for (const dht of dhts) {
    const net = dht.network
    for (const m of ['sendRequest', 'sendMessage']) {
      const orig = net[m].bind(net)
      net[m] = (...a) => { counter.n++; return orig(...a) }
    }
  }
  return counter
}

const uniqueRoutingPeers = (dht) => {
  const ids = new Set()
  for (const p of dht.routingTable.kb?.toIterable() ?? []) ids.add(p.peerId.toString())
  return ids.size
}

async function stockFactory (n) {
  const nodes = await Promise.all(Array.from({ length: n }, () => createLibp2p({
    addresses: { listen: [`/memory/stock-${Math.random()}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      // default settings except what any non-public deployment needs (server mode, keep
      // non-public addresses: stock defaults form no network at all on the memory transport),
      // the protocol id and a validator/selector for the CHORUS namespace
      dht: kadDHT({ protocol: '/CHORUS/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper, validators, selectors })
    }
  })))
  return {
    name: 'stock kad-dht',
    dhts: nodes.map(n => n.services.dht),
    nodes,
    async join () {
      await Promise.all(nodes.map(async (node, i) => {
        for (const t of targetsOf(i)) await node.dial(nodes[t].getMultiaddrs()[0]).catch(() => {})
      }))
    },
    routingSize: (i) => uniqueRoutingPeers(nodes[i].services.dht),
    async put (i, key, value, signal) {
      let accepted = 0
      for await (const ev of nodes[i].services.dht.put(enc.encode(key), value, { signal })) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') accepted++
      }
      return accepted
    },
    async get (i, key, signal) {
      return nodes[i].contentRouting.get(enc.encode(key), { signal })
    },
    async stop () { await Promise.all(nodes.map(n => n.stop())) }
  }
}

let run = 0
async function chorusFactory (n) {
  run++
  const nodes = await createChorusNetwork(`chorus-bench-${run}`, n, CHORUS_EXTRA)
  return {
    name: 'chorus-dht',
    dhts: nodes.map(n => n.libp2p.services.dht),
    nodes: nodes.map(n => n.libp2p),
    async join () {
      await Promise.all(nodes.map(async (node) => { await node.bootstrap().catch(err => log('bootstrap failed', err.message)) }))
    },
    routingSize: (i) => nodes[i].getRoutingTablePeers().length,
    async put (i, key, value, signal) {
      return (await nodes[i].putValue(key, value, { signal })).remotePeers
    },
    async get (i, key, signal) {
      return nodes[i].getValue(key, { signal })
    },
    async stop () { await Promise.all(nodes.map(n => n.stop())) }
  }
}

async function measure (factory, n) {
  globalThis.gc?.()
  // each (implementation, N) runs in a fresh process, so RSS growth is the network's
  const mem = () => process.memoryUsage().rss
  const mem0 = mem()
  const t0 = performance.now()
  const net = await factory(n)
  const rpc = countRpcs(net.dhts)
  await net.join()
  const want = Math.min(n - 1, MIN_PEERS)
  let formed = true
  for (;;) {
    let ready = 0
    for (let i = 0; i < n; i++) if (net.routingSize(i) >= want) ready++
    if (ready === n) break
    if (performance.now() - t0 > FORMATION_DEADLINE) { formed = `no (${ready}/${n})`; break }
    await new Promise(r => setTimeout(r, 100))
  }
  const formation = performance.now() - t0
  log(`${net.name} N=${n} formed=${formed} in ${(formation / 1000).toFixed(1)} s`)
  globalThis.gc?.()
  const memPerNode = (mem() - mem0) / n / 2 ** 20

  const r = rng(n)
  const keys = []
  const putLat = []
  let putFail = 0
  const rpc0 = rpc.n
  // CPU of the whole network per operation: unlike latency, it does not grow when the machine is shared
  const putCpu0 = process.cpuUsage()
  for (let p = 0; p < PUTS; p++) {
    const key = `/CHORUS/bench/${n}/${p}`
    const i = Math.floor(r() * n)
    const t = performance.now()
    try {
      const accepted = await net.put(i, key, enc.encode(`value-${p}`), AbortSignal.timeout(OP_TIMEOUT))
      if (accepted === 0) putFail++
      keys.push(key)
    } catch { putFail++ }
    putLat.push(performance.now() - t)
    if (process.env.BENCH_VERBOSE) log(`put ${p} node ${i} ${(performance.now() - t).toFixed(0)} ms`)
  }
  const putRpcs = (rpc.n - rpc0) / PUTS
  const putCpuUsage = process.cpuUsage(putCpu0)
  const putCpu = (putCpuUsage.user + putCpuUsage.system) / 1000 / PUTS
  const getCpu0 = process.cpuUsage()
  const getLat = []
  let getFail = 0
  const rpc1 = rpc.n
  for (let g = 0; g < GETS; g++) {
    const p = Math.floor(r() * keys.length)
    const i = Math.floor(r() * n)
    const t = performance.now()
    try {
      const v = await net.get(i, keys[p], AbortSignal.timeout(OP_TIMEOUT))
      if (new TextDecoder().decode(v) !== `value-${keys[p].split('/').pop()}`) getFail++
    } catch { getFail++ }
    getLat.push(performance.now() - t)
  }
  const getRpcs = (rpc.n - rpc1) / GETS
  const getCpuUsage = process.cpuUsage(getCpu0)
  const getCpu = (getCpuUsage.user + getCpuUsage.system) / 1000 / GETS
  // idle CPU: nothing asked of the network for IDLE_S seconds. The garbage
  // the puts and gets left is collected first (both rows alike): otherwise
  // V8's lazy major GC of the workload's heap lands in the window at random
  // (0.02-0.08 cores between runs at N=100) and is counted as idle cost
  globalThis.gc?.()
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  const rpcIdle0 = rpc.n
  await new Promise(res => setTimeout(res, IDLE_S * 1000))
  const c = process.cpuUsage(c0)
  const idleCores = (c.user + c.system) / 1000 / (performance.now() - w0)
  const idleRpcs = (rpc.n - rpcIdle0) / IDLE_S
  await net.stop()
  return {
    impl: net.name, n, formed, formation: formation / 1000,
    putP50: pct(putLat, 50), putP95: pct(putLat, 95), putFail,
    getP50: pct(getLat, 50), getP95: pct(getLat, 95), getFail,
    putRpcs, getRpcs, memPerNode, idleCores, idleRpcs, putCpu, getCpu
  }
}

const fmt = (x, d = 0) => typeof x === 'number' ? (Number.isNaN(x) ? '-' : x.toFixed(d)) : String(x)
const row = (r) => `| ${r.impl} | ${r.n} | ${r.formed === true ? 'yes' : r.formed} | ${fmt(r.formation, 1)} | ${fmt(r.putP50)} | ${fmt(r.putP95)} | ${r.putFail} | ${fmt(r.getP50)} | ${fmt(r.getP95)} | ${r.getFail} | ${fmt(r.putRpcs, 1)} | ${fmt(r.getRpcs, 1)} | ${fmt(r.memPerNode, 1)} | ${fmt(r.idleCores, 3)} | ${fmt(r.idleRpcs, 1)} | ${fmt(r.putCpu)} | ${fmt(r.getCpu)} |`
const header = () => {
  console.log(`\none process per row; puts=${PUTS} gets=${GETS} idle=${IDLE_S}s degree=${DEGREE} min-peers=${MIN_PEERS} op-timeout=${OP_TIMEOUT / 1000}s node=${process.version} (memory transport + noise + yamux)`)
  console.log('| impl | N | formed | formation s | put p50 ms | put p95 ms | failed puts | get p50 ms | get p95 ms | failed gets | RPCs/put | RPCs/get | RSS MiB/node | idle cores | idle RPC/s | CPU ms/put | CPU ms/get |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
}

const CHILD = arg('child', undefined)
if (CHILD != null) {
  // one measurement in this (fresh) process; the result goes to the parent as JSON
  const factory = CHILD === 'stock' ? stockFactory : chorusFactory
  const r = await measure(factory, Number(arg('n', '20')))
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`)
  process.exit(0)
}

// every (implementation, N) in its own child process: clean memory and CPU figures
const { spawn } = await import('node:child_process')
async function runChild (impl, n) {
  const own = ['--sizes', '--only', '--stock-max-n']
  const passOn = args.filter((_, i) => !own.includes(args[i]) && !own.includes(args[i - 1]))
  const child = spawn(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, ...passOn, '--child', impl, '--n', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', d => { out += String(d) })
  const code = await new Promise(resolve => child.on('exit', resolve))
  const line = out.split('\n').find(l => l.startsWith('RESULT '))
  if (line == null) throw new Error(`${impl} N=${n} exited with ${code} and no result`)
  return JSON.parse(line.slice(7))
}

// rows are printed as they complete, then once more together
header()
const rows = []
for (const n of SIZES) {
  for (const impl of ONLY === 'both' ? ['stock', 'chorus'] : [ONLY]) {
    if (impl === 'stock' && ONLY === 'both' && n > STOCK_MAX_N) {
      log(`stock N=${n} skipped (--stock-max-n ${STOCK_MAX_N})`)
      continue
    }
    try {
      const r = await runChild(impl, n)
      rows.push(r)
      console.log(row(r))
    } catch (err) {
      log('run failed', err)
    }
  }
}
header()
for (const r of rows) console.log(row(r))
