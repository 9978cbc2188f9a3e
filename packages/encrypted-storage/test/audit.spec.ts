import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIT_GENESIS_HASH, fileAuditSink, memoryAuditSink, sha256Hex } from '../src/index.js'
import type { AuditEntry } from '@chorus-dht/types'

function entry (i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    timestamp: 1_700_000_000_000 + i,
    operation: 'store',
    nodeId: '12D3KooWnode',
    address: `ucxl://a:backend_developer@p:t/*^/doc${i}`,
    role: 'backend_developer',
    contentType: 'text/plain',
    size: i,
    success: true,
    ...extra
  }
}

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'es-audit-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

async function trail (name: string, n: number): Promise<{ path: string, lines: string[] }> {
  const path = join(dir, name)
  const sink = fileAuditSink(path)
  // concurrent appends are serialized into one valid chain
  await Promise.all(Array.from({ length: n }, async (_, i) => sink.append(entry(i + 1))))
  await sink.close()
  const text = await readFile(path, 'utf8')
  return { path, lines: text.split('\n').slice(0, -1) }
}

describe('fileAuditSink', () => {
  it('writes one chained JSON line per entry and verifies it', async () => {
    const { path, lines } = await trail('ok.jsonl', 5)
    expect(lines).toHaveLength(5)
    const first = JSON.parse(lines[0])
    expect(first.prev).toBe(AUDIT_GENESIS_HASH)
    expect(first.seq).toBe(1)
    expect(JSON.parse(lines[1]).prev).toBe(sha256Hex(new TextEncoder().encode(lines[0])))
    const sink = fileAuditSink(path)
    expect(await sink.verify()).toEqual({ valid: true, entries: 5 })
    expect((await sink.read()).map(e => e.size).sort()).toEqual([1, 2, 3, 4, 5])
  })

  it('continues the chain after a restart', async () => {
    const { path } = await trail('restart.jsonl', 2)
    const reopened = fileAuditSink(path)
    await reopened.append(entry(3, { success: false, error: 'AccessDeniedError: nope' }))
    expect(await reopened.verify()).toEqual({ valid: true, entries: 3 })
    const read = await reopened.read()
    expect(read[2]).toEqual(entry(3, { success: false, error: 'AccessDeniedError: nope' }))
    await reopened.close()
  })

  it('finds an edited line', async () => {
    const { path, lines } = await trail('edited.jsonl', 4)
    lines[1] = lines[1].replace('"success":true', '"success":false')
    await writeFile(path, `${lines.join('\n')}\n`)
    const result = await fileAuditSink(path).verify()
    expect(result).toMatchObject({ valid: false, line: 3 })
    expect(result.reason).toMatch(/edited, removed or reordered/)
  })

  it('finds a removed line, including the first', async () => {
    const { path, lines } = await trail('removed.jsonl', 4)
    await writeFile(path, `${[lines[0], lines[2], lines[3]].join('\n')}\n`)
    expect(await fileAuditSink(path).verify()).toMatchObject({ valid: false, line: 2 })
    await writeFile(path, `${lines.slice(1).join('\n')}\n`)
    expect(await fileAuditSink(path).verify()).toMatchObject({ valid: false, line: 1 })
  })

  it('finds reordered lines', async () => {
    const { path, lines } = await trail('reordered.jsonl', 4)
    await writeFile(path, `${[lines[0], lines[2], lines[1], lines[3]].join('\n')}\n`)
    expect(await fileAuditSink(path).verify()).toMatchObject({ valid: false, line: 2 })
  })

  it('finds a truncated last line', async () => {
    const { path, lines } = await trail('truncated.jsonl', 3)
    await writeFile(path, `${lines.join('\n')}\n`.slice(0, -10))
    const sink = fileAuditSink(path)
    expect(await sink.verify()).toMatchObject({ valid: false, line: 3 })
    await expect(sink.append(entry(9))).rejects.toThrow(expect.objectContaining({ name: 'IntegrityError' }))
  })

  it('needs an external head to find a removed last line', async () => {
    const { path, lines } = await trail('tail.jsonl', 3)
    const head = await fileAuditSink(path).head()
    expect(head).toEqual({ entries: 3, hash: sha256Hex(new TextEncoder().encode(lines[2])) })
    await writeFile(path, `${lines.slice(0, 2).join('\n')}\n`)
    const sink = fileAuditSink(path)
    // the shorter chain is internally consistent...
    expect(await sink.verify()).toEqual({ valid: true, entries: 2 })
    // ...and only the head kept elsewhere reveals the loss
    expect(await sink.verify({ head })).toMatchObject({ valid: false })
  })
})

describe('memoryAuditSink', () => {
  it('chains entries and detects tampering', async () => {
    const sink = memoryAuditSink()
    for (let i = 1; i <= 3; i++) await sink.append(entry(i))
    expect(await sink.verify()).toEqual({ valid: true, entries: 3 })
    expect((await sink.read())[1]).toEqual(entry(2))
    sink.lines[0] = sink.lines[0].replace('"size":1', '"size":100')
    expect(await sink.verify()).toMatchObject({ valid: false, line: 2 })
  })
})
