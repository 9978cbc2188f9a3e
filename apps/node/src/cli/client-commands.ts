import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseLenient } from '@chorus-dht/ucxl'
import { ApiClient, encodeAddress, listAll } from '../client.js'
import { EXIT, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_DATA_DIR } from '../constants.js'
import { dataDirLayout, readRuntimeInfo } from '../data-dir.js'
import { UsageError } from '../errors.js'
import { checkEnvNames } from '../config/env.js'
import { ROLE_NAME_PATTERN } from '../http/schemas.js'
import { CLIENT_OPTIONS, ROLE_OPTION, checkInt, checkRole, checkTime } from './options.js'
import type { CliIO } from './io.js'
import type { CommandSpec } from './options.js'

/** The API client of a client command: --api, else CHORUS_API_URL, else the node running on --data-dir, else the default. */
export async function clientFor (values: Record<string, any>, io: CliIO): Promise<ApiClient> {
  // a misspelt CHORUS_* variable is an error here too, as for the node commands
  checkEnvNames(io.env)
  let api: string | undefined = values.api ?? (io.env.CHORUS_API_URL !== '' ? io.env.CHORUS_API_URL : undefined)
  if (api == null) {
    const dataDir = resolve(io.cwd, values['data-dir'] ?? (io.env.CHORUS_DATA_DIR !== '' ? io.env.CHORUS_DATA_DIR : undefined) ?? DEFAULT_DATA_DIR)
    api = (await readRuntimeInfo(dataDirLayout(dataDir)))?.api
  }
  api ??= `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`
  if (!/^https?:\/\//.test(api)) throw new UsageError(`--api must be an http(s) URL, got ${api}`)
  const token: string | undefined = values.token ?? (io.env.CHORUS_API_TOKEN !== '' ? io.env.CHORUS_API_TOKEN : undefined)
  return new ApiClient({ api, token })
}

function roleHeaders (values: Record<string, any>): Record<string, string> {
  return values.role != null ? { 'x-chorus-role': values.role } : {}
}

function oneAddress (positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one address: chorus-dht ${usage}`)
  return positionals[0]
}

function json (value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** A field of an API answer: snake_case (the API's convention), else the camelCase older nodes sent. */
function field (m: Record<string, any>, camel: string): any {
  return m[camel.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)] ?? m[camel]
}

const CURSOR_OPTION = { type: 'string', arg: 'CURSOR', help: 'the next page: the cursor the previous page named (next_cursor)' } as const
const ALL_OPTION = { type: 'boolean', help: 'follow every page (next_cursor) and print them all; --limit is then the page size' } as const

/**
 * One page of a list endpoint (`field` names the list in `data`), or with
 * `--all` every page: `{ items, total, next_cursor }` either way, so the
 * printing is the same.
 */
async function listPage (client: ApiClient, path: string, field: string, values: Record<string, any>): Promise<{ items: any[], total: number, next_cursor: string | null, body?: unknown }> {
  if (values.cursor != null && values.all === true) throw new UsageError('--all must not be given with --cursor: it reads every page from the first')
  if (values.all === true) {
    const all = await listAll(client, path, field, { headers: roleHeaders(values) })
    return { items: all.items, total: all.total, next_cursor: null }
  }
  const answer = await client.request('GET', path, { headers: roleHeaders(values) })
  const data = answer.body.response.data
  return { items: data[field], total: data.total, next_cursor: data.next_cursor, body: answer.body }
}

/** Tells where the next page starts, on stderr so stdout stays the list. */
function nextPage (data: { total: number, next_cursor: string | null }, io: CliIO): void {
  if (data.next_cursor != null) io.stderr(`${data.total ?? 'more'} in all; next page: --cursor ${data.next_cursor}\n`)
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

/** A UCXL address as the node parses it: a malformed one is a usage error before the node is asked. */
function checkAddress (address: string): string {
  try {
    parseLenient(address)
  } catch (err: any) {
    throw new UsageError(`invalid address: ${err.message}`)
  }
  return address
}

/** One DHT key of a replication answer, with its providers indented below it. */
function keyLine (k: any): string {
  const s = k.status
  const cells = [
    k.kind === 'head' ? 'head' : `v${k.version}`,
    s?.health ?? 'untracked',
    s != null ? `${s.actual_replicas}/${s.target_replicas} replicas` : '-',
    s != null && s.last_checked > 0 ? `checked ${iso(s.last_checked)}` : 'never checked',
    k.key
  ]
  if (k.error != null) cells.push(`error: ${k.error}`)
  const providers = (k.providers as any[]).map(p => `  ${p.peer_id}\tquality ${Number(p.quality).toFixed(2)}\tlast seen ${p.last_seen > 0 ? iso(p.last_seen) : 'never'}\tdistance ${p.distance}\n`)
  return `${cells.join('\t')}\n${providers.join('')}`
}

/** The commands that talk to a running node's HTTP API. */
export const CLIENT_COMMANDS: CommandSpec[] = [
  {
    name: 'put',
    summary: 'Stores content at a UCXL address through a running node (PUT /ucxl/<address>). The content is the CONTENT argument, the file of --file, or standard input.',
    args: ['<address>', '[content]'],
    example: "chorus-dht put 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api' 'use gRPC' --role backend_developer",
    options: {
      file: { type: 'string', short: 'f', arg: 'FILE', help: 'read the content from FILE' },
      type: { type: 'string', short: 't', arg: 'TYPE', help: 'content type (default text/plain for CONTENT, else application/octet-stream)' },
      role: ROLE_OPTION,
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      if (positionals.length < 1 || positionals.length > 2) throw new UsageError('expected: chorus-dht put <address> [CONTENT]')
      const [address, text] = positionals
      if (text != null && values.file != null) throw new UsageError('give either CONTENT or --file, not both')
      let body: Uint8Array | undefined
      let type: string = values.type ?? 'application/octet-stream'
      if (text != null) {
        body = new TextEncoder().encode(text)
        type = values.type ?? 'text/plain'
      } else if (values.file != null) {
        body = new Uint8Array(await readFile(resolve(io.cwd, values.file)))
      } else {
        body = await io.stdin()
        if (body == null) throw new UsageError('no content: give CONTENT, --file or pipe it on standard input')
      }
      const client = await clientFor(values, io)
      const answer = await client.request('PUT', `/ucxl/${encodeAddress(address)}`, { body, headers: { 'content-type': type, ...roleHeaders(values) } })
      const m = answer.body.response.data
      io.stdout(values.json === true ? json(answer.body) : `stored ${m.address} version ${m.version} (${m.size} bytes, for ${field(m, 'encryptedFor').join(', ')})\n`)
      return EXIT.OK
    }
  },
  {
    name: 'get',
    summary: 'Reads the content at a UCXL address through a running node (GET /ucxl/<address>) and writes it to standard output.',
    args: ['<address>'],
    example: "chorus-dht get 'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api' --role qa_engineer",
    options: {
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the content to FILE instead' },
      role: ROLE_OPTION,
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      const address = oneAddress(positionals, 'get <address>')
      const client = await clientFor(values, io)
      const answer = await client.request('GET', `/ucxl/${encodeAddress(address)}`, { headers: roleHeaders(values) })
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      const content = Buffer.from(answer.body.response.data.content, 'base64')
      if (values.out != null) {
        await writeFile(resolve(io.cwd, values.out), content)
      } else {
        io.stdout(content)
      }
      return EXIT.OK
    }
  },
  {
    name: 'history',
    summary: 'Lists every version of a UCXL address, oldest first (GET /ucxl/<address>/history).',
    args: ['<address>'],
    example: "chorus-dht history 'ucxl://agent1:admin@proj:task1/*^/decisions/api'",
    options: {
      limit: { type: 'string', arg: 'N', check: checkInt(1), help: 'at most N versions' },
      cursor: CURSOR_OPTION,
      all: ALL_OPTION,
      role: ROLE_OPTION,
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      const address = oneAddress(positionals, 'history <address>')
      const client = await clientFor(values, io)
      const q = new URLSearchParams()
      for (const k of ['limit', 'cursor']) if (values[k] != null) q.set(k, values[k])
      const page = await listPage(client, `/ucxl/${encodeAddress(address)}/history${q.size > 0 ? `?${q}` : ''}`, 'versions', values)
      if (values.json === true) {
        io.stdout(json(page.body ?? { versions: page.items, total: page.total }))
        return EXIT.OK
      }
      for (const v of page.items) {
        io.stdout(`v${v.version}\t${iso(v.timestamp)}\t${field(v, 'creatorRole')}\t${field(v, 'contentType')}\t${v.size} B\t${v.hash}\n`)
      }
      nextPage(page, io)
      return EXIT.OK
    }
  },
  {
    name: 'search',
    summary: 'Searches the node\'s content index, newest first (GET /search).',
    example: 'chorus-dht search --project proj --creator-role backend_developer --limit 10',
    options: {
      agent: { type: 'string', arg: 'AGENT', help: 'address agent' },
      'creator-role': { type: 'string', arg: 'ROLE', check: checkRole, help: 'the role that stored the content' },
      'address-role': { type: 'string', arg: 'ROLE', check: checkRole, help: 'the role component of the address' },
      project: { type: 'string', arg: 'PROJECT', help: 'address project' },
      task: { type: 'string', arg: 'TASK', help: 'address task' },
      'content-type': { type: 'string', arg: 'TYPE', help: 'content type' },
      after: { type: 'string', arg: 'TIME', check: checkTime, help: 'created at or after (ms since the epoch or ISO date)' },
      before: { type: 'string', arg: 'TIME', check: checkTime, help: 'created at or before (ms since the epoch or ISO date)' },
      limit: { type: 'string', arg: 'N', check: checkInt(1), help: 'at most N results (default 100)' },
      cursor: CURSOR_OPTION,
      all: ALL_OPTION,
      role: ROLE_OPTION,
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError('search takes filters as options, not arguments')
      const q = new URLSearchParams()
      const map: Array<[string, string]> = [['agent', 'agent'], ['creator-role', 'creator_role'], ['address-role', 'address_role'], ['project', 'project'], ['task', 'task'], ['content-type', 'content_type'], ['after', 'created_after'], ['before', 'created_before'], ['limit', 'limit'], ['cursor', 'cursor']]
      for (const [opt, param] of map) if (values[opt] != null) q.set(param, values[opt])
      const client = await clientFor(values, io)
      const page = await listPage(client, `/search${q.size > 0 ? `?${q}` : ''}`, 'results', values)
      if (values.json === true) {
        io.stdout(json(page.body ?? { results: page.items, total: page.total }))
        return EXIT.OK
      }
      for (const m of page.items) {
        io.stdout(`${m.address}\tv${m.version}\t${field(m, 'creatorRole')}\t${field(m, 'contentType')}\t${iso(m.timestamp)}\n`)
      }
      nextPage(page, io)
      return EXIT.OK
    }
  },
  {
    name: 'status',
    summary: 'Shows a running node\'s status: peer id, addresses, active DHT backend, peers, storage and replication (GET /status).',
    example: 'chorus-dht status --api http://127.0.0.1:8080   # node_recipient is what authority grant --to needs',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      return await getAndPrint(values, positionals, io, 'status', '/status', data => [json(data)])
    }
  },
  {
    name: 'peers',
    summary: 'Lists the peers a running node is connected to (GET /peers).',
    example: 'chorus-dht peers --api http://127.0.0.1:8080',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      return await getAndPrint(values, positionals, io, 'peers', '/peers', data => data.peers.map((p: any) => `${p.id}\t${p.multiaddrs.join(' ')}\n`))
    }
  },
  {
    name: 'roles',
    summary: 'Lists the role table of a running node (after its roles file), with the roles it holds keys for (GET /roles). roles peers <role>: the peers that announced the role, with their agent, capabilities and when they were last heard from (GET /roles/<role>/peers).',
    args: ['[action]', '[role]'],
    choices: ['peers'],
    usage: '[options] [peers <role>]',
    example: 'chorus-dht roles --api http://127.0.0.1:8080\nchorus-dht roles peers backend_developer --limit 10 --api http://127.0.0.1:8080',
    options: {
      limit: { type: 'string', arg: 'N', check: checkInt(1, 100), help: 'roles peers: at most N peers (1-100)' },
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      const [action, role] = positionals
      if (action == null) {
        if (values.limit != null) throw new UsageError('--limit is an option of roles peers <role>')
        return await getAndPrint(values, [], io, 'roles', '/roles', data => data.roles.map((r: any) =>
          `${r.name}\t${r.authority}\tcanDecrypt=${field(r, 'canDecrypt').join(',')}${r.held === true ? '\t(key held)' : ''}\n`))
      }
      if (role == null) throw new UsageError('expected one role: chorus-dht roles peers <role>')
      // the API's own pattern: a name it would refuse is refused here
      if (!new RegExp(ROLE_NAME_PATTERN).test(role)) throw new UsageError(`invalid role "${role}": a role name is 1-64 of A-Z a-z 0-9 _ -`)
      const client = await clientFor(values, io)
      const answer = await client.request('GET', `/roles/${encodeURIComponent(role)}/peers${values.limit != null ? `?limit=${values.limit}` : ''}`)
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      const peers: any[] = answer.body.response.data.peers
      for (const p of peers) {
        io.stdout(`${p.id}\t${p.role ?? '-'}\t${p.agent ?? '-'}\tcapabilities=${(p.capabilities ?? []).join(',')}\tlast seen ${p.last_seen > 0 ? iso(p.last_seen) : 'never'}\t${p.multiaddrs.join(' ')}\n`)
      }
      // on stderr, so stdout stays the list
      if (peers.length === 0) io.stderr(`no peer has announced role ${role}\n`)
      return EXIT.OK
    }
  },
  {
    name: 'replication',
    summary: 'Shows the replication of every DHT key of a UCXL address (its head and each version): health, replicas, last check and providers (GET /replication/<address>). replication repair <address>: one repair attempt per tracked key, or with --check a measurement only (POST /replication/<address>/repair); exits 1 when a key failed.',
    args: ['<address>', '[repair-address]'],
    usage: '[options] [repair] <address>',
    example: [
      "chorus-dht replication 'ucxl://agent1:admin@proj:task1/*^/decisions/api' --providers 5",
      "chorus-dht replication repair 'ucxl://agent1:admin@proj:task1/*^/decisions/api' --check   # measure the replicas now, change nothing",
      "chorus-dht replication repair 'ucxl://agent1:admin@proj:task1/*^/decisions/api' --json"
    ].join('\n'),
    options: {
      providers: { type: 'string', arg: 'N', check: checkInt(0, 100), help: 'providers shown per key (0-100, default 20; not with repair)' },
      check: { type: 'boolean', help: 'repair: measure the replicas now instead of repairing (action=check)' },
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      const repair = positionals[0] === 'repair'
      if (positionals.length !== (repair ? 2 : 1)) throw new UsageError(`expected one address: chorus-dht replication ${repair ? 'repair ' : ''}<address>`)
      const address = checkAddress(positionals[repair ? 1 : 0])
      if (!repair && values.check === true) throw new UsageError('--check is an option of replication repair <address>')
      if (repair && values.providers != null) throw new UsageError('--providers is an option of replication <address>, not of repair')
      const client = await clientFor(values, io)
      const path = `/replication/${encodeAddress(address)}`
      const answer = repair
        ? await client.request('POST', `${path}/repair${values.check === true ? '?action=check' : ''}`)
        : await client.request('GET', `${path}${values.providers != null ? `?providers=${values.providers}` : ''}`)
      const data = answer.body.response.data
      const failed = (data.keys as any[]).filter(k => k.error != null)
      if (values.json === true) {
        io.stdout(json(answer.body))
      } else {
        io.stdout(`${answer.body.response.message}\n`)
        for (const k of data.keys) io.stdout(keyLine(k))
      }
      if (failed.length === 0) return EXIT.OK
      io.stderr(`chorus-dht replication: ${failed.length} of ${data.keys.length} key(s) failed (see error)\n`)
      return EXIT.FAILURE
    }
  },
  {
    name: 'backend',
    summary: 'Shows the hybrid DHT\'s backend of a running node: the one serving, the settings, pending journaled writes and each backend\'s health (GET /dht/backend). backend real|mock switches it (PUT /dht/backend): mock stays until switched back; real replays the journaled writes first.',
    args: ['[backend]'],
    choices: ['real', 'mock'],
    usage: '[options] [real|mock]',
    example: 'chorus-dht backend --api http://127.0.0.1:8080\nchorus-dht backend mock --api http://127.0.0.1:8080   # serve from the in-memory DHT, journal the writes\nchorus-dht backend real --api http://127.0.0.1:8080   # back to the network, replaying the journal',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      const [kind] = positionals
      const client = await clientFor(values, io)
      const answer = kind == null
        ? await client.request('GET', '/dht/backend')
        : await client.request('PUT', '/dht/backend', { body: JSON.stringify({ backend: kind }), headers: { 'content-type': 'application/json' } })
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      const b = answer.body.response.data
      io.stdout(`active backend: ${b.active_backend} (use_real_dht ${b.use_real_dht}, fallback_on_error ${b.fallback_on_error}, ${b.pending_writes} pending write(s))\n`)
      for (const name of ['real', 'mock']) {
        const h = b.backends[name]
        io.stdout(`${name}\t${h.status}\tlatency ${h.latency} ms\t${h.consecutive_failures} consecutive failure(s)\t${h.error_count} error(s)\t${h.last_check > 0 ? `last check ${iso(h.last_check)}` : 'never checked'}\n`)
      }
      return EXIT.OK
    }
  }
]

/**
 * A command without arguments that GETs `path` and prints the whole answer
 * (`--json`) or one line per item of its data.
 */
async function getAndPrint (values: Record<string, any>, positionals: string[], io: CliIO, name: string, path: string, lines: (data: any) => string[]): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`${name} takes no arguments`)
  const client = await clientFor(values, io)
  const answer = await client.request('GET', path)
  if (values.json === true) {
    io.stdout(json(answer.body))
    return EXIT.OK
  }
  for (const line of lines(answer.body.response.data)) io.stdout(line)
  return EXIT.OK
}
