import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiClient, encodeAddress } from './client.js'
import { loadConfig } from './config.js'
import type { FlagConfig } from './config.js'
import { EXIT, DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_DATA_DIR } from './constants.js'
import { dataDirLayout, readRuntimeInfo } from './data-dir.js'
import { ApiError, ConfigError, UsageError } from './errors.js'

/** Where a command writes. Injectable for tests. */
export interface CliIO {
  stdout: (text: string | Uint8Array) => void
  stderr: (text: string) => void
  /** Reads all of stdin, or `undefined` when stdin is a terminal. */
  stdin: () => Promise<Uint8Array | undefined>
  env: NodeJS.ProcessEnv
  cwd: string
}

type OptionSpec = { type: 'string' | 'boolean', multiple?: boolean, short?: string, help: string, arg?: string }

interface Command {
  name: string
  summary: string
  usage: string
  /** Shown under `Example:` in the command's help. */
  example?: string
  options: Record<string, OptionSpec>
  run(values: Record<string, any>, positionals: string[], io: CliIO): Promise<number>
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' }

const CLIENT_OPTIONS: Record<string, OptionSpec> = {
  api: { type: 'string', arg: 'URL', help: 'node API URL (default: CHORUS_API_URL, else the running node of --data-dir, else http://127.0.0.1:8080)' },
  token: { type: 'string', arg: 'TOKEN', help: 'bearer token (default: CHORUS_API_TOKEN)' },
  'data-dir': { type: 'string', arg: 'DIR', help: 'data directory of the node to talk to (default: CHORUS_DATA_DIR or ./.chorus-dht)' },
  json: { type: 'boolean', help: 'print the JSON answer' },
  help: HELP
}

const ROLE_OPTION: OptionSpec = { type: 'string', arg: 'ROLE', help: 'role of the request (X-Chorus-Role; default: the node\'s role)' }

const NODE_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'configuration file, YAML or JSON (CHORUS_CONFIG)' },
  'data-dir': { type: 'string', arg: 'DIR', help: 'data directory (CHORUS_DATA_DIR; default ./.chorus-dht)' },
  role: { type: 'string', arg: 'ROLE', help: 'default role of requests (CHORUS_ROLE; default admin)' },
  'roles-file': { type: 'string', arg: 'FILE', help: 'roles file adding or overriding roles, reloaded on SIGHUP (CHORUS_ROLES_FILE)' },
  'keys-dir': { type: 'string', arg: 'DIR', help: 'role keystore (CHORUS_KEYS_DIR; default <data-dir>/keys)' },
  agent: { type: 'string', arg: 'NAME', help: 'agent name announced to peers (CHORUS_AGENT; default chorus-node)' },
  assignment: { type: 'string', arg: 'FILE', help: 'assignment file with a bootstrap list, reloaded on SIGHUP (CHORUS_ASSIGNMENT_FILE)' },
  authority: { type: 'string', arg: 'ID', help: 'the network\'s authority id, 12D3KooW… (CHORUS_AUTHORITY; default none: no authority)' },
  certificate: { type: 'string', arg: 'FILE', help: 'this node\'s role certificate, as authority issue --out writes it, read at start and on SIGHUP (CHORUS_CERTIFICATE_FILE)' },
  'api-host': { type: 'string', arg: 'HOST', help: 'HTTP API bind address (CHORUS_API_HOST; default 127.0.0.1)' },
  'api-port': { type: 'string', arg: 'PORT', help: 'HTTP API port, 0 for any free port (CHORUS_API_PORT; default 8080)' },
  'api-token': { type: 'string', arg: 'TOKEN', help: 'bearer token of the API, required off loopback (CHORUS_API_TOKEN)' },
  listen: { type: 'string', multiple: true, arg: 'MULTIADDR', help: 'libp2p listen address, repeatable (CHORUS_LISTEN; default /ip4/0.0.0.0/tcp/9000)' },
  bootstrap: { type: 'string', multiple: true, arg: 'MULTIADDR', help: 'bootstrap peer /…/p2p/<id>, repeatable; highest priority (CHORUS_DHT_BOOTSTRAP_NODES is the lowest)' },
  mock: { type: 'boolean', help: 'run on the in-memory DHT only (CHORUS_USE_REAL_DHT=false)' },
  'log-level': { type: 'string', arg: 'LEVEL', help: 'fatal|error|warn|info|debug|trace|silent (CHORUS_LOG_LEVEL; default info)' },
  help: HELP
}

