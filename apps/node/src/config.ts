import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { extname, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { authorityPublicKey } from '@chorus-dht/authority'
import { parseDuration } from '@chorus-dht/utils'
import {
  DATA_LAYOUT,
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_AUTHORITY_REFRESH_INTERVAL,
  DEFAULT_DATA_DIR,
  DEFAULT_HEALTH_CHECK_INTERVAL,
  DEFAULT_LISTEN,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONSECUTIVE_FAILURES,
  DEFAULT_REPLICATION_FACTOR,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_ROLE,
  DEFAULT_SHUTDOWN_TIMEOUT
} from './constants.js'
import { ConfigError } from './errors.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Where the bootstrap list came from, highest priority first. */
export type BootstrapSource = 'assignment' | 'config' | 'env' | 'none'

const roleName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a role name is one or more of A-Z a-z 0-9 _ -')

const multiaddrString = z.string().superRefine((value, ctx) => {
  try {
    multiaddr(value)
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: `not a multiaddr (${err.message})` })
  }
})

const bootstrapAddr = multiaddrString.superRefine((value, ctx) => {
  if (!/\/p2p\/[^/]+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: `bootstrap address ${value} must end with /p2p/<peer id>` })
  }
})

const duration = z.number().int().nonnegative()

/** The authority's id: the peer-id string of an Ed25519 key (`12D3KooW…`), which embeds its public key. */
const authorityId = z.string().superRefine((value, ctx) => {
  try {
    authorityPublicKey(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `not the peer id of an Ed25519 key (12D3KooW…): ${JSON.stringify(value)}` })
  }
})

/** `authority: 12D3KooW…` is short for `authority: { id: 12D3KooW… }`. */
const authoritySection = z.preprocess(
  v => typeof v === 'string' ? { id: v } : v,
  z.object({
    id: authorityId.optional(),
    refreshInterval: duration.positive().optional()
  }).strict()
)

/**
 * The node's configuration file schema (YAML or JSON). Unknown keys are
 * rejected so a typo is an error, not a silently ignored setting.
 */
export const fileConfigSchema = z.object({
  dataDir: z.string().min(1).optional(),
  role: roleName.optional(),
  roles: z.array(roleName).optional(),
  rolesFile: z.string().min(1).optional(),
  keysDir: z.string().min(1).optional(),
  keyPassphrase: z.string().min(1).optional(),
  agent: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  assignmentFile: z.string().min(1).optional(),
  certificateFile: z.string().min(1).optional(),
  shutdownTimeout: duration.optional(),
  authority: authoritySection.optional(),
  api: z.object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    token: z.string().min(16, 'a token has at least 16 characters').optional(),
    maxBodyBytes: z.number().int().positive().optional(),
    requestTimeout: duration.positive().optional()
  }).strict().optional(),
  p2p: z.object({
    listen: z.array(multiaddrString).optional(),
    bootstrap: z.array(bootstrapAddr).optional(),
    allowPrivateAddresses: z.boolean().optional()
  }).strict().optional(),
  dht: z.object({
    useRealDHT: z.boolean().optional(),
    fallbackOnError: z.boolean().optional(),
    healthCheckInterval: duration.positive().optional(),
    maxConsecutiveFailures: z.number().int().positive().optional()
  }).strict().optional(),
  replication: z.object({
    enabled: z.boolean().optional(),
    factor: z.number().int().min(1).max(64).optional()
  }).strict().optional(),
  storage: z.object({
    maxRecordSize: z.number().int().positive().optional()
  }).strict().optional(),
  log: z.object({
    level: z.enum(LOG_LEVELS).optional()
  }).strict().optional()
}).strict()

/** The configuration file as written. */
export type FileConfig = z.infer<typeof fileConfigSchema>

