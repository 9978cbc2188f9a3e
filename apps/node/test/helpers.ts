import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package directory: processes run the CLI from source through tsx. */
export const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
export const CLI = join(PKG_DIR, 'src', 'cli.ts')

/** A clean environment: nothing CHORUS_* leaks in from the test runner. */
export function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CHORUS_')) env[k] = v
  }
  return { ...env, CHORUS_LOG_LEVEL: 'warn', ...extra }
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T> (fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeout = 30_000, interval = 100): Promise<T> {
  const deadline = Date.now() + timeout
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v as T
    } catch (err) {
      last = err
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
  throw new Error(`timed out waiting for ${what}${last != null ? ` (last error: ${String((last as Error).message ?? last)})` : ''}`)
}

/** A node process started by a test. */
export interface TestNode {
  proc: ChildProcess
  api: string
  peerId: string
  multiaddr: string
  dataDir: string
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

const running = new Set<ChildProcess>()

/** Starts `chorus-dht start` with ephemeral ports on 127.0.0.1 and waits until it prints its API URL. */
export async function startNode (dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<TestNode> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--data-dir', dataDir, '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', ...args], {
    cwd: PKG_DIR,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(proc)
  let out = ''
  let err = ''
  proc.stdout!.on('data', d => { out += d })
  proc.stderr!.on('data', d => { err += d })
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => {
    running.delete(proc)
    resolve(code)
  }))
  let exitCode: number | null | undefined
  void exited.then(c => { exitCode = c })
  await waitFor(() => {
    if (exitCode !== undefined) throw new Error(`node exited with ${exitCode}: ${err}`)
    return /^api:\s+\S+/m.test(out)
  }, `node in ${dataDir} to start`, 60_000)
  return {
    proc,
    api: /^api:\s+(\S+)/m.exec(out)![1],
    peerId: /^peer id:\s+(\S+)/m.exec(out)![1],
    multiaddr: /^multiaddr:\s+(\S+)/m.exec(out)?.[1] ?? '',
    dataDir,
    stdout: () => out,
    stderr: () => err,
    exited
  }
}

/** Stops a node with a signal and resolves its exit code. */
export async function stopNode (node: TestNode, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (node.proc.exitCode != null || node.proc.signalCode != null) return node.proc.exitCode
  node.proc.kill(signal)
  return await node.exited
}

/** Kills every node still running (afterAll). */
export async function killAll (): Promise<void> {
  const waits = [...running].map(async p => {
    const done = new Promise(resolve => p.once('exit', resolve))
    p.kill('SIGKILL')
    await done
  })
  await Promise.all(waits)
}

/** The result of one CLI run. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI as a separate process. */
export async function runCli (args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: PKG_DIR,
    env: cleanEnv(env),
    stdio: [input != null ? 'pipe' : 'ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', d => { stdout += d })
  proc.stderr!.on('data', d => { stderr += d })
  if (input != null) proc.stdin!.end(input)
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  return { code, stdout, stderr }
}

/** GET a JSON envelope. */
export async function getJson (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { headers })
  return { status: res.status, body: await res.json() }
}

/** URL-encodes a UCXL address for the API. */
export function enc (address: string): string {
  return encodeURIComponent(address)
}
