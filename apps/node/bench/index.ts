/* Times the node's HTTP API end to end: three in-process nodes over loopback TCP (replication factor 3 can be met). Prints figures, asserts nothing. */
import '@chorus-dht/dht-core/polyfill'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { ChorusNode } from '../src/node.js'

const N = Number(process.env.BENCH_N ?? 200)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const payload = new Uint8Array(1024).fill(97)

function pct (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function timed (label: string, count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
  const lat: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++
      const s = performance.now()
      await op(i)
      lat.push(performance.now() - s)
    }
  }))
  const total = performance.now() - t0
  lat.sort((a, b) => a - b)
  console.log(`${label.padEnd(44)} ${String(count).padStart(5)} ops  c=${concurrency}  ${(count / (total / 1000)).toFixed(1).padStart(8)} ops/s  p50 ${pct(lat, 0.5).toFixed(1).padStart(7)} ms  p95 ${pct(lat, 0.95).toFixed(1).padStart(7)} ms`)
}

async function check (res: Response, status: number): Promise<void> {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`)
  await res.arrayBuffer()
}

const root = await mkdtemp(join(tmpdir(), 'chorus-node-bench-'))
const logger = createLogger('error')
const env = { CHORUS_LOG_LEVEL: 'error', CHORUS_REPLICATION: process.env.CHORUS_REPLICATION ?? 'true' }
try {
  const t0 = performance.now()
  const a = new ChorusNode(await loadConfig({ env, flags: { dataDir: join(root, 'a'), apiPort: '0', listen: ['/ip4/127.0.0.1/tcp/0'] } }), logger)
  const infoA = await a.start()
  const started = performance.now() - t0
  const b = new ChorusNode(await loadConfig({ env, flags: { dataDir: join(root, 'b'), apiPort: '0', listen: ['/ip4/127.0.0.1/tcp/0'], keysDir: join(root, 'a', 'keys'), bootstrap: [infoA.multiaddrs[0]] } }), logger)
  const infoB = await b.start()
  const c = new ChorusNode(await loadConfig({ env, flags: { dataDir: join(root, 'c'), apiPort: '0', listen: ['/ip4/127.0.0.1/tcp/0'], keysDir: join(root, 'a', 'keys'), bootstrap: [infoA.multiaddrs[0]] } }), logger)
  await c.start()
  // wait for the network to form (a condition, not a fixed delay)
  while ((await (await fetch(`${infoA.api}/peers`)).json() as any).response.data.peers.length < 2) await new Promise(resolve => setTimeout(resolve, 100))
  console.log(`node start (fresh data dir, key generation): ${started.toFixed(0)} ms; 1 KiB payloads, role admin, N=${N}`)

  const addr = (i: number): string => encodeURIComponent(`ucxl://bench:admin@proj:task/*^/item/${i}`)
  await timed('PUT /ucxl on A (3-node network)', N, 1, async i => { await check(await fetch(`${infoA.api}/ucxl/${addr(i)}`, { method: 'PUT', body: payload }), 201) })
  await timed('PUT /ucxl on A (3-node network)', N, CONCURRENCY, async i => { await check(await fetch(`${infoA.api}/ucxl/${addr(N + i)}`, { method: 'PUT', body: payload }), 201) })
  await timed('GET /ucxl on A (cache hit)', N, 1, async i => { await check(await fetch(`${infoA.api}/ucxl/${addr(i)}`), 200) })
  await timed('GET /ucxl on B (cache miss: DHT, verify, decrypt)', N, 1, async i => { await check(await fetch(`${infoB.api}/ucxl/${addr(i)}`), 200) })
  await timed('GET /ucxl on B (cache miss), concurrent', N, CONCURRENCY, async i => { await check(await fetch(`${infoB.api}/ucxl/${addr(N + i)}`), 200) })
  await timed('GET /ucxl on B (cache hit)', N, 1, async i => { await check(await fetch(`${infoB.api}/ucxl/${addr(i)}`), 200) })
  await timed('GET /health on A', N, 1, async () => { await check(await fetch(`${infoA.api}/health`), 200) })

  const s0 = performance.now()
  await c.stop()
  await b.stop()
  await a.stop()
  console.log(`orderly stop of the three nodes: ${(performance.now() - s0).toFixed(0)} ms`)
} finally {
  await rm(root, { recursive: true, force: true })
}
