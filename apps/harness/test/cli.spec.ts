import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli-main.js'
import { ResultRecorder } from '../src/result.js'
import type { CliIO } from '../src/cli-main.js'
import type { Scenario, ScenarioResult } from '../src/index.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const dirs: string[] = []

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chorus-harness-'))
  dirs.push(dir)
  return dir
}

function capture (): CliIO & { out: string, err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => { io.out += t },
    stderr: (t: string) => { io.err += t }
  }
  return io
}

/** A scenario that records one invariant with the given outcome and the options it got. */
function fakeScenario (passed: boolean, seen: Array<Record<string, unknown>> = []): Scenario {
  return {
    name: 'fake',
    description: 'a scenario for CLI tests',
    defaultNodes: 3,
    minNodes: 2,
    params: [
      { name: 'mode', description: 'a choice', type: 'string', default: 'a', choices: ['a', 'b'] },
      { name: 'flag', description: 'a boolean', type: 'boolean', default: false },
      { name: 'share', description: 'a number', type: 'number', default: 0.5 }
    ],
    async run (options = {}): Promise<ScenarioResult> {
      const { log, ...rest } = options
      seen.push(rest)
      log?.('working')
      const rec = new ResultRecorder('fake', 'a scenario for CLI tests', rest)
      rec.timing('step', 5)
      rec.check('holds', 'the outcome under test', passed, passed ? 'fine' : 'broken')
      return rec.finish()
    }
  }
}

describe('chorus-harness CLI (in process)', () => {
  it('prints usage on --help (exit 0) and on no arguments (exit 2, stderr)', async () => {
    const help = capture()
    expect(await main(['--help'], help)).toBe(0)
    expect(help.out).toContain('chorus-harness run <scenario>')
    expect(help.out).toContain('Exit codes')
    const none = capture()
    expect(await main([], none)).toBe(2)
    expect(none.err).toContain('Usage:')
    expect(none.out).toBe('')
  })

  it('lists every registered scenario', async () => {
    const io = capture()
    expect(await main(['list'], io)).toBe(0)
    for (const name of ['store-retrieve', 'partition-heal', 'churn-repair', 'hybrid-outage', 'scale']) expect(io.out).toContain(name)
  })

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run'], /run needs a scenario name/],
    [['run', 'nope'], /unknown scenario "nope"/],
    [['run', 'fake', '--bogus', '1'], /Unknown option '--bogus'/],
    [['run', 'fake', '--nodes', 'many'], /--nodes must be an integer/],
    [['run', 'fake', '--nodes', '1'], /--nodes must be at least 2/],
    [['run', 'fake', '--seed=-3'], /--seed must be a non-negative integer/],
    [['run', 'fake', '--mode', 'c'], /--mode must be one of a, b/],
    [['run', 'fake', '--flag', 'yes'], /--flag must be true or false/],
    [['run', 'fake', '--share', 'half'], /--share must be a number/],
    [['list', 'extra'], /list takes no arguments/]
  ])('exits 2 on the usage error %j', async (argv, message) => {
    const seen: Array<Record<string, unknown>> = []
    const io = capture()
    expect(await main(argv, io, [fakeScenario(true, seen)])).toBe(2)
    expect(io.err).toMatch(message)
    expect(seen).toEqual([])
  })

  it('passes options to the scenario, writes both reports and exits 0 when every invariant holds', async () => {
    const dir = await tempDir()
    const seen: Array<Record<string, unknown>> = []
    const io = capture()
    const code = await main(['run', 'fake', '--nodes', '4', '--seed', '9', '--mode', 'b', '--flag', 'true', '--share', '0.25', '--report-dir', dir], io, [fakeScenario(true, seen)])
    expect(code).toBe(0)
    expect(seen).toEqual([{ nodes: 4, seed: 9, mode: 'b', flag: true, share: 0.25 }])
    expect(io.out).toContain('fake: PASSED')
    expect(io.err).toContain('working')
    const files = (await readdir(dir)).sort()
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(/^fake-.*\.json$/)
    expect(files[1]).toMatch(/^fake-.*\.md$/)
    const json = JSON.parse(await readFile(join(dir, files[0]), 'utf8'))
    expect(json).toMatchObject({ scenario: 'fake', passed: true, invariants: [{ name: 'holds', passed: true }], timings: { step: { count: 1, p50: 5, p95: 5 } } })
    const md = await readFile(join(dir, files[1]), 'utf8')
    expect(md).toContain('# fake: PASSED')
    expect(md).toContain('| holds | pass |')
  })

  it('exits 1 when an invariant fails, and --no-report --json --quiet print only the JSON', async () => {
    const io = capture()
    const code = await main(['run', 'fake', '--no-report', '--json', '--quiet'], io, [fakeScenario(false)])
    expect(code).toBe(1)
    expect(io.err).toBe('')
    expect(JSON.parse(io.out)).toMatchObject({ passed: false, invariants: [{ name: 'holds', passed: false, detail: 'broken' }] })
  })

  it('prints a scenario\'s own options on run <scenario> --help', async () => {
    const io = capture()
    expect(await main(['run', 'hybrid-outage', '--help'], io)).toBe(0)
    expect(io.out).toContain('--fault stop|isolate')
    expect(io.out).toContain('default 8')
  })
})

function runCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    proc.on('error', reject)
    proc.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

describe('chorus-harness CLI (a real process)', () => {
  it('imports the dht-core polyfill before anything else', async () => {
    const source = await readFile(CLI, 'utf8')
    const imports = source.split('\n').filter(l => l.startsWith('import '))
    expect(imports[0]).toBe('import \'@chorus-dht/dht-core/polyfill\'')
  })

  it('runs a small scale scenario with libp2p on this Node, writes reports and exits 0', async () => {
    const dir = await tempDir()
    const { code, stdout, stderr } = await runCli(['run', 'scale', '--nodes', '3', '--ops', '3', '--idleWindow', '0', '--report-dir', dir])
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('scale: PASSED')
    expect(stdout).toMatch(/put: p50 [\d.]+ ms, p95 [\d.]+ ms \(3\)/)
    expect((await readdir(dir)).filter(f => f.endsWith('.json') || f.endsWith('.md'))).toHaveLength(2)
  })

  it('exits 2 on a usage error', async () => {
    const { code, stderr } = await runCli(['run', 'scale', '--nodes', 'x'])
    expect(code).toBe(2)
    expect(stderr).toContain('--nodes must be an integer')
  })
})