const KEY_OPTIONS: Record<string, OptionSpec> = {
  config: NODE_OPTIONS.config,
  'data-dir': NODE_OPTIONS['data-dir'],
  'keys-dir': NODE_OPTIONS['keys-dir'],
  'roles-file': NODE_OPTIONS['roles-file'],
  role: { type: 'string', arg: 'ROLE', help: 'export: the role whose identities are written; import: the role (default: the file\'s # role: line)' },
  to: { type: 'string', arg: 'RECIPIENT', help: 'export: the age recipient (age1…) the file is encrypted to' },
  out: { type: 'string', short: 'o', arg: 'FILE', help: 'export: write to FILE (mode 0600) instead of standard output' },
  json: { type: 'boolean', help: 'print JSON' },
  help: HELP
}

const AUTHORITY_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', arg: 'DIR', help: 'the authority directory (key, role key pairs, state)' },
  'passphrase-file': { type: 'string', arg: 'FILE', help: 'file holding the passphrase of the authority directory (else CHORUS_AUTHORITY_PASSPHRASE)' },
  peer: { type: 'string', arg: 'ID', help: 'grant, ungrant, issue, revoke: the node\'s peer id' },
  to: { type: 'string', arg: 'RECIPIENT', help: 'grant: the node\'s own age recipient (node_recipient of chorus-dht status)' },
  role: { type: 'string', multiple: true, arg: 'ROLE', help: 'grant, ungrant, rotate: the role; issue: a role the certificate names, repeatable' },
  expires: { type: 'string', arg: 'WHEN', help: 'issue: when the certificate expires, a date (2027-01-31, ISO 8601) or a duration from now (30d, 12h)' },
  at: { type: 'string', arg: 'DATE', help: 'revoke: from when the peer\'s records are refused (ISO 8601; default now)' },
  out: { type: 'string', short: 'o', arg: 'FILE', help: 'issue: also write the certificate to FILE, for chorus-dht start --certificate' },
  'roles-file': { type: 'string', arg: 'FILE', help: 'init: roles file adding or overriding roles of the table' },
  'work-factor': { type: 'string', arg: 'N', help: 'init: scrypt work factor (log2 N, 10-20) of the key files (default 18)' },
  api: CLIENT_OPTIONS.api,
  token: CLIENT_OPTIONS.token,
  json: { type: 'boolean', help: 'print JSON' },
  help: HELP
}

