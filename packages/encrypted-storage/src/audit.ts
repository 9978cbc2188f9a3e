import { open, readFile } from 'node:fs/promises'
import { IntegrityError } from './errors.js'
import { sha256Hex } from './record.js'
import type { AuditEntry, AuditSink, AuditVerification } from '@chorus-dht/types'

/** The hash the first line of a trail chains to: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64)

const encoder = new TextEncoder()

/**
 * Where a trail ends: how many entries it has and the sha-256 of its last
 * line. Keep it somewhere the trail's writer cannot change (another host, a
 * signed checkpoint) to detect a removed or edited *last* line, which the
 * chain alone cannot reveal.
 */
export interface AuditHead {
  entries: number
  /** sha-256 (hex) of the last line; {@link AUDIT_GENESIS_HASH} when empty. */
  hash: string
}

/** Options of `verify`. */
export interface AuditVerifyOptions {
  /** An externally kept head; the trail must end exactly there. */
  head?: AuditHead
}

/** An audit sink that can read back, verify and report its head. */
export interface ChainedAuditSink extends AuditSink {
  /** The entries, oldest first. */
  read(): Promise<AuditEntry[]>
  /** Checks the chain (and, with `head`, the end of the trail). */
  verify(options?: AuditVerifyOptions): Promise<AuditVerification>
  /** The current end of the trail. */
  head(): Promise<AuditHead>
  close(): Promise<void>
}

/** One line of the trail: `seq` (1-based), the entry, and `prev`, the sha-256 of the previous line. */
function formatLine (seq: number, entry: AuditEntry, prev: string): string {
  const line: Record<string, unknown> = {
    seq,
    timestamp: entry.timestamp,
    operation: entry.operation,
    nodeId: entry.nodeId,
    address: entry.address,
    role: entry.role,
    contentType: entry.contentType,
    size: entry.size,
    success: entry.success
  }
  if (entry.error != null) line.error = entry.error
  line.prev = prev
  return JSON.stringify(line)
}

function toEntry (parsed: any): AuditEntry {
  const entry: AuditEntry = {
    timestamp: parsed.timestamp,
    operation: parsed.operation,
    nodeId: parsed.nodeId,
    address: parsed.address,
    role: parsed.role,
    contentType: parsed.contentType,
    size: parsed.size,
    success: parsed.success
  }
  if (parsed.error != null) entry.error = parsed.error
  return entry
}

/** Checks the chain of `lines` (without their newlines). */
function verifyLines (lines: string[], options: AuditVerifyOptions = {}): AuditVerification {
  let prev = AUDIT_GENESIS_HASH
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let parsed: any
    try {
      parsed = JSON.parse(lines[i])
    } catch {
      return { valid: false, entries: i, line: lineNo, reason: `line ${lineNo} is not JSON (edited or truncated)` }
    }
    if (parsed == null || typeof parsed !== 'object' || parsed.prev !== prev) {
      return { valid: false, entries: i, line: lineNo, reason: `line ${lineNo} does not chain to the line before it: a line was edited, removed or reordered` }
    }
    if (parsed.seq !== lineNo) {
      return { valid: false, entries: i, line: lineNo, reason: `line ${lineNo} has sequence number ${String(parsed.seq)}` }
    }
    prev = sha256Hex(encoder.encode(lines[i]))
  }
  const head = options.head
  if (head != null && (head.entries !== lines.length || head.hash !== prev)) {
    const line = Math.min(head.entries, lines.length) || 1
    return { valid: false, entries: lines.length, line, reason: `the trail ends at entry ${lines.length} but the expected head is entry ${head.entries}: lines were removed, added or edited at the end` }
  }
  return { valid: true, entries: lines.length }
}

function headOf (lines: string[]): AuditHead {
  return {
    entries: lines.length,
    hash: lines.length === 0 ? AUDIT_GENESIS_HASH : sha256Hex(encoder.encode(lines[lines.length - 1]))
  }
}

class MemoryAuditSink implements ChainedAuditSink {
  /** The chained lines, exposed for tests that tamper with them. */
  readonly lines: string[] = []
  private prev = AUDIT_GENESIS_HASH

  async append (entry: AuditEntry): Promise<void> {
    const line = formatLine(this.lines.length + 1, entry, this.prev)
    this.lines.push(line)
    this.prev = sha256Hex(encoder.encode(line))
  }

  async read (): Promise<AuditEntry[]> {
    return this.lines.map(line => toEntry(JSON.parse(line)))
  }

  async verify (options?: AuditVerifyOptions): Promise<AuditVerification> {
    return verifyLines(this.lines, options)
  }

  async head (): Promise<AuditHead> {
    return headOf(this.lines)
  }

  async close (): Promise<void> {}
}

