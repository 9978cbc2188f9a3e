import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { SETTINGS, fileConfigSchema, loadConfig, renderConfigTemplate, resolveConfig } from '../src/config.js'
import { getPath } from '../src/config/env.js'
import { renderSettingsTable } from '../src/config/render.js'
import { childLogger, componentLogger, createLogger, levelFor, logFormat } from '../src/logger.js'
import { PKG_DIR } from './helpers.js'
import type { SettingSpec } from '../src/config.js'

const PEER_ID = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const PATHS = new Set(['dataDir', 'rolesFile', 'keysDir', 'assignmentFile', 'certificateFile'])

/** A value other than the default for every setting: as a file holds it, as text (variable, flag), and as the node config holds it. */
function sample (s: SettingSpec, dir: string): { file: unknown, text: string | string[], expected: unknown } {
  const special: Record<string, unknown> = {
    dataDir: 'data', role: 'backend_developer', rolesFile: 'roles.yaml', keysDir: 'keys', keyPassphrase: 'a passphrase',
    agent: 'agent-7', assignmentFile: 'assignment.yaml', certificateFile: 'node.cert', 'authority.id': PEER_ID,
    'api.host': '127.0.0.2', 'api.token': 'a-token-of-sixteen-chars', 'api.metricsListen': '127.0.0.1:9464', 'api.port': 9999,
    'p2p.mode': 'server', 'log.level': 'debug', 'log.format': 'json', 'replication.factor': 5
  }
  let file: unknown = special[s.key]
  if (file === undefined) {
    switch (s.kind) {
      case 'int': file = 7; break
      case 'duration': file = 12_345; break
      case 'bool': file = false; break
      case 'levels': file = { 'chorus-dht:storage': 'debug' }; break
      case 'list': file = { roles: ['qa_engineer'], 'api.cors': ['https://a.example'], 'p2p.listen': ['/ip4/127.0.0.1/tcp/4'] }[s.key]; break
      default: throw new Error(`no sample for ${s.key}`)
    }
  }
  const text = s.kind === 'levels'
    ? 'chorus-dht:storage=debug'
    : Array.isArray(file) ? file.map(String) : String(file)
  let expected: unknown = file
  if (PATHS.has(s.key)) expected = join(dir, String(file))
  if (s.key === 'roles') expected = ['qa_engineer', 'admin']
  return { file, text, expected }
}

