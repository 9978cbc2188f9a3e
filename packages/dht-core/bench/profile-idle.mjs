// Profiles the idle CPU of an N-node chorus-dht network in one process. Usage:
// node --expose-gc bench/profile-idle.mjs [--n 100] [--idle 30] [--puts 20] [--gets 20] [--window idle|puts] [--out idle.cpuprofile]
// Forms the network as bench/index.mjs does, runs a few puts and gets, then profiles one
// window (node:inspector): the idle one after the operations (default), or with
// `--window puts` the puts themselves. Prints the top functions by self time, self time by
// package, the RPCs sent by message type, and dials / pings / connections opened in the window.
import { createChorusNetwork, log } from './network.mjs'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'

const args = process.argv.slice(2)
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}
const N = Number(arg('n', '100'))
const IDLE_S = Number(arg('idle', '30'))
const PUTS = Number(arg('puts', '20'))
const GETS = Number(arg('gets', '20'))
const OUT = arg('out', undefined)
const WINDOW = arg('window', 'idle')
if (WINDOW !== 'idle' && WINDOW !== 'puts') throw new Error(`--window must be idle or puts, not ${WINDOW}`)
const TOP = Number(arg('top', '30'))
const EXTRA = JSON.parse(arg('chorus', '{}'))
const enc = new TextEncoder()
const nodes = await createChorusNetwork('chorus-profile', N, EXTRA)

// what the idle network does: RPCs by type, dials, pings, connections
const counts = new Map()
const count = (what) => counts.set(what, (counts.get(what) ?? 0) + 1)
let counting = false
const TYPES = ['PUT_VALUE', 'GET_VALUE', 'ADD_PROVIDER', 'GET_PROVIDERS', 'FIND_NODE', 'PING']
for (const node of nodes) {
  const net = node.libp2p.services.dht.network
  for (const m of ['sendRequest', 'sendMessage']) {
    const orig = net[m].bind(net)
    net[m] = (to, msg, ...rest) => { if (counting) count(`rpc ${TYPES[msg.type] ?? msg.type}`); return orig(to, msg, ...rest) }
  }
  const ping = node.libp2p.services.ping
  const origPing = ping.ping.bind(ping)
  ping.ping = (...a) => { if (counting) count('libp2p ping'); return origPing(...a) }
  const origDial = node.libp2p.dialProtocol.bind(node.libp2p)
  node.libp2p.dialProtocol = (peer, protocols, ...rest) => { if (counting) count(`dialProtocol ${[protocols].flat().join(',')}`); return origDial(peer, protocols, ...rest) }
  node.libp2p.addEventListener('connection:open', () => { if (counting) count('connection:open') })
  node.libp2p.addEventListener('connection:close', () => { if (counting) count('connection:close') })
}

// keeps the process alive while every pending operation relies on unref'd timers
const keepAlive = setInterval(() => {}, 1000)
process.on('exit', (code) => { if (code !== 0) console.error('exit code', code) })
const t0 = performance.now()
await Promise.all(nodes.map(async (n) => { await n.start() }))
await Promise.all(nodes.map(async (n) => { await n.bootstrap().catch(err => log('bootstrap failed', err.message)) }))
const want = Math.min(N - 1, 10)
while (nodes.some(n => n.getRoutingTablePeers().length < want) && performance.now() - t0 < 120_000) {
  await new Promise(r => setTimeout(r, 100))
}
log(`N=${N} formed in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 1000 })
let c0, w0
const startWindow = async () => {
  globalThis.gc?.()
  counting = true
  c0 = process.cpuUsage()
  w0 = performance.now()
  await session.post('Profiler.start')
}
if (WINDOW === 'puts') await startWindow()
const keys = []
for (let p = 0; p < PUTS; p++) {
  const key = `/CHORUS/profile/${p}`
  const tp = performance.now()
  await nodes[(p * 37) % N].putValue(key, enc.encode(`v${p}`)).catch(err => log('put failed', err.message))
  log(`put ${p} ${(performance.now() - tp).toFixed(0)} ms`)
  keys.push(key)
}
if (WINDOW === 'idle') {
  for (let g = 0; g < GETS; g++) {
    await nodes[(g * 53 + 11) % N].getValue(keys[g % keys.length]).catch(err => log('get failed', err.message))
  }
  log('puts and gets done, idle window starts')
  await startWindow()
  await new Promise(r => setTimeout(r, IDLE_S * 1000))
}
const { profile } = await session.post('Profiler.stop')
const c = process.cpuUsage(c0)
const wall = performance.now() - w0
counting = false
const idleCores = (c.user + c.system) / 1000 / wall
if (OUT != null) writeFileSync(OUT, JSON.stringify(profile))

// self time per node of the profile: samples × their time deltas
const self = new Map()
const byId = new Map(profile.nodes.map(n => [n.id, n]))
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const byFn = new Map()
const byPkg = new Map()
const pkgOf = (url) => {
  if (url === '') return '(native/idle)'
  const m = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  if (m != null) return m[1]
  if (url.startsWith('node:')) return 'node core'
  return url.replace(/^file:\/\/\/work\/main\//, '')
}
for (const [id, us] of self) {
  const n = byId.get(id)
  const { functionName, url, lineNumber } = n.callFrame
  const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1}`
  byFn.set(fn, (byFn.get(fn) ?? 0) + us)
  const pkg = pkgOf(url)
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us)
}
const total = [...self.values()].reduce((a, b) => a + b, 0)
const busy = [...byFn].filter(([f]) => !f.startsWith('(idle)') && !f.startsWith('(program)')).reduce((a, [, us]) => a + us, 0)
const ms = (us) => (us / 1000).toFixed(0)
console.log(`\nN=${N} ${WINDOW === 'idle' ? `idle ${IDLE_S} s` : `${PUTS} puts`} (${(wall / 1000).toFixed(1)} s): ${idleCores.toFixed(3)} cores (process.cpuUsage); profile ${ms(total)} ms sampled, ${ms(busy)} ms not idle`)
console.log('\nTop functions by self time (ms):')
for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${ms(us).padStart(7)}  ${fn}`)
console.log('\nSelf time by package (ms):')
for (const [pkg, us] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${ms(us).padStart(7)}  ${pkg}`)
console.log(`\nIn the window (whole network):`)
for (const [what, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(7)}  ${what}`)
await Promise.all(nodes.map(async (n) => { await n.stop() }))
clearInterval(keepAlive)
process.exit(0)
