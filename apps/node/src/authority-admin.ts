import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  encryptGrantIdentities, exportAuthorityKey, generateAuthority, importAuthorityKey,
  isPeerIdString, isX25519Recipient, signDirectory, signGrant
} from '@chorus-dht/authority'
import { createKeyStore, createRoleRegistry, loadRolesFile } from '@chorus-dht/crypto-age'
import { EXIT } from './constants.js'
import { writeFileAtomic } from './data-dir.js'
import { UsageError } from './errors.js'
import { componentLogger, createLogger } from './logger.js'
import type { ApiClient } from './client.js'
import type { CliIO } from './cli-main.js'
import type { Authority, SignedAuthorityRecord } from '@chorus-dht/authority'
import type { KeyStore } from '@chorus-dht/crypto-age'

/** Files of an authority directory (`authority init --dir DIR`). */
export const AUTHORITY_LAYOUT = {
  /** The authority's Ed25519 key, a passphrase-encrypted age file. */
  key: 'authority.age',
  /** A crypto-age key store of every role's key pairs, encrypted with the same passphrase. */
  roles: 'roles',
  /** What the authority signed so far: directory generation, grant sequences and holders. */
  state: 'state.json'
} as const

/** `state.json` of an authority directory. */
export interface AuthorityDirState {
  authority: string
  /** scrypt work factor of the key files. */
  workFactor: number
  directory: { generation: number }
  /** Grants by peer, then role. */
  grants: Record<string, Record<string, { sequence: number, to: string, active: boolean }>>
}

/** Shared arguments of the `authority` commands. */
export interface AuthorityCommandInit {
  dir: string
  passphrase: string
  io: CliIO
  json: boolean
  /** A client of the node that posts records (not for init). */
  client?: () => Promise<ApiClient>
  rolesFile?: string
  workFactor?: number
}