function optionHelp (options: Record<string, OptionSpec>): string {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short != null ? `-${o.short}, ` : '    '}--${name}${o.arg != null ? ` <${o.arg}>` : ''}`
    return `  ${flag.padEnd(34)} ${o.help}`
  }).join('\n')
}

function commandHelp (c: Command): string {
  return `Usage: chorus-dht ${c.usage}\n\n${c.summary}\n\nOptions:\n${optionHelp(c.options)}\n${c.example != null ? `\nExample:\n${c.example.split('\n').map(l => `  ${l}`).join('\n')}\n` : ''}`
}

async function clientFor (values: Record<string, any>, io: CliIO): Promise<ApiClient> {
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

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

function nodeFlags (values: Record<string, any>): FlagConfig {
  return {
    config: values.config,
    dataDir: values['data-dir'],
    role: values.role,
    rolesFile: values['roles-file'],
    keysDir: values['keys-dir'],
    agent: values.agent,
    assignmentFile: values.assignment,
    authority: values.authority,
    certificateFile: values.certificate,
    apiHost: values['api-host'],
    apiPort: values['api-port'],
    apiToken: values['api-token'],
    listen: values.listen,
    bootstrap: values.bootstrap,
    mock: values.mock,
    logLevel: values['log-level']
  }
}

const COMMANDS: Command[] = [
  {
    name: 'start',
    summary: 'Starts a node: opens the data directory, joins the network through the bootstrap peers and serves the HTTP API until SIGINT or SIGTERM. SIGHUP reloads the roles file and the bootstrap list. Prints the peer id, the multiaddrs and the API URL.',
    usage: 'start [options]',
    example: 'chorus-dht start --data-dir ./.chorus-dht --api-port 8080 --authority 12D3KooW… --bootstrap /ip4/10.0.0.5/tcp/9000/p2p/12D3KooW…',
    options: NODE_OPTIONS,
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError(`start takes no arguments, got ${positionals.join(' ')}`)
      const config = await loadConfig({ flags: nodeFlags(values), env: io.env, cwd: io.cwd })
      const { runNode } = await import('./run.js')
      return runNode(config, io)
    }
  },
  {
    name: 'put',
    summary: 'Stores content at a UCXL address through a running node (PUT /ucxl/<address>). The content is the CONTENT argument, the file of --file, or standard input.',
    usage: 'put <address> [CONTENT] [options]',
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
      io.stdout(values.json === true ? json(answer.body) : `stored ${m.address} version ${m.version} (${m.size} bytes, for ${m.encryptedFor.join(', ')})\n`)
      return EXIT.OK
    }
  },
  {
    name: 'get',
    summary: 'Reads the content at a UCXL address through a running node (GET /ucxl/<address>) and writes it to standard output.',
    usage: 'get <address> [options]',
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
    usage: 'history <address> [options]',
    example: "chorus-dht history 'ucxl://agent1:admin@proj:task1/*^/decisions/api'",
    options: { role: ROLE_OPTION, ...CLIENT_OPTIONS },
    async run (values, positionals, io) {
      const address = oneAddress(positionals, 'history <address>')
      const client = await clientFor(values, io)
      const answer = await client.request('GET', `/ucxl/${encodeAddress(address)}/history`, { headers: roleHeaders(values) })
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      for (const v of answer.body.response.data.versions) {
        io.stdout(`v${v.version}\t${iso(v.timestamp)}\t${v.creatorRole}\t${v.contentType}\t${v.size} B\t${v.hash}\n`)
      }
      return EXIT.OK
    }
  },
  {
    name: 'search',
    summary: 'Searches the node\'s content index, newest first (GET /search).',
    usage: 'search [filters] [options]',
    example: 'chorus-dht search --project proj --creator-role backend_developer --limit 10',
    options: {
      agent: { type: 'string', arg: 'AGENT', help: 'address agent' },
      'creator-role': { type: 'string', arg: 'ROLE', help: 'creator role' },
      project: { type: 'string', arg: 'PROJECT', help: 'address project' },
      task: { type: 'string', arg: 'TASK', help: 'address task' },
      'content-type': { type: 'string', arg: 'TYPE', help: 'content type' },
      after: { type: 'string', arg: 'TIME', help: 'created at or after (ms since the epoch or ISO date)' },
      before: { type: 'string', arg: 'TIME', help: 'created at or before (ms since the epoch or ISO date)' },
      limit: { type: 'string', arg: 'N', help: 'at most N results (default 100)' },
      role: ROLE_OPTION,
      ...CLIENT_OPTIONS
    },
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError('search takes filters as options, not arguments')
      const q = new URLSearchParams()
      const map: Array<[string, string]> = [['agent', 'agent'], ['creator-role', 'role'], ['project', 'project'], ['task', 'task'], ['content-type', 'content_type'], ['after', 'created_after'], ['before', 'created_before'], ['limit', 'limit']]
      for (const [opt, param] of map) if (values[opt] != null) q.set(param, values[opt])
      const client = await clientFor(values, io)
      const answer = await client.request('GET', `/search${q.size > 0 ? `?${q}` : ''}`, { headers: roleHeaders(values) })
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      for (const m of answer.body.response.data.results) {
        io.stdout(`${m.address}\tv${m.version}\t${m.creatorRole}\t${m.contentType}\t${iso(m.timestamp)}\n`)
      }
      return EXIT.OK
    }
  },
  {
    name: 'status',
    summary: 'Shows a running node\'s status: peer id, addresses, active DHT backend, peers, storage and replication (GET /status).',
    usage: 'status [options]',
    example: 'chorus-dht status --api http://127.0.0.1:8080   # node_recipient is what authority grant --to needs',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError('status takes no arguments')
      const client = await clientFor(values, io)
      const answer = await client.request('GET', '/status')
      io.stdout(json(values.json === true ? answer.body : answer.body.response.data))
      return EXIT.OK
    }
  },
  {
    name: 'peers',
    summary: 'Lists the peers a running node is connected to (GET /peers).',
    usage: 'peers [options]',
    example: 'chorus-dht peers --api http://127.0.0.1:8080',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError('peers takes no arguments')
      const client = await clientFor(values, io)
      const answer = await client.request('GET', '/peers')
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      for (const p of answer.body.response.data.peers) io.stdout(`${p.id}\t${p.multiaddrs.join(' ')}\n`)
      return EXIT.OK
    }
  },
  {
    name: 'roles',
    summary: 'Lists the role table of a running node (after its roles file), with the roles it holds keys for (GET /roles).',
    usage: 'roles [options]',
    example: 'chorus-dht roles --api http://127.0.0.1:8080',
    options: CLIENT_OPTIONS,
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError('roles takes no arguments')
      const client = await clientFor(values, io)
      const answer = await client.request('GET', '/roles')
      if (values.json === true) {
        io.stdout(json(answer.body))
        return EXIT.OK
      }
      for (const r of answer.body.response.data.roles) {
        io.stdout(`${r.name}\t${r.authority}\tcanDecrypt=${r.canDecrypt.join(',')}${r.held === true ? '\t(key held)' : ''}\n`)
      }
      return EXIT.OK
    }
  },
  {
    name: 'keys',
    summary: 'Manages the role keys in the keystore of a data directory: generate <role>, rotate <role>, list, export (an age file of a role\'s identities, for another node), import FILE (opened with this node\'s own age key). Identities are encrypted with CHORUS_KEY_PASSPHRASE when set. generate refuses a role outside the role table or one whose recipient the authority\'s directory publishes. Run while the node is stopped, or send it SIGHUP afterwards.',
    usage: 'keys <generate <role> | rotate <role> | list | export --role ROLE --to RECIPIENT [--out FILE] | import FILE> [options]',
    example: 'chorus-dht keys export --role qa_engineer --to age1… --out qa.age --data-dir ./node-b\nchorus-dht keys import qa.age --data-dir ./node-c && kill -HUP <pid of node c>',
    options: KEY_OPTIONS,
    async run (values, positionals, io) {
      const [action, arg, ...rest] = positionals
      if (rest.length > 0) throw new UsageError('too many arguments')
      if (action === 'list' || action === 'export') {
        if (arg != null) throw new UsageError(`keys ${action} takes no argument${action === 'export' ? ' (the role goes in --role)' : ''}`)
      } else if (action === 'generate' || action === 'rotate') {
        if (arg == null) throw new UsageError(`expected: chorus-dht keys ${action} <role>`)
      } else if (action === 'import') {
        if (arg == null) throw new UsageError('expected: chorus-dht keys import FILE')
      } else {
        throw new UsageError('expected: chorus-dht keys generate <role> | rotate <role> | list | export --role ROLE --to RECIPIENT | import FILE')
      }
      const config = await loadConfig({ flags: { config: values.config, dataDir: values['data-dir'], keysDir: values['keys-dir'], rolesFile: values['roles-file'] }, env: io.env, cwd: io.cwd })
      const { runKeys } = await import('./keys.js')
      return runKeys(config, action, action === 'import' ? undefined : arg, values.json === true, io, { role: values.role, to: values.to, out: values.out, file: action === 'import' ? arg : undefined })
    }
  },
  {
    name: 'authority',
    summary: 'The authority operator\'s commands: init (the authority key and one key pair per role, encrypted with a passphrase, in --dir), roles publish (signs and posts the role directory), grant (a role\'s identities to one node), ungrant (withdraws a grant), rotate (a new key for a role, the directory republished, re-granted to the remaining holders), issue (a role certificate: the roles a node may write as, until --expires; issue again to renew or change them), revoke (every peer refuses the node\'s records from --at on; records made before stay valid). Records are posted to a node (POST /authority/records), which puts them into the DHT.',
    usage: 'authority <init | roles publish | grant | ungrant | rotate | issue | revoke> --dir DIR [options]',
    example: [
      'chorus-dht authority init --dir ./authority --passphrase-file ./passphrase   # prints the authority id',
      'export CHORUS_AUTHORITY_PASSPHRASE=\'correct horse battery staple\'       # or this instead of --passphrase-file',
      'chorus-dht authority roles publish --dir ./authority --api http://127.0.0.1:8080',
      'chorus-dht authority grant --dir ./authority --peer 12D3KooW… --to age1… --role backend_developer --api http://127.0.0.1:8080',
      'chorus-dht authority ungrant --dir ./authority --peer 12D3KooW… --role qa_engineer --api http://127.0.0.1:8080',
      'chorus-dht authority rotate --dir ./authority --role qa_engineer --api http://127.0.0.1:8080',
      'chorus-dht authority issue --dir ./authority --peer 12D3KooW… --role backend_developer --role qa_engineer --expires 30d --api http://127.0.0.1:8080',
      'chorus-dht authority issue --dir ./authority --peer 12D3KooW… --role backend_developer --expires 2027-01-31 --out node-b.cert   # offline: start --certificate node-b.cert',
      'chorus-dht authority revoke --dir ./authority --peer 12D3KooW… --api http://127.0.0.1:8080   # --at 2026-12-01T09:00:00Z to revoke from an earlier time'
    ].join('\n'),
    options: AUTHORITY_OPTIONS,
    async run (values, positionals, io) {
      const action = positionals.join(' ')
      const actions = ['init', 'roles publish', 'grant', 'ungrant', 'rotate', 'issue', 'revoke']
      if (!actions.includes(action)) throw new UsageError(`expected: chorus-dht authority ${actions.join(' | ')}`)
      if (values.dir == null) throw new UsageError('--dir DIR is required')
      const admin = await import('./authority-admin.js')
      let workFactor: number | undefined
      if (values['work-factor'] != null) {
        if (!/^\d+$/.test(values['work-factor']) || Number(values['work-factor']) < 10 || Number(values['work-factor']) > 20) throw new UsageError('--work-factor must be an integer from 10 to 20')
        workFactor = Number(values['work-factor'])
      }
      const init = {
        dir: resolve(io.cwd, values.dir),
        passphrase: await admin.authorityPassphrase(values['passphrase-file'] != null ? resolve(io.cwd, values['passphrase-file']) : undefined, io.env),
        io,
        json: values.json === true,
        client: async () => await clientFor(values, io),
        rolesFile: values['roles-file'] != null ? resolve(io.cwd, values['roles-file']) : undefined,
        workFactor
      }
      const roles: string[] = values.role ?? []
      if (action !== 'issue' && roles.length > 1) throw new UsageError(`authority ${action} takes one --role`)
      const role = roles[0]
      switch (action) {
        case 'init': return await admin.authorityInit(init)
        case 'roles publish': return await admin.authorityPublish(init)
        case 'grant': return await admin.authorityGrant(init, { peer: values.peer, to: values.to, role })
        case 'ungrant': return await admin.authorityUngrant(init, { peer: values.peer, role })
        case 'issue': return await admin.authorityIssue(init, {
          peer: values.peer,
          roles,
          expires: values.expires,
          out: values.out != null ? resolve(io.cwd, values.out) : undefined,
          // --out alone is an offline issue; otherwise the record goes to the node of --api (or the default one)
          post: values.api != null || values.out == null
        })
        case 'revoke': return await admin.authorityRevoke(init, { peer: values.peer, at: values.at })
        default: return await admin.authorityRotate(init, { role })
      }
    }
  },
  {
    name: 'audit',
    summary: 'Checks the hash chain of a data directory\'s audit log: verify. Exits 0 when intact, 1 naming the first broken line.',
    usage: 'audit verify [options]',
    example: 'chorus-dht audit verify --data-dir ./.chorus-dht',
    options: {
      config: NODE_OPTIONS.config,
      'data-dir': NODE_OPTIONS['data-dir'],
      file: { type: 'string', short: 'f', arg: 'FILE', help: 'audit log to check (default <data-dir>/audit.log)' },
      json: { type: 'boolean', help: 'print JSON' },
      help: HELP
    },
    async run (values, positionals, io) {
      if (positionals.length !== 1 || positionals[0] !== 'verify') throw new UsageError('expected: chorus-dht audit verify')
      const config = await loadConfig({ flags: { config: values.config, dataDir: values['data-dir'] }, env: io.env, cwd: io.cwd })
      const { runAuditVerify } = await import('./audit.js')
      return runAuditVerify(values.file != null ? resolve(io.cwd, values.file) : config.auditFile, values.json === true, io)
    }
  }
]

function mainHelp (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length)) + 2
  return `Usage: chorus-dht <command> [options]