describe('every setting', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-settings-'))
    await writeFile(join(dir, 'assignment.yaml'), 'bootstrap: []\n')
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const settings = SETTINGS.filter(s => s.key !== 'p2p.bootstrap')

  it('is in the node config with its default', async () => {
    const { config, sources } = await resolveConfig({ env: {}, cwd: dir })
    for (const s of SETTINGS) {
      expect(sources[s.key], s.key).toBe('default')
      if (s.default === undefined) continue
      const value = getPath(config, s.key)
      expect(value, s.key).toEqual(PATHS.has(s.key) ? join(dir, String(s.default)) : s.default)
    }
  })

  it('is reachable from the config file, its CHORUS_* variable and its flag, and says where it came from', async () => {
    for (const s of settings) {
      const { file, text, expected } = sample(s, dir)
      const doc: Record<string, any> = {}
      const [section, name] = s.key.split('.')
      if (name == null) doc[section] = file
      else doc[section] = { [name]: file }
      await writeFile(join(dir, 'c.yaml'), stringifyYaml(doc))
      const fromFile = await resolveConfig({ env: {}, cwd: dir, flags: { config: 'c.yaml' } })
      expect(getPath(fromFile.config, s.key), `${s.key} from the file`).toEqual(expected)
      expect(fromFile.sources[s.key]).toBe('file')

      expect(s.env, `${s.key} has a variable`).toBeDefined()
      const fromEnv = await resolveConfig({ env: { [s.env!]: Array.isArray(text) ? text.join(',') : text }, cwd: dir })
      expect(getPath(fromEnv.config, s.key), `${s.key} from ${s.env}`).toEqual(expected)
      expect(fromEnv.sources[s.key]).toBe('env')

      if (s.key === 'keyPassphrase') continue // no flag on purpose: a flag shows in ps
      expect(s.flag, `${s.key} has a flag`).toBeDefined()
      const fromFlag = await resolveConfig({ env: {}, cwd: dir, flags: { settings: { [s.key]: text } } })
      expect(getPath(fromFlag.config, s.key), `${s.key} from ${s.flag}`).toEqual(expected)
      expect(fromFlag.sources[s.key]).toBe('flag')
    }
  })

  it('is checked by the one schema from every source, the error naming the key, variable or flag', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'p2p:\n  mode: sometimes\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'bad.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'p2p.mode' })
    await expect(loadConfig({ env: { CHORUS_DHT_MODE: 'sometimes' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_DHT_MODE' })
    await expect(loadConfig({ env: {}, cwd: dir, flags: { settings: { 'p2p.mode': 'sometimes' } } })).rejects.toMatchObject({ name: 'ConfigError', key: '--dht-mode' })
    await expect(loadConfig({ env: { CHORUS_METRICS_LISTEN: 'nine' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_METRICS_LISTEN' })
    await expect(loadConfig({ env: { CHORUS_API_CORS: 'https://a.example/path' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_API_CORS' })
    await expect(loadConfig({ env: { CHORUS_LOG: 'chorus-dht:storage' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_LOG' })
    await expect(loadConfig({ env: { CHORUS_LOG: 'chorus-dht:storage=loud' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_LOG' })
    await expect(loadConfig({ env: { CHORUS_CACHE_TTL: '0' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_CACHE_TTL' })
    await expect(loadConfig({ env: { CHORUS_MAX_PROVIDERS_PER_KEY: '0' }, cwd: dir })).rejects.toMatchObject({ key: 'CHORUS_MAX_PROVIDERS_PER_KEY' })
  })

  it('takes durations in a file as numbers or in the one duration grammar', async () => {
    await writeFile(join(dir, 'd.yaml'), 'p2p:\n  bootstrapTimeout: 1m30s\nreplication:\n  reprovideInterval: 12h\nstorage:\n  cacheTtl: 90000\n')
    const c = await loadConfig({ env: {}, cwd: dir, flags: { config: 'd.yaml' } })
    expect(c.p2p.bootstrapTimeout).toBe(90_000)
    expect(c.replication.reprovideInterval).toBe(43_200_000)
    expect(c.storage.cacheTtl).toBe(90_000)
    await writeFile(join(dir, 'bad.yaml'), 'p2p:\n  bootstrapTimeout: soon\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'bad.yaml' } })).rejects.toMatchObject({ key: 'p2p.bootstrapTimeout' })
  })

  it('has one flag and one variable each', () => {
    const flags = SETTINGS.flatMap(s => s.flag != null ? [s.flag] : [])
    const envs = SETTINGS.flatMap(s => s.env != null ? [s.env] : [])
    expect(new Set(flags).size).toBe(flags.length)
    expect(new Set(envs).size).toBe(envs.length)
  })
})

describe('unknown CHORUS_* variables', () => {
  it('are an error naming the closest known variable', async () => {
    const err = await loadConfig({ env: { CHORUS_API_PROT: '80' }, cwd: tmpdir() }).catch(e => e)
    expect(err).toMatchObject({ name: 'ConfigError', key: 'CHORUS_API_PROT' })
    expect(err.message).toContain('did you mean CHORUS_API_PORT?')
    const far = await loadConfig({ env: { CHORUS_SOMETHING_ELSE_ENTIRELY: '1' }, cwd: tmpdir() }).catch(e => e)
    expect(far).toMatchObject({ name: 'ConfigError', key: 'CHORUS_SOMETHING_ELSE_ENTIRELY' })
    expect(far.message).not.toContain('did you mean')
  })

  it('leave alone the variables other chorus-dht commands read, and other prefixes', async () => {
    const c = await loadConfig({ env: { CHORUS_API_URL: 'http://x', CHORUS_AUTHORITY_PASSPHRASE: 'p', CHORUSX: '1', HOME: '/' }, cwd: tmpdir() })
    expect(c.role).toBe('admin')
  })
})

describe('the settings table of the README', () => {
  it('is the table made from the settings: every key, variable, flag and default as the node runs them', async () => {
    const readme = await readFile(join(PKG_DIR, 'README.md'), 'utf8')
    expect(readme).toContain(`\n${renderSettingsTable()}\n`)
  })
})

describe('the config file of the README', () => {
  it('loads as written', async () => {
    const readme = await readFile(join(PKG_DIR, 'README.md'), 'utf8')
    const at = readme.indexOf('**Config file.**')
    expect(at).toBeGreaterThan(0)
    const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))
    expect(block).not.toBeNull()
    const dir = await mkdtemp(join(tmpdir(), 'chorus-readme-'))
    try {
      await writeFile(join(dir, 'config.yaml'), block![1])
      const c = await loadConfig({ env: {}, cwd: dir, flags: { config: 'config.yaml' } })
      expect(c.role).toBe('backend_developer')
      expect(c.p2p.bootstrapSource).toBe('config')
      expect(c.api.cors).toEqual(['https://dashboard.example.com'])
      // every section of the README example is a section of the schema
      expect(fileConfigSchema.safeParse(parseYaml(block![1])).success).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the init template', () => {
  it('holds every setting and loads to the defaults', async () => {
    const text = renderConfigTemplate()
    for (const s of SETTINGS) {
      const name = s.key.split('.').pop()!
      expect(text, s.key).toMatch(new RegExp(`^\\s*(# )?${name}:`, 'm'))
      if (s.env != null) expect(text).toContain(s.env)
    }
    const dir = await mkdtemp(join(tmpdir(), 'chorus-init-'))
    try {
      await writeFile(join(dir, 'config.yaml'), text)
      const fromFile = await loadConfig({ env: {}, cwd: dir, flags: { config: 'config.yaml' } })
      const defaults = await loadConfig({ env: {}, cwd: dir })
      expect({ ...fromFile, configFile: undefined }).toEqual({ ...defaults, configFile: undefined })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the logger', () => {
  function capture (): { stream: Writable, lines: () => any[] } {
    let text = ''
    const stream = new Writable({ write (chunk, _enc, cb) { text += chunk; cb() } })
    return { stream, lines: () => text.split('\n').filter(Boolean).map(l => JSON.parse(l)) }
  }

  it('picks the level of the longest matching component name, else the global one', () => {
    const levels = { 'chorus-dht:storage': 'debug', 'chorus-dht': 'warn', libp2p: 'error' }
    expect(levelFor('chorus-dht:storage:publisher', levels, 'info')).toBe('debug')
    expect(levelFor('chorus-dht:dht', levels, 'info')).toBe('warn')
    expect(levelFor('chorus-dht-other', levels, 'info')).toBe('info')
    expect(levelFor('libp2p:kad-dht', levels, 'info')).toBe('error')
  })

  it('logs each component at its own level, warnings at warn, errors with their stack', () => {
    const out = capture()
    const root = createLogger({ level: 'info', format: 'json', components: { 'chorus-dht:storage': 'debug', 'chorus-dht:dht': 'error' }, destination: out.stream })
    const logs = componentLogger(root)
    logs.forComponent('chorus-dht:storage:reader')('a debug line')
    logs.forComponent('chorus-dht:dht:hybrid-dht').warn('a hidden warning')
    logs.forComponent('chorus-dht:replication')('a hidden debug line')
    logs.forComponent('chorus-dht:replication').warn('a warning %s', 'here')
    logs.forComponent('chorus-dht:replication').error('failed - %e', new Error('boom'))
    root.debug('the node\'s own debug line, hidden at info')
    childLogger(root, 'chorus-dht:http').info('an access line')
    const lines = out.lines()
    expect(lines.map(l => l.msg)).toEqual(['a debug line', 'a warning here', 'failed - boom', 'an access line'])
    expect(lines[1]).toMatchObject({ level: 40, component: 'chorus-dht:replication' })
    expect(lines[2].err.stack).toContain('boom')
    expect(lines[3]).toMatchObject({ level: 30, component: 'chorus-dht:http' })
  })

  it('is pretty on a terminal and JSON otherwise or as log.format says', async () => {
    expect(logFormat('auto', true)).toBe('pretty')
    expect(logFormat('auto', false)).toBe('json')
    expect(logFormat('json', true)).toBe('json')
    expect(logFormat('pretty', false)).toBe('pretty')
    let text = ''
    const stream = new Writable({ write (chunk, _enc, cb) { text += chunk; cb() } })
    createLogger({ level: 'info', format: 'auto', isTTY: true, destination: stream }).info('a pretty line')
    await vi.waitFor(() => { expect(text).toContain('a pretty line') })
    expect(text).toMatch(/INFO.*a pretty line/)
    expect(() => JSON.parse(text)).toThrow()
  })
})