/** The passphrase from `--passphrase-file` or `CHORUS_AUTHORITY_PASSPHRASE`. */
export async function authorityPassphrase (file: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  let passphrase: string | undefined
  if (file != null) {
    passphrase = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
  } else if (env.CHORUS_AUTHORITY_PASSPHRASE != null && env.CHORUS_AUTHORITY_PASSPHRASE !== '') {
    passphrase = env.CHORUS_AUTHORITY_PASSPHRASE
  }
  if (passphrase == null || passphrase === '') throw new UsageError('the authority key needs a passphrase: --passphrase-file FILE or CHORUS_AUTHORITY_PASSPHRASE')
  return passphrase
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

interface Opened {
  authority: Authority
  roles: KeyStore
  state: AuthorityDirState
  save(): Promise<void>
}

function rolesStore (dir: string, passphrase: string, workFactor: number): KeyStore {
  const logger = componentLogger(createLogger('warn'))
  return createKeyStore({ logger }, { directory: join(dir, AUTHORITY_LAYOUT.roles), passphrase, scryptWorkFactor: workFactor })
}

async function open (init: AuthorityCommandInit): Promise<Opened> {
  const statePath = join(init.dir, AUTHORITY_LAYOUT.state)
  if (!await exists(statePath)) throw new UsageError(`${init.dir} is not an authority directory (no ${AUTHORITY_LAYOUT.state}): run chorus-dht authority init --dir ${init.dir}`)
  const state: AuthorityDirState = JSON.parse(await readFile(statePath, 'utf8'))
  const authority = await importAuthorityKey(await readFile(join(init.dir, AUTHORITY_LAYOUT.key)), init.passphrase)
  if (authority.id !== state.authority) throw new Error(`${AUTHORITY_LAYOUT.key} holds ${authority.id}, but ${AUTHORITY_LAYOUT.state} names ${state.authority}`)
  const roles = rolesStore(init.dir, init.passphrase, state.workFactor)
  await roles.init()
  return {
    authority,
    roles,
    state,
    save: async () => { await writeFileAtomic(statePath, `${JSON.stringify(state, null, 2)}\n`, 0o600) }
  }
}

async function post (init: AuthorityCommandInit, record: SignedAuthorityRecord<any>): Promise<any> {
  if (init.client == null) throw new UsageError('--api URL of a node is required')
  const client = await init.client()
  const answer = await client.request('POST', '/authority/records', {
    body: JSON.stringify({ key: record.key, value: Buffer.from(record.value).toString('base64') }),
    headers: { 'content-type': 'application/json' }
  })
  return answer.body.response.data
}

function print (init: AuthorityCommandInit, value: unknown, text: string): void {
  init.io.stdout(init.json ? `${JSON.stringify(value, null, 2)}\n` : text)
}

/** `authority init`: the authority key and one key pair per role of the table, generation 1. */
export async function authorityInit (init: AuthorityCommandInit): Promise<number> {
  if (await exists(join(init.dir, AUTHORITY_LAYOUT.key))) throw new UsageError(`${init.dir} already holds an authority key (${AUTHORITY_LAYOUT.key})`)
  const workFactor = init.workFactor ?? 18
  await mkdir(init.dir, { recursive: true, mode: 0o700 })
  const { privateKey, id } = await generateAuthority()
  await writeFileAtomic(join(init.dir, AUTHORITY_LAYOUT.key), await exportAuthorityKey(privateKey, init.passphrase, { workFactor }), 0o600)
  const table = createRoleRegistry({ roles: init.rolesFile != null ? await loadRolesFile(init.rolesFile) : [] })
  const roles = rolesStore(init.dir, init.passphrase, workFactor)
  await roles.init()
  const made: Record<string, string> = {}
  for (const { name } of table.list()) {
    if (roles.getIdentities(name).length === 0) made[name] = (await roles.generateRoleKey(name)).recipient
  }
  const state: AuthorityDirState = { authority: id, workFactor, directory: { generation: 0 }, grants: {} }
  await writeFileAtomic(join(init.dir, AUTHORITY_LAYOUT.state), `${JSON.stringify(state, null, 2)}\n`, 0o600)
  print(init, { authority: id, dir: init.dir, roles: made }, `authority ${id}\n` +
    `key and ${Object.keys(made).length} role key pairs (generation 1) in ${init.dir}, encrypted with the passphrase\n` +
    `configure every node with: --authority ${id}\n`)
  return EXIT.OK
}

async function publishDirectory (init: AuthorityCommandInit, o: Opened): Promise<{ generation: number, data: any }> {
  const generation = o.state.directory.generation + 1
  const roles: Record<string, { recipient: string, generation: number }> = {}
  for (const role of o.roles.listRoles()) roles[role] = { recipient: o.roles.getRecipient(role)!, generation: o.roles.getIdentities(role).length }
  const record = await signDirectory(o.authority.privateKey, { generation, roles })
  const data = await post(init, record)
  o.state.directory.generation = generation
  await o.save()
  return { generation, data }
}

/** `authority roles publish`: signs the directory of DIR's current recipients, generation + 1, and posts it. */
export async function authorityPublish (init: AuthorityCommandInit): Promise<number> {
  const o = await open(init)
  const { generation, data } = await publishDirectory(init, o)
  print(init, { generation, ...data }, `published the role directory generation ${generation} (${o.roles.listRoles().length} roles) at ${data.key}\n`)
  return EXIT.OK
}

function checkPeer (peer: string | undefined): string {
  if (peer == null || !isPeerIdString(peer)) throw new UsageError(`--peer must be a peer id (12D3KooW…), got ${peer}`)
  return peer
}

function checkRole (o: Opened, role: string | undefined): string {
  if (role == null || o.roles.getIdentities(role).length === 0) throw new UsageError(`--role must be a role of the authority's table (${o.roles.listRoles().join(', ')}), got ${role}`)
  return role
}

async function grantTo (init: AuthorityCommandInit, o: Opened, peer: string, role: string, to: string): Promise<{ sequence: number, data: any }> {
  const held = o.state.grants[peer]?.[role]
  const sequence = (held?.sequence ?? 0) + 1
  const identities = await encryptGrantIdentities([...o.roles.getIdentities(role)].reverse(), to)
  const record = await signGrant(o.authority.privateKey, { peer, role, sequence, to, identities })
  const data = await post(init, record)
  o.state.grants[peer] ??= {}
  o.state.grants[peer][role] = { sequence, to, active: true }
  await o.save()
  return { sequence, data }
}

/** `authority grant`: every generation of the role's identities, encrypted to the node's recipient. */
export async function authorityGrant (init: AuthorityCommandInit, args: { peer?: string, to?: string, role?: string }): Promise<number> {
  const o = await open(init)
  const peer = checkPeer(args.peer)
  const role = checkRole(o, args.role)
  if (args.to == null || !isX25519Recipient(args.to)) throw new UsageError(`--to must be the node's age recipient (age1…, node_recipient of chorus-dht status), got ${args.to}`)
  const { sequence, data } = await grantTo(init, o, peer, role, args.to)
  print(init, { peer, role, sequence, ...data }, `granted ${role} to ${peer} (sequence ${sequence}, ${o.roles.getIdentities(role).length} generation(s))\n`)
  return EXIT.OK
}

/** `authority ungrant`: a withdrawn grant (`identities: null`), sequence + 1. */
export async function authorityUngrant (init: AuthorityCommandInit, args: { peer?: string, role?: string }): Promise<number> {
  const o = await open(init)
  const peer = checkPeer(args.peer)
  const role = checkRole(o, args.role)
  const held = o.state.grants[peer]?.[role]
  const sequence = (held?.sequence ?? 0) + 1
  const record = await signGrant(o.authority.privateKey, { peer, role, sequence, to: held?.to ?? o.roles.getRecipient(role)!, identities: null })
  const data = await post(init, record)
  o.state.grants[peer] ??= {}
  o.state.grants[peer][role] = { sequence, to: held?.to ?? record.record.to, active: false }
  await o.save()
  print(init, { peer, role, sequence, ...data }, `withdrew the grant of ${role} to ${peer} (sequence ${sequence}); it keeps the identities it holds: rotate ${role} to protect new content\n`)
  return EXIT.OK
}

/** `authority rotate`: a new generation for the role, the directory republished, re-grants to the remaining holders. */
export async function authorityRotate (init: AuthorityCommandInit, args: { role?: string }): Promise<number> {
  const o = await open(init)
  const role = checkRole(o, args.role)
  const info = await o.roles.rotateRoleKey(role)
  const { generation } = await publishDirectory(init, o)
  const regranted: string[] = []
  for (const [peer, grants] of Object.entries(o.state.grants)) {
    const g = grants[role]
    if (g?.active !== true) continue
    await grantTo(init, o, peer, role, g.to)
    regranted.push(peer)
  }
  print(init, { role, roleGeneration: info.generation, recipient: info.recipient, directoryGeneration: generation, regranted },
    `rotated ${role} to generation ${info.generation} (${info.recipient}); directory generation ${generation}; re-granted to ${regranted.length} holder(s)${regranted.length > 0 ? `: ${regranted.join(', ')}` : ''}\n`)
  return EXIT.OK
}
