/**
 * Counts what happens to acknowledged writes, as a user of the node sees it:
 * two node processes on 127.0.0.1, N parallel PUTs of distinct contents to
 * one address (all on node A, then split over A and B), then M parallel PUTs
 * followed by `kill -9` of A right after the last answer and a restart.
 * Prints, per case, the answers by status, versions acknowledged twice,
 * and acknowledged contents missing from their version.
 *
 *   node --import tsx bench/writes.ts [--parallel 50] [--kill 20] [--cli path/to/dist/cli.js]
 *
 * `--cli` runs another build of the node (e.g. an older commit's) with the
 * same measurement.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ChildProcess } from 'node:child_process'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    parallel: { type: 'string', default: '50' },
    kill: { type: 'string', default: '20' },
    cli: { type: 'string', default: join(here, '..', 'dist', 'cli.js') }
  }
})
const PARALLEL = Number(values.parallel)
const KILL = Number(values.kill)
const CLI = resolve(values.cli)
// the node's package directory: `--import` resolves the shim from there
const PKG = join(dirname(CLI), '..')
const POLYFILL = '@chorus-dht/dht-core/polyfill'

interface Node { proc: ChildProcess, api: string, peerId: string, exited: Promise<unknown> }

async function freePort (): Promise<number> {
  return await new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { ok(p) }) })
  })
}

async function run (args: string[]): Promise<number | null> {
  const p = spawn(process.execPath, ['--import', POLYFILL, CLI, ...args], { stdio: 'ignore', cwd: PKG })
  return await new Promise(ok => p.once('exit', ok))
}

async function start (dataDir: string, args: string[]): Promise<Node> {
  const proc = spawn(process.execPath, ['--import', POLYFILL, CLI, 'start', '--data-dir', dataDir, '--api-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: PKG,
    env: { ...process.env, CHORUS_LOG_LEVEL: 'error' }
  })
  let out = ''
  proc.stdout!.on('data', d => { out += d })
  proc.stderr!.resume()
  const exited = new Promise(ok => proc.once('exit', ok))
  const deadline = Date.now() + 60_000
  while (!/^api:\s+\S+/m.test(out)) {
    if (Date.now() > deadline || proc.exitCode != null) throw new Error(`node did not start: ${out}`)
    await new Promise(ok => setTimeout(ok, 100))
  }
  return { proc, api: /^api:\s+(\S+)/m.exec(out)![1], peerId: /^peer id:\s+(\S+)/m.exec(out)![1], exited }
}

interface Answer { status: number, content: string, version?: number }

async function put (node: Node, address: string, content: string): Promise<Answer> {
  try {
    const res = await fetch(`${node.api}/ucxl/${encodeURIComponent(address)}`, { method: 'PUT', body: content, headers: { 'content-type': 'text/plain' } })
    const body: any = await res.json().catch(() => ({}))
    return { status: res.status, content, version: body?.response?.data?.version }
  } catch {
    return { status: 0, content }
  }
}

/** Acknowledged contents not held at their version, read from `reader`. */
async function missing (reader: Node, address: string, acks: Answer[]): Promise<number> {
  let lost = 0
  for (const a of acks) {
    const res = await fetch(`${reader.api}/ucxl/${encodeURIComponent(address.replace('*^', `*~${a.version!}`))}?raw=true`)
    if (res.status !== 200 || await res.text() !== a.content) lost++
  }
  return lost
}

function summary (label: string, answers: Answer[], lost: number): void {
  const by = new Map<number, number>()
  for (const a of answers) by.set(a.status, (by.get(a.status) ?? 0) + 1)
  const acks = answers.filter(a => a.status === 201)
  const versions = acks.map(a => a.version)
  const reused = versions.length - new Set(versions).size
  const statuses = [...by.entries()].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}×${n}`).join(' ')
  console.log(`| ${label} | ${answers.length} | ${statuses} | ${reused} | ${lost} of ${acks.length} |`)
}

const root = await mkdtemp(join(tmpdir(), 'chorus-writes-bench-'))
const keys = join(root, 'keys')
const nodes: Node[] = []
try {
  await run(['keys', 'generate', 'admin', '--keys-dir', keys])
  const portA = await freePort()
  const aArgs = ['--keys-dir', keys, '--listen', `/ip4/127.0.0.1/tcp/${portA}`]
  let a = await start(join(root, 'a'), aArgs)
  const b = await start(join(root, 'b'), ['--keys-dir', keys, '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', `/ip4/127.0.0.1/tcp/${portA}/p2p/${a.peerId}`])
  nodes.push(a, b)
  await new Promise(ok => setTimeout(ok, 2000)) // let the two routing tables meet (a bench, not a test)
  console.log(`cli: ${CLI}`)
  console.log('| case | PUTs | answers by status | versions acknowledged twice | acknowledged contents missing at their version |')
  console.log('|---|---|---|---|---|')

  const one = 'ucxl://agent1:admin@proj:task1/*^/bench-one'
  const onA = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) => put(a, one, `one node ${i}`)))
  summary(`${PARALLEL} parallel on one node`, onA, await missing(b, one, onA.filter(x => x.status === 201)))

  const two = 'ucxl://agent1:admin@proj:task1/*^/bench-two'
  const split = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) => put(i % 2 === 0 ? a : b, two, `two nodes ${i}`)))
  summary(`${PARALLEL / 2} + ${PARALLEL / 2} parallel on two nodes`, split, await missing(b, two, split.filter(x => x.status === 201)))

  const killed = 'ucxl://agent1:admin@proj:task1/*^/bench-kill'
  const beforeKill = await Promise.all(Array.from({ length: KILL }, async (_, i) => put(a, killed, `killed ${i}`)))
  a.proc.kill('SIGKILL')
  await a.exited
  a = await start(join(root, 'a'), aArgs)
  nodes[0] = a
  summary(`${KILL} parallel, kill -9, restart (read on A)`, beforeKill, await missing(a, killed, beforeKill.filter(x => x.status === 201)))
} finally {
  for (const n of nodes) {
    n.proc.kill('SIGKILL')
    await n.exited
  }
  await rm(root, { recursive: true, force: true })
}