/** The resolved configuration of a node: every field set. */
export interface NodeConfig {
  /** Absolute data directory. */
  dataDir: string
  /** The role used for requests that name none (`X-Chorus-Role`). */
  role: string
  /** The roles this node holds identities for; keys are generated at start when missing. */
  roles: string[]
  /** Optional roles file (YAML/JSON) adding or overriding roles; reloaded on SIGHUP. */
  rolesFile?: string
  /** Role keystore directory. */
  keysDir: string
  /** Passphrase protecting role identities at rest. */
  keyPassphrase?: string
  /** Agent name announced to peers. */
  agent: string
  /** Optional assignment file (`{bootstrap: [...]}`); reloaded on SIGHUP. */
  assignmentFile?: string
  /**
   * Optional file holding this node's role certificate (as `authority issue
   * --out` writes it), loaded at start and on SIGHUP besides the one the
   * DHT holds; for a node that must write before it reaches the network.
   */
  certificateFile?: string
  /** Upper bound of an orderly shutdown, ms. */
  shutdownTimeout: number
  /** Audit log path. */
  auditFile: string
  /** The config file this came from, when any. */
  configFile?: string
  authority: {
    /** The authority's id (peer-id string); none: the network has no authority. */
    id?: string
    /** How often the role directory and this node's grants are re-read, ms. */
    refreshInterval: number
  }
  api: {
    host: string
    port: number
    token?: string
    maxBodyBytes: number
    requestTimeout: number
  }
  p2p: {
    listen: string[]
    bootstrap: string[]
    /** Keep LAN/loopback peers in the routing table and serve the DHT on such addresses. */
    allowPrivateAddresses: boolean
    /** Which source the bootstrap list came from. */
    bootstrapSource: BootstrapSource
    /** The `--bootstrap` flags as given; they keep their priority on reload. */
    bootstrapFlags: string[]
  }
  dht: {
    useRealDHT: boolean
    fallbackOnError: boolean
    healthCheckInterval: number
    maxConsecutiveFailures: number
  }
  replication: {
    enabled: boolean
    factor: number
  }
  storage: {
    maxRecordSize?: number
  }
  log: {
    level: typeof LOG_LEVELS[number]
  }
}

/** Command-line values that override the file and the environment. */
export interface FlagConfig {
  config?: string
  dataDir?: string
  role?: string
  rolesFile?: string
  keysDir?: string
  agent?: string
  assignmentFile?: string
  authority?: string
  certificateFile?: string
  apiHost?: string
  apiPort?: string
  apiToken?: string
  listen?: string[]
  bootstrap?: string[]
  mock?: boolean
  logLevel?: string
}

/** Inputs of {@link loadConfig}. */
export interface LoadConfigInit {
  flags?: FlagConfig
  /** @default process.env */
  env?: NodeJS.ProcessEnv
  /** @default process.cwd() */
  cwd?: string
}

/** One environment variable the node reads. */
export interface EnvVarSpec {
  name: string
  /** The config key it sets. */
  key: string
  kind: 'string' | 'int' | 'bool' | 'duration' | 'list'
  description: string
}

