import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ApiClient, encodeAddress, listAll } from '../client.js'
import { EXIT, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_DATA_DIR } from '../constants.js'
import { dataDirLayout, readRuntimeInfo } from '../data-dir.js'
import { UsageError } from '../errors.js'
import { checkEnvNames } from '../config/env.js'
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
    summary: 'Lists the role table of a running node (after its roles file), with the roles it holds keys for (GET /roles).',
    example: 'chorus-dht roles --api http://127.0.0.1:8080',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      return await getAndPrint(values, positionals, io, 'roles', '/roles', data => data.roles.map((r: any) =>
        `${r.name}\t${r.authority}\tcanDecrypt=${field(r, 'canDecrypt').join(',')}${r.held === true ? '\t(key held)' : ''}\n`))
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
