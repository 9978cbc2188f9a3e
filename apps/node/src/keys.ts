import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { isX25519Recipient } from '@chorus-dht/authority'
import { createAgeCrypto, createKeyStore, createRoleRegistry, loadRolesFile } from '@chorus-dht/crypto-age'
import { EXIT } from './constants.js'
import { dataDirLayout } from './data-dir.js'
import { ConfigError, UsageError } from './errors.js'
import { createLogger, componentLogger } from './logger.js'
import { loadOrCreateNodeIdentity } from './node-identity.js'
import type { CliIO } from './cli/io.js'
import type { NodeConfig } from './config.js'
import type { RoleRegistry } from '@chorus-dht/types'

/** What `chorus-dht keys` does. */
export type KeysAction = 'generate' | 'rotate' | 'list' | 'export' | 'import'

/** Arguments of `keys export` and `keys import`. */
export interface KeysOptions {
  /** The role (export: required; import: else the file's `# role:` line). */
  role?: string
  /** export: the recipient the file is encrypted to. */
  to?: string
  /** export: the file written (else standard output). */
  out?: string
  /** import: the file read. */
  file?: string
}

async function roleTable (config: NodeConfig): Promise<RoleRegistry> {
  try {
    return createRoleRegistry({ roles: config.rolesFile != null ? await loadRolesFile(config.rolesFile) : [] })
  } catch (err: any) {
    throw new ConfigError('rolesFile', err.message, { cause: err })
  }
}

/**
 * `chorus-dht keys generate|rotate|list|export|import`: manages the role
 * keystore of a data directory. `export` writes an age file of a role's
 * identities (every generation, oldest first) encrypted to a recipient;
 * `import` opens such a file with the node's own age identity.
 */
export async function runKeys (config: NodeConfig, action: KeysAction, role: string | undefined, asJson: boolean, io: CliIO, options: KeysOptions = {}): Promise<number> {
  // the key store warns (once) when no passphrase protects the identities
  const logger = componentLogger(createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, format: config.log.format, components: config.log.components }))
  const store = createKeyStore({ logger }, { directory: config.keysDir, passphrase: config.keyPassphrase })
  await store.init()
  const print = (value: unknown, text: string): void => { io.stdout(asJson ? `${JSON.stringify(value, null, 2)}\n` : text) }
  if (action === 'list') {
    const recipients = store.exportRecipients()
    const held = new Set(store.listRoles().filter(r => store.getIdentities(r).length > 0))
    const rows = Object.keys(recipients).sort().map(r => ({
      role: r,
      recipient: recipients[r],
      held: held.has(r),
      generations: store.getIdentities(r).length,
      ...(store.getPublishedRecipient(r) !== undefined ? { published: true } : {})
    }))
    if (asJson) {
      io.stdout(`${JSON.stringify({ directory: config.keysDir, roles: rows }, null, 2)}\n`)
    } else if (rows.length === 0) {
      io.stdout(`no role keys in ${config.keysDir}\n`)
    } else {
      for (const row of rows) io.stdout(`${row.role}\t${row.recipient}\t${row.held ? `identity held (${row.generations} generation${row.generations === 1 ? '' : 's'})` : 'recipient only'}${row.published === true ? '\tpublished by the directory' : ''}\n`)
    }
    return EXIT.OK
  }
  const roles = await roleTable(config)

  if (action === 'export') {
    const r = options.role
    if (r == null || options.to == null) throw new UsageError('expected: chorus-dht keys export --role ROLE --to RECIPIENT [--out FILE]')
    if (!roles.has(r)) throw new UsageError(`unknown role ${r}`)
    if (!isX25519Recipient(options.to)) throw new UsageError(`--to must be an age X25519 recipient (age1…), got ${options.to}`)
    const identities = [...store.getIdentities(r)].reverse()
    if (identities.length === 0) throw new Error(`the keystore ${config.keysDir} holds no identity of role ${r}`)
    const text = `# chorus-dht role identities\n# role: ${r}\n${identities.map(i => `${i}\n`).join('')}`
    const crypto = createAgeCrypto({ roles, keys: { recipients: { [r]: options.to } } })
    const file = await crypto.encryptForRole(new TextEncoder().encode(text), r)
    if (options.out != null) {
      await writeFile(resolve(io.cwd, options.out), file, { mode: 0o600 })
      io.stderr(`wrote ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'} of role ${r} to ${options.out}, encrypted to ${options.to}\n`)
    } else {
      io.stdout(file)
    }
    return EXIT.OK
  }

  if (action === 'import') {
    if (options.file == null) throw new UsageError('expected: chorus-dht keys import FILE')
    const own = await loadOrCreateNodeIdentity(dataDirLayout(config.dataDir).nodeKey, config.keyPassphrase, logger)
    const ciphertext = new Uint8Array(await readFile(resolve(io.cwd, options.file)))
    const crypto = createAgeCrypto({ roles, keys: {} })
    const text = new TextDecoder().decode(await crypto.decryptWithPrivateKey(ciphertext, own.identity))
    const lines = text.split(/\r?\n/).map(l => l.trim())
    const named = lines.map(l => /^#\s*role:\s*(\S+)$/.exec(l)?.[1]).find(v => v != null)
    const r = options.role ?? named
    if (r == null) throw new UsageError('the file names no role (# role: line): give --role ROLE')
    if (named != null && options.role != null && named !== options.role) throw new UsageError(`the file holds identities of role ${named}, not ${options.role}`)
    if (!roles.has(r)) throw new UsageError(`unknown role ${r}`)
    const identities = lines.filter(l => l.startsWith('AGE-SECRET-KEY-'))
    if (identities.length === 0) throw new Error(`${options.file} holds no age identity`)
    const added = await store.importIdentities(r, identities)
    print({ role: r, identities: identities.length, imported: added.length }, `imported ${added.length} of ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'} of role ${r} (the others were held already)\n`)
    return EXIT.OK
  }

  if (!roles.has(role!)) throw new UsageError(`unknown role ${role}: not in the role table (add it with a roles file)`)
  if (action === 'generate' && store.getPublishedRecipient(role!) !== undefined) {
    throw new UsageError(`role ${role} has a recipient published by the authority's role directory: its key changes with \`chorus-dht authority rotate\` (or \`keys rotate\` without an authority), not with keys generate`)
  }
  const info = action === 'generate' ? await store.generateRoleKey(role!) : await store.rotateRoleKey(role!)
  print(info, `${action === 'generate' ? 'generated' : 'rotated'} ${info.role}: generation ${info.generation}, recipient ${info.recipient}\n`)
  return EXIT.OK
}
