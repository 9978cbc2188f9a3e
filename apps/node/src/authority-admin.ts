import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  encryptGrantIdentities, exportAuthorityKey, generateAuthority, importAuthorityKey,
  isPeerIdString, isRoleName, isX25519Recipient, signCertificate, signDirectory, signGrant, signRevocations
} from '@chorus-dht/authority'
import { createKeyStore, createRoleRegistry, loadRolesFile } from '@chorus-dht/crypto-age'
import { EXIT } from './constants.js'
import { writeFileAtomic } from './data-dir.js'
import { UsageError } from './errors.js'
import { componentLogger, createLogger } from './logger.js'
import type { ApiClient } from './client.js'
import type { CliIO } from './cli/io.js'
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
  /** Role certificates issued, by peer: the last one's sequence, roles and expiry (ms). */
  certificates?: Record<string, { sequence: number, roles: string[], expiresAt: number }>
  /** The revocation list signed last: its generation and entries (`at` in ms). */
  revocations?: { generation: number, revoked: Array<{ peer: string, at: number }> }
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

/**
 * A point in time: an ISO date (`2027-01-31`, `2027-01-31T12:00:00Z`), ms
 * since the epoch, or, when `relative`, a duration from now (`30d`, `12h`,
 * `90m`, `1h30m`, `45s`).
 */
export function parseTime (value: string, flag: string, relative: boolean, now = Date.now()): number {
  const text = value.trim()
  if (/^\d{10,}$/.test(text)) return Number(text)
  if (relative && /^(\d+(d|h|m|s))+$/.test(text)) {
    let total = 0
    for (const m of text.matchAll(/(\d+)(d|h|m|s)/g)) total += Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's']
    return now + total
  }
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw new UsageError(`${flag} must be a date (2027-01-31, ISO 8601) or ms since the epoch${relative ? ', or a duration from now (30d, 12h, 90m)' : ''}, got ${value}`)
  return t
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

/** `authority issue`: a role certificate for a peer (sequence + 1), posted and/or written to a file. */
export async function authorityIssue (init: AuthorityCommandInit, args: { peer?: string, roles?: string[], expires?: string, out?: string, post: boolean }): Promise<number> {
  const peer = checkPeer(args.peer)
  const roles = [...new Set(args.roles ?? [])]
  if (roles.length === 0) throw new UsageError('--role ROLE is required (repeat it for several roles)')
  for (const role of roles) if (!isRoleName(role)) throw new UsageError(`--role must be a role name (A-Z a-z 0-9 _ -), got ${role}`)
  if (args.expires == null) throw new UsageError('--expires DATE|DURATION is required (e.g. 30d or 2027-01-31)')
  const issuedAt = Date.now()
  const expiresAt = parseTime(args.expires, '--expires', true, issuedAt)
  if (expiresAt <= issuedAt) throw new UsageError(`--expires must be in the future, got ${new Date(expiresAt).toISOString()}`)
  if (!args.post && args.out == null) throw new UsageError('--api URL (post the certificate) or --out FILE (write it), or both')
  const o = await open(init)
  const unknown = roles.filter(r => o.roles.getIdentities(r).length === 0)
  if (unknown.length > 0) throw new UsageError(`--role must be roles of the authority's table (${o.roles.listRoles().join(', ')}), got ${unknown.join(', ')}`)
  const revoked = o.state.revocations?.revoked.find(r => r.peer === peer)
  if (revoked != null) throw new UsageError(`${peer} was revoked at ${new Date(revoked.at).toISOString()}: every peer refuses its records from then on, whatever its certificate`)
  o.state.certificates ??= {}
  const sequence = (o.state.certificates[peer]?.sequence ?? 0) + 1
  const record = await signCertificate(o.authority.privateKey, { peer, roles, sequence, issuedAt, expiresAt })
  // the sequence is used once posted or written: save before either
  o.state.certificates[peer] = { sequence, roles: record.record.roles, expiresAt }
  await o.save()
  if (args.out != null) await writeFileAtomic(args.out, record.value, 0o644)
  const data = args.post ? await post(init, record) : undefined
  print(init, { peer, roles: record.record.roles, sequence, expiresAt: new Date(expiresAt).toISOString(), key: record.key, ...(args.out != null ? { out: args.out } : {}), ...data },
    `issued a certificate to ${peer}: ${record.record.roles.join(', ')} until ${new Date(expiresAt).toISOString()} (sequence ${sequence})` +
    `${data != null ? `, posted at ${record.key}` : ''}${args.out != null ? `, written to ${args.out}` : ''}\n`)
  return EXIT.OK
}

/** `authority revoke`: the peer added to the revocation list (generation + 1), posted. */
export async function authorityRevoke (init: AuthorityCommandInit, args: { peer?: string, at?: string }): Promise<number> {
  const peer = checkPeer(args.peer)
  const at = args.at != null ? parseTime(args.at, '--at', false) : Date.now()
  const o = await open(init)
  const list = o.state.revocations ?? { generation: 0, revoked: [] }
  const held = list.revoked.find(r => r.peer === peer)
  // a revocation only moves earlier: a later --at would re-open a window
  const revoked = held != null
    ? list.revoked.map(r => r.peer === peer ? { peer, at: Math.min(r.at, at) } : r)
    : [...list.revoked, { peer, at }]
  const generation = list.generation + 1
  const record = await signRevocations(o.authority.privateKey, { generation, revoked })
  const data = await post(init, record)
  o.state.revocations = { generation, revoked: record.record.revoked }
  await o.save()
  const effective = revoked.find(r => r.peer === peer)!.at
  print(init, { peer, at: new Date(effective).toISOString(), generation, revoked: record.record.revoked.length, ...data },
    `revoked ${peer} from ${new Date(effective).toISOString()} (revocation list generation ${generation}, ${record.record.revoked.length} peer(s)); ` +
    'its records made before then stay valid; withdraw its grants (ungrant) and rotate their roles to keep it from reading new content\n')
  return EXIT.OK
}
