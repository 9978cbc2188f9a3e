import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli-main.js'
import { SETTINGS } from '../src/config.js'
import { CLI, PKG_DIR, cleanEnv, runCli } from './helpers.js'
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

const COMMANDS = ['start', 'put', 'get', 'history', 'search', 'status', 'peers', 'roles', 'replication', 'backend', 'keys', 'authority', 'audit', 'init', 'config', 'version']

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

describe('the CLI on commander', () => {
  it('suggests the closest command and option', async () => {
    const cmd = io()
    expect(await main(['satus'], cmd)).toBe(2)
    expect(cmd.err).toContain('Did you mean status?')
    const opt = io()
    expect(await main(['start', '--api-prot', '8080'], opt)).toBe(2)
    expect(opt.err).toContain('Did you mean --api-port?')
  })

  it('prints the version with -V, --version, -v and version', async () => {
    const { version } = JSON.parse(await readFile(join(PKG_DIR, 'package.json'), 'utf8'))
    for (const argv of [['-V'], ['--version'], ['-v'], ['version']]) {
      const o = io()
      expect(await main(argv, o), argv.join(' ')).toBe(0)
      expect(o.out.trim()).toBe(version)
    }
  })

  it('ends quietly when the reader closes the pipe (help start | head -0)', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'help', 'start'], { cwd: PKG_DIR, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    // the reader is gone before the CLI writes a byte
    proc.stdout.destroy()
    let stderr = ''
    proc.stderr.on('data', d => { stderr += d })
    const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
    expect(stderr).not.toMatch(/EPIPE|Error/)
    expect(code).toBe(0)
  })

  it('help <command> prints that command\'s help', async () => {
    const o = io()
    expect(await main(['help', 'start'], o)).toBe(0)
    expect(o.out).toContain('Usage: chorus-dht start')
    expect(o.out).toContain('--api-port <PORT>')
    expect(o.out).toContain('--dht-mode <MODE>')
    expect(o.out).not.toContain('Commands:')
  })

  it('checks every option locally, before anything contacts a node or starts', async () => {
    const cases = [
      ['search', '--limit', 'abc'],
      ['search', '--after', 'yesterday-ish'],
      ['history', 'ucxl://a:admin@p:t/*^/x', '--all', '--cursor', 'abc'],
      ['get', 'ucxl://a:admin@p:t/*^/x', '--role', 'bad role'],
      ['start', '--api-port', 'eighty'],
      ['start', '--dht-mode', 'sometimes'],
      ['start', '--log-level', 'loud'],
      ['start', '--cache-ttl', 'soon'],
      ['start', '--bootstrap', '/ip4/127.0.0.1/tcp/1'],
      ['start', '--metrics-listen', 'nine'],
      ['authority', 'init', '--dir', '/nonexistent', '--work-factor', '99'],
      ['roles', 'peers'],
      ['roles', 'peers', 'bad role'],
      ['roles', 'friends', 'admin'],
      ['roles', '--limit', '5'],
      ['roles', 'peers', 'admin', '--limit', '0'],
      ['replication'],
      ['replication', 'not-an-address'],
      ['replication', 'repair'],
      ['replication', 'ucxl://a:admin@p:t/*^/x', '--check'],
      ['replication', 'repair', 'ucxl://a:admin@p:t/*^/x', '--providers', '3'],
      ['replication', 'ucxl://a:admin@p:t/*^/x', '--providers', '101'],
      ['backend', 'both']
    ]
    for (const argv of cases) {
      const o = io()
      // port 9: were the request sent, the answer would be exit 1 "cannot reach"
      expect(await main([...argv, ...(argv[0] === 'start' || argv[0] === 'authority' ? [] : ['--api', 'http://127.0.0.1:9'])], o), argv.join(' ')).toBe(2)
      expect(o.err, argv.join(' ')).toMatch(/invalid|expected|must|is an option of|allowed choices|missing required/i)
      expect(o.err).not.toContain('cannot reach')
    }
  })

  it('refuses an unknown CHORUS_* variable, naming the closest', async () => {
    const o = io()
    o.env = { CHORUS_API_PROT: '80' }
    expect(await main(['config', 'show'], o)).toBe(2)
    expect(o.err).toContain('CHORUS_API_PROT')
    expect(o.err).toContain('did you mean CHORUS_API_PORT?')
    // client commands too, before they contact a node
    const c = io()
    c.env = { CHORUS_API_TOKN: 'x'.repeat(16) }
    expect(await main(['status', '--api', 'http://127.0.0.1:9'], c)).toBe(2)
    expect(c.err).toContain('did you mean CHORUS_API_TOKEN?')
    expect(c.err).not.toContain('cannot reach')
  })

  it('keys generate refuses a role that is not in the role table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-keys-'))
    try {
      const o = io()
      expect(await main(['keys', 'generate', 'no_such_role', '--keys-dir', join(dir, 'keys')], o)).toBe(2)
      expect(o.err).toContain('not in the role table')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('init writes every setting with its default and refuses to overwrite without --force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-init-'))
    try {
      const first = io()
      first.cwd = dir
      expect(await main(['init'], first)).toBe(0)
      const text = await readFile(join(dir, 'config.yaml'), 'utf8')
      for (const s of SETTINGS) expect(text).toContain(`${s.key.split('.').pop()}:`)
      expect(text).toContain('CHORUS_METRICS_LISTEN')
      const again = io()
      again.cwd = dir
      expect(await main(['init'], again)).toBe(1)
      expect(again.err).toContain('--force')
      const forced = io()
      forced.cwd = dir
      expect(await main(['init', '--force'], forced)).toBe(0)
      const show = io()
      show.cwd = dir
      expect(await main(['config', 'show', '--config', 'config.yaml', '--json'], show)).toBe(0)
      const rows = JSON.parse(show.out).settings
      expect(rows.find((r: any) => r.key === 'api.port')).toMatchObject({ value: 8080, source: 'file' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('config show prints the effective value and source of every setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-show-'))
    try {
      await writeFile(join(dir, 'c.yaml'), 'storage:\n  cacheTtl: 5m\napi:\n  token: a-secret-of-16-chars-or-more\n')
      const o = io()
      o.cwd = dir
      o.env = { CHORUS_API_PORT: '9100' }
      expect(await main(['config', 'show', '-c', 'c.yaml', '--dht-mode', 'server'], o)).toBe(0)
      expect(o.out).toMatch(/^api\.port\s+= 9100 {2}\(env\)$/m)
      expect(o.out).toMatch(/^p2p\.mode\s+= "server" {2}\(flag\)$/m)
      expect(o.out).toMatch(/^storage\.cacheTtl\s+= 5m {2}\(file\)$/m)
      expect(o.out).toMatch(/^replication\.factor\s+= 3 {2}\(default\)$/m)
      expect(o.out).toMatch(/^api\.token\s+= "<hidden>" {2}\(file\)$/m)
      expect(o.out).not.toContain('a-secret-of-16-chars-or-more')
      expect(o.out.split('\n').filter(l => / = /.test(l))).toHaveLength(SETTINGS.length)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('keys generate prints the no-passphrase warning once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-keys-'))
    try {
      const r = await runCli(['keys', 'generate', 'backend_developer', '--keys-dir', join(dir, 'keys')])
      expect(r.code).toBe(0)
      expect(r.stderr.match(/unencrypted/g)).toHaveLength(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