/** Every `CHORUS_*` variable the node reads (documented in the README). */
export const ENV_VARS: EnvVarSpec[] = [
  { name: 'CHORUS_CONFIG', key: 'config', kind: 'string', description: 'configuration file (YAML or JSON)' },
  { name: 'CHORUS_DATA_DIR', key: 'dataDir', kind: 'string', description: 'data directory' },
  { name: 'CHORUS_ROLE', key: 'role', kind: 'string', description: 'default role of requests' },
  { name: 'CHORUS_ROLES', key: 'roles', kind: 'list', description: 'roles this node holds keys for (comma-separated)' },
  { name: 'CHORUS_ROLES_FILE', key: 'rolesFile', kind: 'string', description: 'roles file (YAML/JSON)' },
  { name: 'CHORUS_KEYS_DIR', key: 'keysDir', kind: 'string', description: 'role keystore directory' },
  { name: 'CHORUS_KEY_PASSPHRASE', key: 'keyPassphrase', kind: 'string', description: 'passphrase of role identities at rest' },
  { name: 'CHORUS_AGENT', key: 'agent', kind: 'string', description: 'agent name announced to peers' },
  { name: 'CHORUS_ASSIGNMENT_FILE', key: 'assignmentFile', kind: 'string', description: 'assignment file with a bootstrap list' },
  { name: 'CHORUS_AUTHORITY', key: 'authority.id', kind: 'string', description: 'the authority\'s id (peer-id string of its Ed25519 key)' },
  { name: 'CHORUS_CERTIFICATE_FILE', key: 'certificateFile', kind: 'string', description: 'this node\'s role certificate, as authority issue --out writes it' },
  { name: 'CHORUS_AUTHORITY_REFRESH_INTERVAL', key: 'authority.refreshInterval', kind: 'duration', description: 'how often the role directory and grants are re-read' },
  { name: 'CHORUS_SHUTDOWN_TIMEOUT', key: 'shutdownTimeout', kind: 'duration', description: 'shutdown bound' },
  { name: 'CHORUS_API_HOST', key: 'api.host', kind: 'string', description: 'HTTP API bind address' },
  { name: 'CHORUS_API_PORT', key: 'api.port', kind: 'int', description: 'HTTP API port (0: any free port)' },
  { name: 'CHORUS_API_TOKEN', key: 'api.token', kind: 'string', description: 'bearer token of the HTTP API' },
  { name: 'CHORUS_API_MAX_BODY', key: 'api.maxBodyBytes', kind: 'int', description: 'maximum request body, bytes' },
  { name: 'CHORUS_API_REQUEST_TIMEOUT', key: 'api.requestTimeout', kind: 'duration', description: 'timeout of one API request' },
  { name: 'CHORUS_LISTEN', key: 'p2p.listen', kind: 'list', description: 'libp2p listen multiaddrs (comma-separated)' },
  { name: 'CHORUS_ALLOW_PRIVATE_ADDRESSES', key: 'p2p.allowPrivateAddresses', kind: 'bool', description: 'LAN/loopback DHT (false: public internet rules)' },
  { name: 'CHORUS_DHT_BOOTSTRAP_NODES', key: 'p2p.bootstrap', kind: 'list', description: 'bootstrap multiaddrs (comma-separated), lowest priority' },
  { name: 'CHORUS_USE_REAL_DHT', key: 'dht.useRealDHT', kind: 'bool', description: 'use the libp2p DHT (false: mock only)' },
  { name: 'CHORUS_FALLBACK_ON_ERROR', key: 'dht.fallbackOnError', kind: 'bool', description: 'fall back to the mock when the real DHT fails' },
  { name: 'CHORUS_HEALTH_CHECK_INTERVAL', key: 'dht.healthCheckInterval', kind: 'duration', description: 'hybrid DHT probe interval' },
  { name: 'CHORUS_MAX_CONSECUTIVE_FAILURES', key: 'dht.maxConsecutiveFailures', kind: 'int', description: 'failures that switch the hybrid DHT to the mock' },
  { name: 'CHORUS_REPLICATION', key: 'replication.enabled', kind: 'bool', description: 'run the replication manager' },
  { name: 'CHORUS_REPLICATION_FACTOR', key: 'replication.factor', kind: 'int', description: 'target replicas per record' },
  { name: 'CHORUS_MAX_RECORD_SIZE', key: 'storage.maxRecordSize', kind: 'int', description: 'largest record, bytes' },
  { name: 'CHORUS_LOG_LEVEL', key: 'log.level', kind: 'string', description: 'log level' }
]

function parseBool (value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  return undefined
}

function splitList (value: string): string[] {
  return value.split(/[,\s]+/).map(s => s.trim()).filter(s => s.length > 0)
}

function setPath (target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {}
    node = node[part]
  }
  node[parts[parts.length - 1]] = value
}

function getPath (source: Record<string, any> | undefined, path: string): any {
  let node: any = source
  for (const part of path.split('.')) {
    if (node == null) return undefined
    node = node[part]
  }
  return node
}

function convertEnv (spec: EnvVarSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(spec.name, `expected an integer, got "${raw}"`)
      return Number(raw.trim())
    }
    case 'bool': {
      const b = parseBool(raw)
      if (b === undefined) throw new ConfigError(spec.name, `expected true or false, got "${raw}"`)
      return b
    }
    case 'duration': {
      const d = parseDuration(raw)
      if (d === undefined) throw new ConfigError(spec.name, `expected a duration such as 30s or 1500 (ms), got "${raw}"`)
      return d
    }
    case 'list':
      return splitList(raw)
    default:
      return raw
  }
}

/** Reads a YAML or JSON file into an object; a malformed file is a ConfigError naming it. */
export async function readStructuredFile (path: string, key: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    throw new ConfigError(key, `cannot read ${path}: ${err.code ?? err.message}`, { cause: err })
  }
  let data: unknown
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err: any) {
    throw new ConfigError(key, `${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${err.message}`, { cause: err })
  }
  if (data == null) return {}
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(key, `${path} must hold a mapping at the top level`)
  }
  return data as Record<string, unknown>
}

/** Reads the bootstrap list of an assignment file (`bootstrap: [...]`). */
export async function readAssignment (path: string): Promise<string[]> {
  const data = await readStructuredFile(path, 'assignmentFile')
  const parsed = z.object({ bootstrap: z.array(bootstrapAddr).optional() }).passthrough().safeParse(data)
  if (!parsed.success) throw zodToConfigError(parsed.error, path, 'assignmentFile')
  return parsed.data.bootstrap ?? []
}

function zodToConfigError (error: z.ZodError, origin: string, prefix?: string): ConfigError {
  const issue = error.issues[0]
  const path = [...(prefix != null ? [prefix] : []), ...issue.path.map(String)]
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0]].join('.')
    return new ConfigError(key, `unknown setting (in ${origin})`)
  }
  return new ConfigError(path.join('.') || '(root)', `${issue.message} (in ${origin})`)
}

