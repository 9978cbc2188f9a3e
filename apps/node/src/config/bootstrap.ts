import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { convertText } from './env.js'
import { readConfigFile, readStructuredFile, zodToConfigError } from './file.js'
import { bootstrapAddr } from './schema.js'
import type { BootstrapSource, NodeConfig } from './schema.js'

/** The variable of the lowest-priority bootstrap list. */
export const BOOTSTRAP_ENV = 'CHORUS_DHT_BOOTSTRAP_NODES'

/** Reads the bootstrap list of an assignment file (`bootstrap: [...]`). */
export async function readAssignment (path: string): Promise<string[]> {
  const data = await readStructuredFile(path, 'assignmentFile')
  const parsed = z.object({ bootstrap: z.array(bootstrapAddr).optional() }).passthrough().safeParse(data)
  if (!parsed.success) throw zodToConfigError(parsed.error, path, 'assignmentFile')
  return parsed.data.bootstrap ?? []
}

/** The bootstrap candidates, by source. */
export interface BootstrapInputs {
  flags?: string[]
  assignmentFile?: string
  config?: string[]
  env?: string[]
}

/** The bootstrap list of the environment (`CHORUS_DHT_BOOTSTRAP_NODES`), unchecked; undefined when unset. */
export function envBootstrap (env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env[BOOTSTRAP_ENV]
  return raw == null || raw === '' ? undefined : convertText('list', BOOTSTRAP_ENV, raw) as string[]
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
  if (inputs.config != null && inputs.config.length > 0) {
    const parsed = z.array(bootstrapAddr).safeParse(inputs.config)
    if (!parsed.success) throw new ConfigError('p2p.bootstrap', parsed.error.issues[0].message)
    return { bootstrap: parsed.data, source: 'config' }
  }
  if (inputs.env != null && inputs.env.length > 0) {
    const parsed = z.array(bootstrapAddr).safeParse(inputs.env)
    if (!parsed.success) throw new ConfigError(BOOTSTRAP_ENV, parsed.error.issues[0].message)
    return { bootstrap: parsed.data, source: 'env' }
  }
  return { bootstrap: [], source: 'none' }
}

/**
 * The bootstrap list of a loaded configuration read again, as on SIGHUP:
 * the same sources and the same parsing as `loadConfig` (the `--bootstrap`
 * flags as given at start, the assignment file, the config file's
 * `p2p.bootstrap` through the one schema, the environment).
 */
export async function reloadBootstrap (config: NodeConfig, env: NodeJS.ProcessEnv = process.env): Promise<{ bootstrap: string[], source: BootstrapSource }> {
  const file = config.configFile != null ? await readConfigFile(config.configFile) : undefined
  return await resolveBootstrap({
    flags: config.p2p.bootstrapFlags,
    assignmentFile: config.assignmentFile,
    config: file?.p2p?.bootstrap,
    env: envBootstrap(env)
  })
}