The chorus-dht reference node: a CHORUS DHT node with an HTTP API, and the
client commands that talk to it.

Commands:
${COMMANDS.map(c => `  ${c.name.padEnd(width)} ${c.summary.split('. ')[0].replace(/\.$/, '')}`).join('\n')}

Run chorus-dht <command> --help for a command's options.
Exit status: 0 success, 1 failure, 2 usage or configuration error.
`
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves the
 * exit status: 0 success, 1 failure, 2 usage or configuration error.
 */
export async function main (argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv
  if (name == null || name === '--help' || name === '-h' || name === 'help') {
    (name == null ? io.stderr : io.stdout)(mainHelp())
    return name == null ? EXIT.USAGE : EXIT.OK
  }
  if (name === '--version' || name === '-v') {
    io.stdout('chorus-dht 0.1.0\n')
    return EXIT.OK
  }
  const command = COMMANDS.find(c => c.name === name)
  if (command == null) {
    io.stderr(`chorus-dht: unknown command "${name}"\n\n${mainHelp()}`)
    return EXIT.USAGE
  }
  try {
    let parsed: { values: Record<string, any>, positionals: string[] }
    try {
      const options: Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }> = {}
      for (const [k, o] of Object.entries(command.options)) options[k] = { type: o.type, ...(o.multiple === true ? { multiple: true } : {}), ...(o.short != null ? { short: o.short } : {}) }
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true })
    } catch (err: any) {
      throw new UsageError(err.message)
    }
    if (parsed.values.help === true) {
      io.stdout(commandHelp(command))
      return EXIT.OK
    }
    return await command.run(parsed.values, parsed.positionals, io)
  } catch (err: any) {
    if (err?.name === UsageError.name) {
      io.stderr(`chorus-dht ${command.name}: ${err.message}\n\n${commandHelp(command)}`)
      return EXIT.USAGE
    }
    if (err?.name === ConfigError.name) {
      io.stderr(`chorus-dht ${command.name}: ${err.message}\n`)
      return EXIT.USAGE
    }
    if (err?.name === ApiError.name) {
      io.stderr(`chorus-dht ${command.name}: ${err.message}\n${JSON.stringify(err.body)}\n`)
      return EXIT.FAILURE
    }
    io.stderr(`chorus-dht ${command.name}: ${err?.message ?? String(err)}\n`)
    return EXIT.FAILURE
  }
}

/** The real process's IO. */
export function processIO (): CliIO {
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    stdin: async () => {
      if (process.stdin.isTTY === true) return undefined
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk)
      return new Uint8Array(Buffer.concat(chunks))
    },
    env: process.env,
    cwd: process.cwd()
  }
}