function isLoopbackHost (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1'
  return false
}

/**
 * Resolves the node configuration from (lowest to highest priority)
 * defaults, the config file, `CHORUS_*` environment variables and flags.
 * The bootstrap list follows CHORUS instead: the first non-empty of the
 * assignment (`--bootstrap` flags, then the assignment file), the config
 * file, the environment.
 *
 * Throws {@link ConfigError} naming the key for any bad value.
 */
export async function loadConfig (init: LoadConfigInit = {}): Promise<NodeConfig> {
  const env = init.env ?? process.env
  const cwd = init.cwd ?? process.cwd()
  const flags = init.flags ?? {}

  const configPath = flags.config ?? (env.CHORUS_CONFIG !== '' ? env.CHORUS_CONFIG : undefined)
  let file: FileConfig = {}
  let configFile: string | undefined
  if (configPath != null) {
    configFile = resolve(cwd, configPath)
    const raw = await readStructuredFile(configFile, 'config')
    const parsed = fileConfigSchema.safeParse(raw)
    if (!parsed.success) throw zodToConfigError(parsed.error, configFile)
    file = parsed.data
  }

  // environment over the file, bootstrap kept apart (lower priority than the file)
  const envLayer: Record<string, any> = {}
  for (const spec of ENV_VARS) {
    if (spec.key === 'config') continue
    const raw = env[spec.name]
    if (raw == null || raw === '') continue
    setPath(envLayer, spec.key, convertEnv(spec, raw))
  }
  const envBootstrap: string[] | undefined = getPath(envLayer, 'p2p.bootstrap')
  if (envLayer.p2p != null) delete envLayer.p2p.bootstrap
  const envParsed = fileConfigSchema.safeParse(envLayer)
  if (!envParsed.success) {
    const issue = envParsed.error.issues[0]
    const key = issue.path.map(String).join('.')
    const spec = ENV_VARS.find(s => s.key === key)
    throw new ConfigError(spec?.name ?? key, issue.message)
  }

  // flags over everything
  const flagLayer: Record<string, any> = {}
  const flagMap: Array<[keyof FlagConfig, string, string]> = [
    ['dataDir', 'dataDir', '--data-dir'],
    ['role', 'role', '--role'],
    ['rolesFile', 'rolesFile', '--roles-file'],
    ['keysDir', 'keysDir', '--keys-dir'],
    ['agent', 'agent', '--agent'],
    ['assignmentFile', 'assignmentFile', '--assignment'],
    ['authority', 'authority.id', '--authority'],
    ['certificateFile', 'certificateFile', '--certificate'],
    ['apiHost', 'api.host', '--api-host'],
    ['apiToken', 'api.token', '--api-token'],
    ['listen', 'p2p.listen', '--listen'],
    ['logLevel', 'log.level', '--log-level']
  ]
  for (const [flag, key] of flagMap) {
    const v = flags[flag]
    if (v == null || (Array.isArray(v) && v.length === 0)) continue
    setPath(flagLayer, key, v)
  }
  if (flags.apiPort != null) {
    if (!/^\d+$/.test(flags.apiPort)) throw new ConfigError('--api-port', `expected an integer, got "${flags.apiPort}"`)
    setPath(flagLayer, 'api.port', Number(flags.apiPort))
  }
  if (flags.mock === true) setPath(flagLayer, 'dht.useRealDHT', false)
  const flagParsed = fileConfigSchema.safeParse(flagLayer)
  if (!flagParsed.success) {
    const issue = flagParsed.error.issues[0]
    const key = issue.path.map(String).join('.')
    const flagName = flagMap.find(([, k]) => k === key)?.[2] ?? key
    throw new ConfigError(flagName, issue.message)
  }

  const pick = <T>(key: string, fallback: T): T =>
    getPath(flagParsed.data, key) ?? getPath(envParsed.data, key) ?? getPath(file, key) ?? fallback

  const dataDir = resolve(cwd, pick('dataDir', DEFAULT_DATA_DIR))
  const role = pick('role', DEFAULT_ROLE)
  const roles = pick<string[]>('roles', [role])
  const rolesFile = pick<string | undefined>('rolesFile', undefined)
  const assignmentFile = pick<string | undefined>('assignmentFile', undefined)
  const certificateFile = pick<string | undefined>('certificateFile', undefined)

  const api = {
    host: pick('api.host', DEFAULT_API_HOST),
    port: pick('api.port', DEFAULT_API_PORT),
    token: pick<string | undefined>('api.token', undefined),
    maxBodyBytes: pick('api.maxBodyBytes', DEFAULT_MAX_BODY_BYTES),
    requestTimeout: pick('api.requestTimeout', DEFAULT_REQUEST_TIMEOUT)
  }
  if (!isLoopbackHost(api.host) && api.token == null) {
    throw new ConfigError('api.token', `a bearer token is required when api.host (${api.host}) is not a loopback address`)
  }

  const config: NodeConfig = {
    dataDir,
    role,
    roles: roles.includes(role) ? roles : [...roles, role],
    rolesFile: rolesFile != null ? resolve(cwd, rolesFile) : undefined,
    keysDir: resolve(cwd, pick('keysDir', resolve(dataDir, DATA_LAYOUT.keys))),
    keyPassphrase: pick<string | undefined>('keyPassphrase', undefined),
    agent: pick('agent', 'chorus-node'),
    assignmentFile: assignmentFile != null ? resolve(cwd, assignmentFile) : undefined,
    certificateFile: certificateFile != null ? resolve(cwd, certificateFile) : undefined,
    shutdownTimeout: pick('shutdownTimeout', DEFAULT_SHUTDOWN_TIMEOUT),
    auditFile: resolve(dataDir, DATA_LAYOUT.audit),
    configFile,
    authority: {
      id: pick<string | undefined>('authority.id', undefined),
      refreshInterval: pick('authority.refreshInterval', DEFAULT_AUTHORITY_REFRESH_INTERVAL)
    },
    api,
    p2p: {
      listen: pick('p2p.listen', DEFAULT_LISTEN),
      bootstrap: [],
      allowPrivateAddresses: pick('p2p.allowPrivateAddresses', true),
      bootstrapSource: 'none',
      bootstrapFlags: flags.bootstrap ?? []
    },
    dht: {
      useRealDHT: pick('dht.useRealDHT', true),
      fallbackOnError: pick('dht.fallbackOnError', true),
      healthCheckInterval: pick('dht.healthCheckInterval', DEFAULT_HEALTH_CHECK_INTERVAL),
      maxConsecutiveFailures: pick('dht.maxConsecutiveFailures', DEFAULT_MAX_CONSECUTIVE_FAILURES)
    },
    replication: {
      enabled: pick('replication.enabled', true),
      factor: pick('replication.factor', DEFAULT_REPLICATION_FACTOR)
    },
    storage: {
      maxRecordSize: pick<number | undefined>('storage.maxRecordSize', undefined)
    },
    log: {
      level: pick('log.level', DEFAULT_LOG_LEVEL as typeof LOG_LEVELS[number])
    }
  }

  const resolved = await resolveBootstrap({
    flags: flags.bootstrap,
    assignmentFile: config.assignmentFile,
    config: file.p2p?.bootstrap,
    env: envBootstrap
  })
  config.p2p.bootstrap = resolved.bootstrap
  config.p2p.bootstrapSource = resolved.source
  return config
}

