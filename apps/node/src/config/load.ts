import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { DATA_LAYOUT } from '../constants.js'
import { ConfigError } from '../errors.js'
import { envBootstrap, resolveBootstrap } from './bootstrap.js'
import { checkEnvNames, convertText, envLayer, getPath, setPath } from './env.js'
import { readConfigFile } from './file.js'
import { SETTINGS, fileConfigSchema } from './settings.js'
import type { FileConfig } from './settings.js'
import type { FlagConfig, LoadConfigInit, NodeConfig, SettingSpec } from './schema.js'
import type { z } from 'zod'

/** Where a value of the effective configuration came from. */
export type SettingSource = 'default' | 'file' | 'env' | 'flag' | 'assignment'

/** A loaded configuration with the origin of every setting (`chorus-dht config show`). */
export interface ResolvedConfig {
  config: NodeConfig
  /** By setting key. */
  sources: Record<string, SettingSource>
}

/** The named fields of {@link FlagConfig} and the setting each one sets. */
const FLAG_FIELDS: Array<[keyof FlagConfig, string]> = [
  ['dataDir', 'dataDir'],
  ['role', 'role'],
  ['rolesFile', 'rolesFile'],
  ['keysDir', 'keysDir'],
  ['agent', 'agent'],
  ['assignmentFile', 'assignmentFile'],
  ['authority', 'authority.id'],
  ['certificateFile', 'certificateFile'],
  ['apiHost', 'api.host'],
  ['apiPort', 'api.port'],
  ['apiToken', 'api.token'],
  ['listen', 'p2p.listen'],
  ['logLevel', 'log.level']
]

/** The setting a schema issue path (`['p2p', 'listen', 0]`) belongs to. */
function settingAt (path: PropertyKey[]): SettingSpec | undefined {
  const key = path.map(String).join('.')
  return SETTINGS.find(s => key === s.key || key.startsWith(`${s.key}.`))
}

/** Checks a layer with the one schema; an error names what the layer's setting is called there. */
function checkLayer (layer: Record<string, any>, nameOf: (s: SettingSpec | undefined, key: string) => string): FileConfig {
  const parsed = fileConfigSchema.safeParse(layer)
  if (parsed.success) return parsed.data
  const issue = (parsed.error as z.ZodError).issues[0]
  const key = issue.path.map(String).join('.')
  throw new ConfigError(nameOf(settingAt(issue.path), key), issue.message)
}

function flagLayer (flags: FlagConfig): Record<string, any> {
  const raw: Record<string, string | string[]> = {}
  for (const [field, key] of FLAG_FIELDS) {
    const v = flags[field]
    if (v == null || (Array.isArray(v) && v.length === 0)) continue
    raw[key] = v as string | string[]
  }
  Object.assign(raw, flags.settings ?? {})
  const layer: Record<string, any> = {}
  for (const [key, value] of Object.entries(raw)) {
    const spec = SETTINGS.find(s => s.key === key)
    if (spec == null) throw new ConfigError(key, 'unknown setting')
    if (key === 'p2p.bootstrap') continue
    setPath(layer, key, convertText(spec.kind, spec.flag ?? key, value))
  }
  if (flags.mock === true) setPath(layer, 'dht.useRealDHT', false)
  return layer
}

function isLoopbackHost (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1'
  return false
}

/**
 * Resolves the node configuration from (lowest to highest priority)
 * defaults, the config file, `CHORUS_*` environment variables and flags,
 * and says where each value came from. The bootstrap list follows CHORUS
 * instead: the first non-empty of the assignment (`--bootstrap` flags,
 * then the assignment file), the config file, the environment.
 *
 * @throws ConfigError naming the key, variable or flag of any bad value, or an unknown `CHORUS_*` variable
 */