/** An in-memory audit sink with the same hash chain as the file sink. */
export interface MemoryAuditSinkHandle extends ChainedAuditSink {
  /** The chained JSON lines, oldest first. */
  readonly lines: string[]
}

/** An audit sink that keeps the chained entries in memory (tests, short-lived nodes). */
export function memoryAuditSink (): MemoryAuditSinkHandle {
  return new MemoryAuditSink()
}

/** Options of {@link fileAuditSink}. */
export interface FileAuditSinkInit {
  /**
   * `fdatasync` after each batch of appends, so an acknowledged entry
   * survives a crash. Appends arriving while a write is in flight are
   * written and synced together (group commit).
   * @default true
   */
  sync?: boolean
}

interface Pending {
  entry: AuditEntry
  resolve: () => void
  reject: (err: Error) => void
}

function splitLines (text: string): { lines: string[], complete: boolean } {
  if (text === '') return { lines: [], complete: true }
  const complete = text.endsWith('\n')
  const lines = text.split('\n')
  if (complete) lines.pop()
  return { lines, complete }
}

class FileAuditSink implements ChainedAuditSink {
  private readonly path: string
  private readonly sync: boolean
  private state?: { seq: number, prev: string }
  private pending: Pending[] = []
  private flushing?: Promise<void>
  private closed = false

  constructor (path: string, init: FileAuditSinkInit) {
    this.path = path
    this.sync = init.sync ?? true
  }

  private async readText (): Promise<string> {
    try {
      return await readFile(this.path, 'utf8')
    } catch (err: any) {
      if (err.code === 'ENOENT') return ''
      throw err
    }
  }

  private async loadState (): Promise<{ seq: number, prev: string }> {
    if (this.state != null) return this.state
    const { lines, complete } = splitLines(await this.readText())
    if (!complete) {
      throw new IntegrityError(`audit file ${this.path} ends with an incomplete line; repair it before appending`)
    }
    const head = headOf(lines)
    this.state = { seq: head.entries, prev: head.hash }
    return this.state
  }

  async append (entry: AuditEntry): Promise<void> {
    if (this.closed) throw new IntegrityError('audit sink is closed')
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject })
      this.flushing ??= this.flush().finally(() => { this.flushing = undefined })
    })
  }

  private async flush (): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0)
      try {
        const state = await this.loadState()
        let { seq, prev } = state
        let text = ''
        for (const { entry } of batch) {
          seq++
          const line = formatLine(seq, entry, prev)
          prev = sha256Hex(encoder.encode(line))
          text += `${line}\n`
        }
        const handle = await open(this.path, 'a', 0o600)
        try {
          await handle.appendFile(text, 'utf8')
          if (this.sync) await handle.datasync()
        } finally {
          await handle.close()
        }
        this.state = { seq, prev }
        for (const p of batch) p.resolve()
      } catch (err: any) {
        // the file may hold part of the batch: re-read it before the next append
        this.state = undefined
        for (const p of batch) p.reject(err)
      }
    }
  }

  private async lines (): Promise<{ lines: string[], complete: boolean }> {
    await this.flushing
    return splitLines(await this.readText())
  }

  async read (): Promise<AuditEntry[]> {
    const { lines } = await this.lines()
    const entries: AuditEntry[] = []
    for (const line of lines) {
      try {
        entries.push(toEntry(JSON.parse(line)))
      } catch {
        // verify() reports it
      }
    }
    return entries
  }

  async verify (options?: AuditVerifyOptions): Promise<AuditVerification> {
    const { lines, complete } = await this.lines()
    const result = verifyLines(lines, options)
    if (result.valid && !complete) {
      return { valid: false, entries: lines.length - 1, line: lines.length, reason: `line ${lines.length} is incomplete (the file was truncated or a write was interrupted)` }
    }
    return result
  }

  async head (): Promise<AuditHead> {
    const { lines } = await this.lines()
    return headOf(lines)
  }

  async close (): Promise<void> {
    this.closed = true
    await this.flushing
  }
}

/**
 * An append-only JSON-lines audit file. Each line is one entry with `seq`
 * (1-based) and `prev`, the sha-256 (hex) of the previous line
 * ({@link AUDIT_GENESIS_HASH} for the first), so `verify()` finds an edited,
 * removed, inserted or reordered line anywhere before the last line, and an
 * incomplete last line. Removing or rewriting the *last* line(s) leaves a
 * valid shorter chain: that is detected only against a head kept elsewhere
 * (`verify({ head })` with a {@link AuditHead} from `head()`). Appends are
 * serialized; the file is created with mode 0600 and reopened where it
 * ended after a restart.
 */
export function fileAuditSink (path: string, init: FileAuditSinkInit = {}): ChainedAuditSink {
  return new FileAuditSink(path, init)
}
