import { readFile } from 'node:fs/promises'
import { AccessDeniedError, InvalidParametersError, NotFoundError } from '@chorus-dht/types'
import type { AbortOptions, AuthorityLevel, RoleDefinition, RoleRegistry } from '@chorus-dht/types'
import { parse as parseYaml } from 'yaml'
import { AUTHORITY_LEVELS, ROLE_NAME_PATTERN } from './constants.js'

/** The built-in role table of SPEC §3. */
export const BUILTIN_ROLES: readonly RoleDefinition[] = Object.freeze([
  { name: 'admin', authority: 'master', canDecrypt: ['*'], description: 'Administers the cluster; reads everything' },
  { name: 'senior_architect', authority: 'decision', canDecrypt: ['*'], description: 'Makes architecture decisions; reads everything' },
  { name: 'devops_engineer', authority: 'coordination', canDecrypt: ['devops_engineer', 'backend_developer'], description: 'Runs the infrastructure' },
  { name: 'backend_developer', authority: 'suggestion', canDecrypt: ['backend_developer'], description: 'Builds services' },
  { name: 'frontend_developer', authority: 'suggestion', canDecrypt: ['frontend_developer'], description: 'Builds user interfaces' },
  { name: 'qa_engineer', authority: 'suggestion', canDecrypt: ['qa_engineer', 'backend_developer', 'frontend_developer'], description: 'Tests everything' },
  { name: 'observer', authority: 'read_only', canDecrypt: ['observer'], description: 'Reads, never stores' }
].map(r => Object.freeze({ ...r, canDecrypt: Object.freeze([...r.canDecrypt]) as string[] }) as RoleDefinition))

/** Whether `value` is one of the five authority levels. */
export function isAuthorityLevel (value: unknown): value is AuthorityLevel {
  return typeof value === 'string' && (AUTHORITY_LEVELS as readonly string[]).includes(value)
}

/**
 * Throws `InvalidParametersError` when `name` is not usable as a role name
 * (letters, digits, `_`, `.`, `-`, 1 to 64 characters, not starting with `.`
 * or `-`): role names become file names in the key store.
 */
export function validateRoleName (name: unknown, what = 'role name'): asserts name is string {
  if (typeof name !== 'string' || !ROLE_NAME_PATTERN.test(name)) {
    throw new InvalidParametersError(`${what} ${JSON.stringify(name)} is invalid: use 1-64 of A-Z a-z 0-9 _ . - and do not start with . or -`)
  }
}

function copyRole (r: RoleDefinition): RoleDefinition {
  const out: RoleDefinition = { name: r.name, authority: r.authority, canDecrypt: [...r.canDecrypt] }
  if (r.description !== undefined) out.description = r.description
  return out
}

/** Validates one definition; `where` prefixes the error message. */
function validateDefinition (r: unknown, where: string): RoleDefinition {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw new InvalidParametersError(`${where}: expected an object with authority and canDecrypt`)
  }
  const o = r as Record<string, unknown>
  const name = o.name
  if (typeof name !== 'string' || !ROLE_NAME_PATTERN.test(name)) {
    throw new InvalidParametersError(`${where}: invalid role name ${JSON.stringify(name)} (use 1-64 of A-Z a-z 0-9 _ . -)`)
  }
  const at = `${where} (${name})`
  const authority = o.authority ?? o.authority_level ?? o.authorityLevel
  if (authority === undefined) {
    throw new InvalidParametersError(`${at}: missing authority (one of ${AUTHORITY_LEVELS.join(', ')})`)
  }
  if (!isAuthorityLevel(authority)) {
    throw new InvalidParametersError(`${at}: unknown authority level ${JSON.stringify(authority)} (one of ${AUTHORITY_LEVELS.join(', ')})`)
  }
  const canDecrypt = o.canDecrypt ?? o.can_decrypt ?? [name]
  if (!Array.isArray(canDecrypt)) {
    throw new InvalidParametersError(`${at}: canDecrypt must be a list of role names or "*"`)
  }
  canDecrypt.forEach((c, j) => {
    if (c !== '*' && (typeof c !== 'string' || !ROLE_NAME_PATTERN.test(c))) {
      throw new InvalidParametersError(`${at}: canDecrypt[${j}] ${JSON.stringify(c)} is not a role name or "*"`)
    }
  })
  const description = o.description
  if (description !== undefined && typeof description !== 'string') {
    throw new InvalidParametersError(`${at}: description must be a string`)
  }
  const def: RoleDefinition = { name, authority, canDecrypt: [...new Set(canDecrypt as string[])] }
  if (description !== undefined) def.description = description
  return def
}

/**
 * Parses a roles file. Accepted shapes (YAML or JSON):
 *
 * ```yaml
 * roles:                      # a map keyed by role name (like CHORUS .ucxl/roles.yaml)
 *   ops:
 *     authority: coordination # or authority_level
 *     canDecrypt: [ops, backend_developer]   # or can_decrypt; default [<name>]
 *     description: Runs things
 * ```
 *
 * or `roles:` as a list of `{ name, authority, canDecrypt }`, or that list
 * at the top level. Throws `InvalidParametersError` naming the entry, e.g.
 * `roles[2] (ops): unknown authority level "boss"`; a role defined twice is
 * an error too.
 *
 * @param format - `yaml` (default; YAML is a superset of JSON) or `json`
 */