export async function resolveConfig (init: LoadConfigInit = {}): Promise<ResolvedConfig> {
  const env = init.env ?? process.env
  const cwd = init.cwd ?? process.cwd()
  const flags = init.flags ?? {}
  checkEnvNames(env)

  const configPath = flags.config ?? (env.CHORUS_CONFIG !== '' ? env.CHORUS_CONFIG : undefined)
  const configFile = configPath != null ? resolve(cwd, configPath) : undefined
  const file: FileConfig = configFile != null ? await readConfigFile(configFile) : {}

  // bootstrap is kept apart from the layering (its own priority, below)
  const envValues = envLayer(env)
  if (envValues.p2p != null) delete envValues.p2p.bootstrap
  const fromEnv = checkLayer(envValues, (s, key) => s?.env ?? key)
  const fromFlags = checkLayer(flagLayer(flags), (s, key) => s?.flag ?? key)

  const sources: Record<string, SettingSource> = {}
  const values: Record<string, any> = {}
  for (const s of SETTINGS) {
    if (s.key === 'p2p.bootstrap') continue
    const layers: Array<[SettingSource, unknown]> = [['flag', getPath(fromFlags, s.key)], ['env', getPath(fromEnv, s.key)], ['file', getPath(file, s.key)]]
    const hit = layers.find(([, v]) => v !== undefined)
    values[s.key] = hit?.[1] ?? s.default
    sources[s.key] = hit?.[0] ?? 'default'
  }
  const v = <T>(key: string): T => values[key] as T

  const dataDir = resolve(cwd, v<string>('dataDir'))
  const role = v<string>('role')
  const roles = v<string[] | undefined>('roles') ?? [role]
  const path = (key: string): string | undefined => v<string | undefined>(key) != null ? resolve(cwd, v<string>(key)) : undefined

  const api: NodeConfig['api'] = {
    host: v('api.host'),
    port: v('api.port'),
    token: v('api.token'),
    maxBodyBytes: v('api.maxBodyBytes'),
    requestTimeout: v('api.requestTimeout'),
    metricsListen: v('api.metricsListen'),
    libp2pMetrics: v('api.libp2pMetrics'),
    cors: v('api.cors')
  }
  if (!isLoopbackHost(api.host) && api.token == null) {
    throw new ConfigError('api.token', `a bearer token is required when api.host (${api.host}) is not a loopback address`)
  }

  const config: NodeConfig = {
    dataDir,
    role,
    roles: roles.includes(role) ? roles : [...roles, role],
    rolesFile: path('rolesFile'),
    keysDir: path('keysDir') ?? resolve(dataDir, DATA_LAYOUT.keys),
    keyPassphrase: v('keyPassphrase'),
    agent: v('agent'),
    assignmentFile: path('assignmentFile'),
    certificateFile: path('certificateFile'),
    shutdownTimeout: v('shutdownTimeout'),
    auditFile: resolve(dataDir, DATA_LAYOUT.audit),
    configFile,
    authority: {
      id: v('authority.id'),
      refreshInterval: v('authority.refreshInterval')
    },
    api,
    p2p: {
      listen: v('p2p.listen'),
      bootstrap: [],
      allowPrivateAddresses: v('p2p.allowPrivateAddresses'),
      bootstrapSource: 'none',
      bootstrapFlags: flags.bootstrap ?? [],
      mode: v('p2p.mode'),
      bootstrapTimeout: v('p2p.bootstrapTimeout'),
      bootstrapInterval: v('p2p.bootstrapInterval'),
      autoBootstrap: v('p2p.autoBootstrap'),
      discoveryInterval: v('p2p.discoveryInterval'),
      peerCleanupInterval: v('p2p.peerCleanupInterval'),
      peerTTL: v('p2p.peerTTL'),
      announceInterval: v('p2p.announceInterval'),
      queryTimeout: v('p2p.queryTimeout'),
      peerRequestTimeout: v('p2p.peerRequestTimeout'),
      putMinPeers: v('p2p.putMinPeers'),
      putReplicas: v('p2p.putReplicas'),
      connectionPingInterval: v('p2p.connectionPingInterval')
    },
    dht: {
      useRealDHT: v('dht.useRealDHT'),
      fallbackOnError: v('dht.fallbackOnError'),
      healthCheckInterval: v('dht.healthCheckInterval'),
      maxConsecutiveFailures: v('dht.maxConsecutiveFailures')
    },
    replication: {
      enabled: v('replication.enabled'),
      factor: v('replication.factor'),
      reprovideInterval: v('replication.reprovideInterval'),
      cleanupInterval: v('replication.cleanupInterval'),
      providerTTL: v('replication.providerTTL'),
      maxProvidersPerKey: v('replication.maxProvidersPerKey'),
      maxConcurrentReplications: v('replication.maxConcurrentReplications'),
      checkInterval: v('replication.checkInterval'),
      enableAutoReplication: v('replication.enableAutoReplication'),
      enableReprovide: v('replication.enableReprovide'),
      peerQueryTimeout: v('replication.peerQueryTimeout')
    },
    storage: {
      maxRecordSize: v('storage.maxRecordSize'),
      cacheTtl: v('storage.cacheTtl'),
      cacheMaxEntries: v('storage.cacheMaxEntries'),
      cacheMaxBytes: v('storage.cacheMaxBytes'),
      cacheCleanupInterval: v('storage.cacheCleanupInterval'),
      headQuorum: v('storage.headQuorum'),
      maxRepublishAttempts: v('storage.maxRepublishAttempts'),
      reconcileInterval: v('storage.reconcileInterval')
    },
    log: {
      level: v('log.level'),
      format: v('log.format'),
      components: v('log.components')
    }
  }

  const resolved = await resolveBootstrap({
    flags: flags.bootstrap,
    assignmentFile: config.assignmentFile,
    config: file.p2p?.bootstrap,
    env: envBootstrap(env)
  })
  config.p2p.bootstrap = resolved.bootstrap
  config.p2p.bootstrapSource = resolved.source
  sources['p2p.bootstrap'] = resolved.source === 'assignment'
    ? ((flags.bootstrap?.length ?? 0) > 0 ? 'flag' : 'assignment')
    : ({ config: 'file', env: 'env', none: 'default' } as const)[resolved.source]
  return { config, sources }
}

/**
 * Resolves the node configuration (see {@link resolveConfig}).
 *
 * @throws ConfigError naming the key for any bad value
 */
export async function loadConfig (init: LoadConfigInit = {}): Promise<NodeConfig> {
  return (await resolveConfig(init)).config
}
