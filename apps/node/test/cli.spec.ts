import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli-main.js'
import type { CliIO } from '../src/cli-main.js'

function io (): CliIO & { out: string, err: string } {
  const r = {
    out: '',
    err: '',
    stdout: (t: string | Uint8Array) => { r.out += typeof t === 'string' ? t : Buffer.from(t).toString('utf8') },
    stderr: (t: string) => { r.err += t },
    stdin: async () => undefined,
    env: {},
    cwd: '/tmp'
  }
  return r
}

const COMMANDS = ['start', 'put', 'get', 'history', 'search', 'status', 'peers', 'roles', 'keys', 'authority', 'audit']

describe('the CLI', () => {
  it('prints help for every command with exit 0', async () => {
    for (const command of COMMANDS) {
      const o = io()
      expect(await main([command, '--help'], o)).toBe(0)
      expect(o.out).toContain(`Usage: chorus-dht ${command}`)
      expect(o.out).toContain('--help')
      expect(o.out).toContain('Example:\n  chorus-dht')
    }
    const o = io()
    expect(await main(['--help'], o)).toBe(0)
    for (const command of COMMANDS) expect(o.out).toContain(`  ${command}`)
    const authority = io()
    expect(await main(['authority', '--help'], authority)).toBe(0)
    expect(authority.out).toMatch(/chorus-dht authority issue --dir \S+ --peer \S+ --role backend_developer --role qa_engineer --expires 30d/)
    expect(authority.out).toMatch(/chorus-dht authority revoke --dir \S+ --peer \S+ --api/)
    expect(authority.out).toContain('--expires <WHEN>')
    expect((await (async () => { const s = io(); await main(['start', '--help'], s); return s.out })())).toContain('--certificate <FILE>')
  })

  it('exits 2 on usage errors', async () => {
    const cases = [
      [],
      ['frobnicate'],
      ['get'],
      ['get', 'a', 'b'],
      ['put'],
      ['start', '--no-such-option'],
      ['start', 'extra'],
      ['keys'],
      ['keys', 'generate'],
      ['keys', 'explode', 'admin'],
      ['audit'],
      ['audit', 'check'],
      ['status', '--api', 'ftp://x']
    ]
    for (const argv of cases) {
      const o = io()
      expect(await main(argv, o), argv.join(' ')).toBe(2)
      expect(o.err.length, argv.join(' ')).toBeGreaterThan(0)
    }
  })

  it('exits 2 naming the key for a bad configuration value', async () => {
    const o = io()
    o.env = { CHORUS_API_PORT: 'eighty' }
    expect(await main(['start'], o)).toBe(2)
    expect(o.err).toContain('CHORUS_API_PORT')
  })

  it('exits 1 when the node cannot be reached', async () => {
    const o = io()
    // port 9 (discard) on loopback: nothing listens there in the test environment
    expect(await main(['status', '--api', 'http://127.0.0.1:9'], o)).toBe(1)
    expect(o.err).toContain('cannot reach the node API')
  })
})

describe('keys and audit on a data directory', () => {
  it('generates, rotates and lists role keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-keys-'))
    try {
      const keys = join(dir, 'keys')
      const gen = io()
      expect(await main(['keys', 'generate', 'backend_developer', '--keys-dir', keys, '--json'], gen)).toBe(0)
      const first = JSON.parse(gen.out)
      expect(first).toMatchObject({ role: 'backend_developer', generation: 1 })
      expect(first.recipient).toMatch(/^age1/)

      const again = io()
      expect(await main(['keys', 'generate', 'backend_developer', '--keys-dir', keys], again)).toBe(1)

      const rot = io()
      expect(await main(['keys', 'rotate', 'backend_developer', '--keys-dir', keys, '--json'], rot)).toBe(0)
      const second = JSON.parse(rot.out)
      expect(second.generation).toBe(2)
      expect(second.recipient).not.toBe(first.recipient)

      const list = io()
      expect(await main(['keys', 'list', '--keys-dir', keys, '--json'], list)).toBe(0)
      expect(JSON.parse(list.out).roles).toEqual([{ role: 'backend_developer', recipient: second.recipient, held: true, generations: 2 }])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('audit verify fails on a data directory without an audit log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-audit-'))
    try {
      const o = io()
      expect(await main(['audit', 'verify', '--data-dir', dir], o)).toBe(1)
      expect(o.err).toContain('no audit log')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
