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

const COMMANDS = ['start', 'put', 'get', 'history', 'search', 'status', 'peers', 'roles', 'keys', 'audit']

describe('the CLI', () => {
  it('prints help for every command with exit 0', async () => {
    for (const command of COMMANDS) {
      const o = io()
      expect(await main([command, '--help'], o)).toBe(0)
      expect(o.out).toContain(`Usage: chorus-dht ${command}`)
      expect(o.out).toContain('--help')
    }
    const o = io()
    expect(await main(['--help'], o)).toBe(0)
    for (const command of COMMANDS) expect(o.out).toContain(`  ${command}`)
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
