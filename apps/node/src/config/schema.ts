import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { authorityPublicKey } from '@chorus-dht/authority'
import { MAX_TIMER_DELAY, parseDuration } from '@chorus-dht/utils'

/** The log levels of pino, quietest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** `auto`: pretty on a terminal, JSON otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const
export type LogFormat = typeof LOG_FORMATS[number]

/** How dht-core takes part in the DHT (`ChorusDHTInit.mode`). */
export const DHT_MODES = ['auto', 'client', 'server'] as const
export type DhtMode = typeof DHT_MODES[number]

export const roleName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a role name is one or more of A-Z a-z 0-9 _ -')

export const multiaddrString = z.string().superRefine((value, ctx) => {
  try {
    multiaddr(value)
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: `not a multiaddr (${err.message})` })
  }
})

/** A bootstrap peer: a multiaddr ending in `/p2p/<peer id>`. */
export const bootstrapAddr = multiaddrString.superRefine((value, ctx) => {
  if (!/\/p2p\/[^/]+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: `bootstrap address ${value} must end with /p2p/<peer id>` })
  }
})

/**
 * A duration, ms: a number, or in a file also a string of the one grammar
 * of `@chorus-dht/utils` `parseDuration` (`30s`, `1m30s`, `12h`).
 */
const durationMs = z.preprocess(
  v => typeof v === 'string' ? (parseDuration(v) ?? v) : v,
  z.number({ error: 'expected milliseconds or a duration such as 30s, 5m, 1h' }).int().nonnegative().max(MAX_TIMER_DELAY, `at most ${MAX_TIMER_DELAY} ms`)
)
export const duration = durationMs
export const positiveDuration = durationMs.refine(v => v > 0, 'must be more than 0 ms')

/** The authority's id: the peer-id string of an Ed25519 key (`12D3KooW…`), which embeds its public key. */
export const authorityId = z.string().superRefine((value, ctx) => {
  try {
    authorityPublicKey(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `not the peer id of an Ed25519 key (12D3KooW…): ${JSON.stringify(value)}` })
  }
})

/** `host:port` of a listener (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`). */
export const hostPort = z.string().superRefine((value, ctx) => {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(value)
  if (m == null || Number(m[2]) > 65535) ctx.addIssue({ code: 'custom', message: `expected host:port (e.g. 127.0.0.1:9464), got ${JSON.stringify(value)}` })
})

/** A CORS origin: `*` or `scheme://host[:port]`. */
export const corsOrigin = z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'a CORS origin is * or scheme://host[:port], without a path')

/** Per-component log levels: `{ 'chorus-dht:storage': 'debug' }`. */
export const componentLevels = z.record(z.string().regex(/^[A-Za-z0-9_:.*-]+$/, 'a component name is A-Z a-z 0-9 _ : . * -'), z.enum(LOG_LEVELS))

/** The kind of a setting's text form (environment variable, flag). */
export type SettingKind = 'string' | 'int' | 'bool' | 'duration' | 'list' | 'levels'

/** One setting of the node: its config key, its variable, its flag, its default. */
export interface SettingSpec {
  /** Dotted config key (`api.port`). */
  key: string
  /** Its `CHORUS_*` variable. */
  env?: string
  /** Its flag of `chorus-dht start` (`--api-port`). */
  flag?: string
  /** The flag's value name in help (`PORT`). */
  arg?: string
  kind: SettingKind
  /** The value's schema (as in the config file). */
  schema: z.ZodType
  /** The default; `undefined`: none (see `defaultText`). */
  default?: unknown
  /** How the default reads when it is not a literal (`<dataDir>/keys`). */
  defaultText?: string
  description: string
  /** Hidden by `config show`. */
  secret?: boolean
}

/** Where the bootstrap list came from, highest priority first. */
export type BootstrapSource = 'assignment' | 'config' | 'env' | 'none'

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
    /** `host:port` of the unauthenticated metrics-only listener; none: no such listener. */
    metricsListen?: string
    /** Serve libp2p's own metrics (`libp2p_*`) on /metrics too. */
    libp2pMetrics: boolean
    /** Origins allowed by CORS; empty: no CORS headers. */
    cors: string[]
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
    /** dht-core's `mode`. */
    mode: DhtMode
    /** dht-core's `bootstrapTimeout`, ms. */
    bootstrapTimeout: number
    /** dht-core's `bootstrapInterval`, ms. */
    bootstrapInterval: number
    /** dht-core's `autoBootstrap`. */
    autoBootstrap: boolean
    /** dht-core's `discoveryInterval`, ms. */
    discoveryInterval: number
    /** dht-core's `peerCleanupInterval`, ms. */
    peerCleanupInterval: number
    /** dht-core's `peerTTL`, ms. */
    peerTTL: number
    /** Re-announcement interval of this node's role and capabilities (the node's DHT layer), ms. */
    announceInterval: number
    /** dht-core's `queryTimeout`, ms. */
    queryTimeout: number
    /** dht-core's `peerRequestTimeout`, ms. */
    peerRequestTimeout: number
    /** dht-core's `putMinPeers`. */
    putMinPeers: number
    /** dht-core's `putReplicas`. */
    putReplicas: number
    /** dht-core's `connectionPingInterval`, ms. */
    connectionPingInterval: number
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
    reprovideInterval: number
    cleanupInterval: number
    providerTTL: number
    maxProvidersPerKey: number
    maxConcurrentReplications: number
    checkInterval: number
    enableAutoReplication: boolean
    enableReprovide: boolean
    /** replication's `peerQueryTimeout`, ms. */
    peerQueryTimeout: number
  }
  storage: {
    maxRecordSize: number
    cacheTtl: number
    cacheMaxEntries: number
    cacheMaxBytes: number
    cacheCleanupInterval: number
    /** encrypted-storage's `headQuorum`. */
    headQuorum: number
    /** encrypted-storage's `maxRepublishAttempts`. */
    maxRepublishAttempts: number
    /** encrypted-storage's `reconcileInterval`, ms. */
    reconcileInterval: number
  }
  log: {
    level: LogLevel
    format: LogFormat
    /** Per-component levels, by component name prefix. */
    components: Record<string, LogLevel>
  }
}

/**
 * Command-line values that override the file and the environment: the
 * named fields of the common flags, and `settings` for any setting by its
 * key (`{ 'p2p.mode': 'server' }`), as the text a flag holds.
 */
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
  /** Any setting by its key, as flag text (a list setting takes several). */
  settings?: Record<string, string | string[]>
}

/** Inputs of `loadConfig`. */
export interface LoadConfigInit {
  flags?: FlagConfig
  /** @default process.env */
  env?: NodeJS.ProcessEnv
  /** @default process.cwd() */
  cwd?: string
}