/** The bootstrap candidates, by source. */
export interface BootstrapInputs {
  flags?: string[]
  assignmentFile?: string
  config?: string[]
  env?: string[]
}

/**
 * Picks the bootstrap list by CHORUS's priority: assignment (flags, then
 * the assignment file) > config file > environment. Validates every address.
 */
export async function resolveBootstrap (inputs: BootstrapInputs): Promise<{ bootstrap: string[], source: BootstrapSource }> {
  if (inputs.flags != null && inputs.flags.length > 0) {
    const parsed = z.array(bootstrapAddr).safeParse(inputs.flags)
    if (!parsed.success) throw new ConfigError('--bootstrap', parsed.error.issues[0].message)
    return { bootstrap: parsed.data, source: 'assignment' }
  }
  if (inputs.assignmentFile != null) {
    const list = await readAssignment(inputs.assignmentFile)
    if (list.length > 0) return { bootstrap: list, source: 'assignment' }
  }
  if (inputs.config != null && inputs.config.length > 0) return { bootstrap: inputs.config, source: 'config' }
  if (inputs.env != null && inputs.env.length > 0) {
    const parsed = z.array(bootstrapAddr).safeParse(inputs.env)
    if (!parsed.success) throw new ConfigError('CHORUS_DHT_BOOTSTRAP_NODES', parsed.error.issues[0].message)
    return { bootstrap: parsed.data, source: 'env' }
  }
  return { bootstrap: [], source: 'none' }
}
