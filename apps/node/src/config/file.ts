import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from '../errors.js'
import { fileConfigSchema } from './settings.js'
import type { FileConfig } from './settings.js'
import type { z } from 'zod'

/** Reads a YAML or JSON file into an object; a malformed file is a ConfigError naming it. */
export async function readStructuredFile (path: string, key: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    throw new ConfigError(key, `cannot read ${path}: ${err.code ?? err.message}`, { cause: err })
  }
  const json = extname(path).toLowerCase() === '.json'
  let data: unknown
  try {
    data = json ? JSON.parse(text) : parseYaml(text)
  } catch (err: any) {
    throw new ConfigError(key, `${path} is not valid ${json ? 'JSON' : 'YAML'}: ${err.message}`, { cause: err })
  }
  if (data == null) return {}
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(key, `${path} must hold a mapping at the top level`)
  }
  return data as Record<string, unknown>
}

/** The first issue of a zod error as a ConfigError naming the key (`api.port`) and where it came from. */
export function zodToConfigError (error: z.ZodError, origin: string, prefix?: string): ConfigError {
  const issue = error.issues[0]
  const path = [...(prefix != null ? [prefix] : []), ...issue.path.map(String)]
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0]].join('.')
    return new ConfigError(key, `unknown setting (in ${origin})`)
  }
  return new ConfigError(path.join('.') || '(root)', `${issue.message} (in ${origin})`)
}

/** Reads and checks a configuration file against the one schema. */
export async function readConfigFile (path: string): Promise<FileConfig> {
  const raw = await readStructuredFile(path, 'config')
  const parsed = fileConfigSchema.safeParse(raw)
  if (!parsed.success) throw zodToConfigError(parsed.error, path)
  return parsed.data
}
