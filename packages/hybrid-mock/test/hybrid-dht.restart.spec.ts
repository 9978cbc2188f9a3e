import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

// A real process, a real LevelDB directory, a real SIGKILL: the journal
// must hold every write the killed process acknowledged.
const fixture = fileURLToPath(new URL('./fixtures/journal-node.ts', import.meta.url))
const children: ChildProcess[] = []
const dirs: string[] = []

function run (mode: 'write' | 'replay', dir: string): { child: ChildProcess, lines: string[], exited: Promise<number | null>, stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const lines: string[] = []
  let partial = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
  return { child, lines, exited, stderr: () => err }
}

/** Resolves once `condition()` holds; rejects when the process exits first or the deadline passes. */
async function until (condition: () => boolean, exited: Promise<unknown>, what: string, ms = 60_000): Promise<void> {
  let gone = false
  void exited.then(() => { gone = true })
  const deadline = Date.now() + ms
  while (!condition()) {
    if (gone) throw new Error(`the process exited before ${what}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => { setTimeout(resolve, 10) })
  }
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('HybridDHT journal across a process restart', () => {
  it('a node killed with SIGKILL mid-outage loses no acknowledged write: the next process replays them all, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hybrid-journal-'))
    dirs.push(dir)

    const writer = run('write', dir)
    const acked = (): number[] => writer.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]))
    try {
      await until(() => acked().length >= 50, writer.exited, '50 acknowledged writes')
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${writer.stderr()}`)
    }
    // every write went to the mock and the journal: the real node had no live peer
    expect(writer.lines.find((l) => l.startsWith('ack 0 '))).toBe('ack 0 mock 1')
    // killed while it is still writing: no shutdown, no flush
    writer.child.kill('SIGKILL')
    await writer.exited
    expect(writer.child.signalCode).toBe('SIGKILL')
    const written = acked()

    const replay = run('replay', dir)
    expect(await replay.exited).toBe(0)
    const out = replay.lines.find((l) => l.startsWith('{'))
    expect(out, replay.stderr()).toBeDefined()
    const report = JSON.parse(out!) as { active: string, pending: number, dropped: number, order: number[], received: number[], left: number }
    expect(report).toMatchObject({ active: 'real', pending: 0, dropped: 0, left: 0 })
    // every acknowledged write reached the live peer; a write in flight at the kill may come too
    expect(report.received).toEqual(expect.arrayContaining(written))
    expect(report.received.length).toBeGreaterThanOrEqual(written.length)
    expect(report.received.length).toBeLessThanOrEqual(written.length + 1)
    // in the order they were written
    expect(report.order).toEqual([...report.order].sort((a, b) => a - b))
    expect(report.order.slice(0, written.length)).toEqual(written)
  }, 120_000)
})