export function parseRolesFile (text: string, format: 'yaml' | 'json' = 'yaml'): RoleDefinition[] {
  let doc: unknown
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text)
  } catch (err: any) {
    throw new InvalidParametersError(`roles file is not valid ${format.toUpperCase()}: ${err.message}`, { cause: err })
  }
  if (doc === null || doc === undefined) return []
  let entries: Array<[string, unknown]>
  const list = Array.isArray(doc) ? doc : (typeof doc === 'object' ? (doc as Record<string, unknown>).roles : undefined)
  if (Array.isArray(list)) {
    entries = list.map((r, i) => [`roles[${i}]`, r])
  } else if (list !== null && typeof list === 'object') {
    entries = Object.entries(list as Record<string, unknown>).map(([name, r], i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return [`roles[${i}] (${name})`, r]
      const named = r as Record<string, unknown>
      if (named.name !== undefined && named.name !== name) {
        throw new InvalidParametersError(`roles[${i}] (${name}): name ${JSON.stringify(named.name)} differs from its key`)
      }
      return [`roles[${i}]`, { ...named, name }]
    })
  } else if (list === undefined || list === null) {
    if (typeof doc === 'object' && !('roles' in (doc as object))) {
      throw new InvalidParametersError('roles file: expected a top-level "roles" map or list')
    }
    return []
  } else {
    throw new InvalidParametersError('roles file: "roles" must be a map or a list')
  }
  const seen = new Set<string>()
  return entries.map(([where, r]) => {
    const def = validateDefinition(r, where)
    if (seen.has(def.name)) throw new InvalidParametersError(`${where} (${def.name}): role defined twice`)
    seen.add(def.name)
    return def
  })
}

/**
 * Reads and parses a roles file; the format follows the extension (`.json`
 * is JSON, anything else YAML). Throws `NotFoundError` when the file does
 * not exist and `InvalidParametersError` as {@link parseRolesFile}.
 */
export async function loadRolesFile (path: string, options?: AbortOptions): Promise<RoleDefinition[]> {
  let text: string
  try {
    text = await readFile(path, { encoding: 'utf8', signal: options?.signal })
  } catch (err: any) {
    if (err.code === 'ENOENT') throw new NotFoundError(`roles file ${path} does not exist`, { cause: err })
    throw err
  }
  try {
    return parseRolesFile(text, path.toLowerCase().endsWith('.json') ? 'json' : 'yaml')
  } catch (err: any) {
    if (err.name === InvalidParametersError.name) err.message = `${path}: ${err.message}`
    throw err
  }
}

class DefaultRoleRegistry implements RoleRegistry {
  private readonly roles = new Map<string, RoleDefinition>()

  constructor (extra: RoleDefinition[]) {
    for (const r of BUILTIN_ROLES) this.roles.set(r.name, copyRole(r))
    extra.forEach((r, i) => {
      const def = validateDefinition(r, `roles[${i}]`)
      this.roles.set(def.name, def)
    })
  }

  get (role: string): RoleDefinition | undefined {
    const r = this.roles.get(role)
    return r === undefined ? undefined : copyRole(r)
  }

  has (role: string): boolean {
    return this.roles.has(role)
  }

  list (): RoleDefinition[] {
    return [...this.roles.values()].map(copyRole)
  }

  recipientsFor (creatorRole: string): string[] {
    if (!this.roles.has(creatorRole)) {
      throw new AccessDeniedError(`unknown role ${JSON.stringify(creatorRole)}`)
    }
    const out = new Set<string>([creatorRole])
    for (const r of this.roles.values()) {
      if (r.canDecrypt.includes('*') || r.canDecrypt.includes(creatorRole)) out.add(r.name)
    }
    return [...out].sort()
  }

  canDecrypt (reader: string, creator: string): boolean {
    const r = this.roles.get(reader)
    if (r === undefined) return false
    return reader === creator || r.canDecrypt.includes('*') || r.canDecrypt.includes(creator)
  }

  canMakeDecisions (role: string): boolean {
    const a = this.roles.get(role)?.authority
    return a === 'master' || a === 'decision'
  }

  isAdminRole (role: string): boolean {
    return this.roles.get(role)?.authority === 'master'
  }

  canStore (role: string): boolean {
    const a = this.roles.get(role)?.authority
    return a !== undefined && a !== 'read_only'
  }
}

/** Init of {@link createRoleRegistry}. */
export interface RoleRegistryInit {
  /**
   * Roles that override built-ins of the same name or add new ones,
   * e.g. from {@link loadRolesFile}.
   *
   * @default []
   */
  roles?: RoleDefinition[]
}

/**
 * The built-in role table with `init.roles` applied on top. Throws
 * `InvalidParametersError` naming the entry for a malformed definition.
 */
export function createRoleRegistry (init: RoleRegistryInit = {}): RoleRegistry {
  return new DefaultRoleRegistry(init.roles ?? [])
}
