import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseDuration } from '@chorus-dht/utils'
import { loadConfig, reloadBootstrap } from '../src/config.js'

const PEER_A = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const PEER_B = '/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWLRPJAA5o6Z6wwpRHjvjQYN4GBXUFpcnjqXKaEWHHMrbB'
const PEER_C = '/ip4/127.0.0.1/tcp/4003/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

describe('loadConfig', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-config-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('has safe defaults: loopback API, data dir under the working directory, real DHT', async () => {
    const c = await loadConfig({ env: {}, cwd: dir })
    expect(c.api.host).toBe('127.0.0.1')
    expect(c.api.port).toBe(8080)
    expect(c.api.token).toBeUndefined()
    expect(c.dataDir).toBe(join(dir, '.chorus-dht'))
    expect(c.keysDir).toBe(join(dir, '.chorus-dht', 'keys'))
    expect(c.auditFile).toBe(join(dir, '.chorus-dht', 'audit.log'))
    expect(c.dht.useRealDHT).toBe(true)
    expect(c.role).toBe('admin')
    expect(c.roles).toEqual(['admin'])
    expect(c.p2p.bootstrap).toEqual([])
    expect(c.p2p.bootstrapSource).toBe('none')
  })

  it('reads YAML and JSON files; environment beats file, flags beat environment', async () => {
    await writeFile(join(dir, 'c.yaml'), 'api:\n  port: 9100\n  maxBodyBytes: 2048\nlog:\n  level: debug\nrole: backend_developer\n')
    await writeFile(join(dir, 'c.json'), JSON.stringify({ api: { port: 9200 } }))
    const fromYaml = await loadConfig({ env: {}, cwd: dir, flags: { config: 'c.yaml' } })
    expect(fromYaml.api.port).toBe(9100)
    expect(fromYaml.api.maxBodyBytes).toBe(2048)
    expect(fromYaml.log.level).toBe('debug')
    expect(fromYaml.roles).toEqual(['backend_developer'])
    const fromJson = await loadConfig({ env: { CHORUS_CONFIG: 'c.json' }, cwd: dir })
    expect(fromJson.api.port).toBe(9200)

    const env = await loadConfig({ env: { CHORUS_API_PORT: '9300', CHORUS_LOG_LEVEL: 'warn' }, cwd: dir, flags: { config: 'c.yaml' } })
    expect(env.api.port).toBe(9300)
    expect(env.log.level).toBe('warn')
    const flag = await loadConfig({ env: { CHORUS_API_PORT: '9300' }, cwd: dir, flags: { config: 'c.yaml', apiPort: '9400' } })
    expect(flag.api.port).toBe(9400)
  })

  it('takes bootstrap peers by priority assignment > config > environment', async () => {
    await writeFile(join(dir, 'c.yaml'), `p2p:\n  bootstrap:\n    - ${PEER_B}\n`)
    await writeFile(join(dir, 'assign.yaml'), `bootstrap:\n  - ${PEER_C}\n`)
    const env = { CHORUS_DHT_BOOTSTRAP_NODES: PEER_A }

    const envOnly = await loadConfig({ env, cwd: dir })
    expect(envOnly.p2p.bootstrap).toEqual([PEER_A])
    expect(envOnly.p2p.bootstrapSource).toBe('env')

    const config = await loadConfig({ env, cwd: dir, flags: { config: 'c.yaml' } })
    expect(config.p2p.bootstrap).toEqual([PEER_B])
    expect(config.p2p.bootstrapSource).toBe('config')

    const assigned = await loadConfig({ env, cwd: dir, flags: { config: 'c.yaml', assignmentFile: 'assign.yaml' } })
    expect(assigned.p2p.bootstrap).toEqual([PEER_C])
    expect(assigned.p2p.bootstrapSource).toBe('assignment')

    const flags = await loadConfig({ env, cwd: dir, flags: { config: 'c.yaml', assignmentFile: 'assign.yaml', bootstrap: [PEER_A] } })
    expect(flags.p2p.bootstrap).toEqual([PEER_A])
    expect(flags.p2p.bootstrapSource).toBe('assignment')
  })

  it('reads the SPEC §8 hybrid variables', async () => {
    const c = await loadConfig({
      env: { CHORUS_USE_REAL_DHT: 'false', CHORUS_FALLBACK_ON_ERROR: '0', CHORUS_HEALTH_CHECK_INTERVAL: '45s' },
      cwd: dir
    })
    expect(c.dht).toEqual({ useRealDHT: false, fallbackOnError: false, healthCheckInterval: 45_000, maxConsecutiveFailures: 3 })
  })

  it('names the key of a bad value', async () => {
    await expect(loadConfig({ env: { CHORUS_API_PORT: 'eighty' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_API_PORT' })
    await expect(loadConfig({ env: { CHORUS_API_PORT: '70000' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_API_PORT' })
    await expect(loadConfig({ env: { CHORUS_USE_REAL_DHT: 'maybe' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_USE_REAL_DHT' })
    await expect(loadConfig({ env: { CHORUS_HEALTH_CHECK_INTERVAL: 'soon' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_HEALTH_CHECK_INTERVAL' })
    await expect(loadConfig({ env: {}, cwd: dir, flags: { apiPort: 'x' } })).rejects.toMatchObject({ name: 'ConfigError', key: '--api-port' })
    await expect(loadConfig({ env: {}, cwd: dir, flags: { logLevel: 'loud' } })).rejects.toMatchObject({ name: 'ConfigError', key: '--log-level' })

    await writeFile(join(dir, 'bad-port.yaml'), 'api:\n  port: "x"\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'bad-port.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'api.port' })
    await writeFile(join(dir, 'typo.yaml'), 'api:\n  prot: 80\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'typo.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'api.prot' })
    await writeFile(join(dir, 'bad-boot.yaml'), 'p2p:\n  bootstrap:\n    - /ip4/127.0.0.1/tcp/1\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'bad-boot.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'p2p.bootstrap.0' })
    await expect(loadConfig({ env: { CHORUS_DHT_BOOTSTRAP_NODES: 'not-an-address' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_DHT_BOOTSTRAP_NODES' })
  })

  it('refuses a malformed or missing file, naming it', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'api: [unclosed\n')
    const err = await loadConfig({ env: {}, cwd: dir, flags: { config: 'broken.yaml' } }).catch(e => e)
    expect(err.name).toBe('ConfigError')
    expect(err.message).toContain('broken.yaml')
    await writeFile(join(dir, 'broken.json'), '{"api": ')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'broken.json' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'config' })
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'missing.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'config' })
    await writeFile(join(dir, 'list.yaml'), '- 1\n- 2\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'list.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'config' })
  })

  it('requires a bearer token when the API binds off loopback', async () => {
    await expect(loadConfig({ env: { CHORUS_API_HOST: '0.0.0.0' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'api.token' })
    const ok = await loadConfig({ env: { CHORUS_API_HOST: '0.0.0.0', CHORUS_API_TOKEN: 'a-long-enough-token' }, cwd: dir })
    expect(ok.api.token).toBe('a-long-enough-token')
    const loop = await loadConfig({ env: { CHORUS_API_HOST: '::1' }, cwd: dir })
    expect(loop.api.host).toBe('::1')
  })
})

describe('parseDuration', () => {
  it('reads milliseconds and Go-style units', () => {
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('2h')).toBe(7_200_000)
    expect(parseDuration('soon')).toBeUndefined()
    expect(parseDuration('-5s')).toBeUndefined()
  })
})

describe('loadConfig: the authority', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chorus-config-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads the authority from the file (id or section), CHORUS_AUTHORITY and --authority; refuses a bad id', async () => {
    const id = PEER_A.split('/p2p/')[1]
    const other = PEER_B.split('/p2p/')[1]
    expect((await loadConfig({ env: {}, cwd: dir })).authority).toEqual({ id: undefined, refreshInterval: 60_000 })
    await writeFile(join(dir, 'short.yaml'), `authority: ${id}\n`)
    expect((await loadConfig({ env: {}, cwd: dir, flags: { config: 'short.yaml' } })).authority.id).toBe(id)
    await writeFile(join(dir, 'long.yaml'), `authority:\n  id: ${id}\n  refreshInterval: 5000\n`)
    expect((await loadConfig({ env: {}, cwd: dir, flags: { config: 'long.yaml' } })).authority).toEqual({ id, refreshInterval: 5000 })
    const env = { CHORUS_AUTHORITY: other, CHORUS_AUTHORITY_REFRESH_INTERVAL: '2s' }
    expect((await loadConfig({ env, cwd: dir, flags: { config: 'long.yaml' } })).authority).toEqual({ id: other, refreshInterval: 2000 })
    expect((await loadConfig({ env, cwd: dir, flags: { authority: id } })).authority.id).toBe(id)
    await expect(loadConfig({ env: { CHORUS_AUTHORITY: 'not-a-peer-id' }, cwd: dir })).rejects.toMatchObject({ name: 'ConfigError', key: 'CHORUS_AUTHORITY' })
    await expect(loadConfig({ env: {}, cwd: dir, flags: { authority: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' } })).rejects.toMatchObject({ name: 'ConfigError', key: '--authority' })
    await writeFile(join(dir, 'bad.yaml'), 'authority:\n  refresh: 5\n')
    await expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'bad.yaml' } })).rejects.toMatchObject({ name: 'ConfigError', key: 'authority.refresh' })
  })

  it('reads the certificate file from the file, CHORUS_CERTIFICATE_FILE and --certificate, relative to the working directory', async () => {
    expect((await loadConfig({ env: {}, cwd: dir })).certificateFile).toBeUndefined()
    await writeFile(join(dir, 'cert.yaml'), 'certificateFile: ./from-file.cert\n')
    expect((await loadConfig({ env: {}, cwd: dir, flags: { config: 'cert.yaml' } })).certificateFile).toBe(join(dir, 'from-file.cert'))
    const env = { CHORUS_CERTIFICATE_FILE: 'from-env.cert' }
    expect((await loadConfig({ env, cwd: dir, flags: { config: 'cert.yaml' } })).certificateFile).toBe(join(dir, 'from-env.cert'))
    expect((await loadConfig({ env, cwd: dir, flags: { certificateFile: '/abs/flag.cert' } })).certificateFile).toBe('/abs/flag.cert')
  })
})

describe('reloadBootstrap (SIGHUP)', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chorus-config-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads the sources again with the parsing of loadConfig', async () => {
    await writeFile(join(dir, 'c.yaml'), `p2p:\n  bootstrap:\n    - ${PEER_B}\n`)
    const config = await loadConfig({ env: {}, cwd: dir, flags: { config: 'c.yaml' } })
    expect(config.p2p.bootstrap).toEqual([PEER_B])

    await writeFile(join(dir, 'c.yaml'), `p2p:\n  bootstrap: [${PEER_C}]\n`)
    expect(await reloadBootstrap(config, {})).toEqual({ bootstrap: [PEER_C], source: 'config' })
    // the environment as loadConfig splits it (commas or spaces), below the file
    await writeFile(join(dir, 'c.yaml'), 'p2p: {}\n')
    expect(await reloadBootstrap(config, { CHORUS_DHT_BOOTSTRAP_NODES: `${PEER_A} ${PEER_B}` })).toEqual({ bootstrap: [PEER_A, PEER_B], source: 'env' })
    // the file is checked by the one schema: a bad address or a typo is refused, naming the key
    await writeFile(join(dir, 'c.yaml'), 'p2p:\n  bootstrap: [/ip4/127.0.0.1/tcp/1]\n')
    await expect(reloadBootstrap(config, {})).rejects.toMatchObject({ name: 'ConfigError', key: 'p2p.bootstrap.0' })
    await writeFile(join(dir, 'c.yaml'), `p2p:\n  bootstrapp: [${PEER_C}]\n`)
    await expect(reloadBootstrap(config, {})).rejects.toMatchObject({ name: 'ConfigError', key: 'p2p.bootstrapp' })
  })
})
