import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { loadConfig, resolveConfig } from '../config/load.js'
import { effectiveSettings, renderConfigTemplate, renderEffectiveConfig } from '../config/render.js'
import { EXIT } from '../constants.js'
import { UsageError } from '../errors.js'
import { clientFor } from './client-commands.js'
import { CLIENT_OPTIONS, NODE_OPTIONS, checkInt, checkRole, nodeFlags } from './options.js'
import type { CommandSpec, OptionSpec } from './options.js'

/** The data-directory options of keys and audit. */
const DIR_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', arg: 'DIR', help: 'data directory (CHORUS_DATA_DIR; default ./.chorus-dht)' },
  'keys-dir': { type: 'string', arg: 'DIR', help: 'role keystore (CHORUS_KEYS_DIR; default <data-dir>/keys)' },
  'roles-file': { type: 'string', arg: 'FILE', help: 'roles file adding or overriding roles (CHORUS_ROLES_FILE)' }
}

export const KEY_OPTIONS: Record<string, OptionSpec> = {
  config: NODE_OPTIONS.config,
  'data-dir': DIR_OPTIONS['data-dir'],
  'keys-dir': DIR_OPTIONS['keys-dir'],
  'roles-file': DIR_OPTIONS['roles-file'],
  role: { type: 'string', arg: 'ROLE', help: 'export: the role whose identities are written; import: the role (default: the file\'s # role: line)' },
  to: { type: 'string', arg: 'RECIPIENT', help: 'export: the age recipient (age1…) the file is encrypted to' },
  out: { type: 'string', short: 'o', arg: 'FILE', help: 'export: write to FILE (mode 0600) instead of standard output' },
  json: { type: 'boolean', help: 'print JSON' }
}

export const AUTHORITY_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', arg: 'DIR', help: 'the authority directory (key, role key pairs, state)' },
  'passphrase-file': { type: 'string', arg: 'FILE', help: 'file holding the passphrase of the authority directory (else CHORUS_AUTHORITY_PASSPHRASE)' },
  peer: { type: 'string', arg: 'ID', help: 'grant, ungrant, issue, revoke: the node\'s peer id' },
  to: { type: 'string', arg: 'RECIPIENT', help: 'grant: the node\'s own age recipient (node_recipient of chorus-dht status)' },
  role: { type: 'string', multiple: true, arg: 'ROLE', check: checkRole, help: 'grant, ungrant, rotate: the role; issue: a role the certificate names, repeatable' },
  expires: { type: 'string', arg: 'WHEN', help: 'issue: when the certificate expires, a date (2027-01-31, ISO 8601) or a duration from now (30d, 12h)' },
  at: { type: 'string', arg: 'DATE', help: 'revoke: from when the peer\'s records are refused (ISO 8601; default now)' },
  out: { type: 'string', short: 'o', arg: 'FILE', help: 'issue: also write the certificate to FILE, for chorus-dht start --certificate' },
  'roles-file': { type: 'string', arg: 'FILE', help: 'init: roles file adding or overriding roles of the table' },
  'work-factor': { type: 'string', arg: 'N', check: checkInt(10, 20), help: 'init: scrypt work factor (log2 N, 10-20) of the key files (default 18)' },
  api: CLIENT_OPTIONS.api,
  token: CLIENT_OPTIONS.token,
  json: { type: 'boolean', help: 'print JSON' }
}

/** `start`, `init`, `config show`, and the commands that work on a data directory or an authority directory. */
export const NODE_COMMANDS: CommandSpec[] = [
  {
    name: 'start',
    summary: 'Starts a node: opens the data directory, joins the network through the bootstrap peers and serves the HTTP API until SIGINT or SIGTERM. SIGHUP reloads the roles file and the bootstrap list. Prints the peer id, the multiaddrs and the API URL.',
    example: 'chorus-dht start --data-dir ./.chorus-dht --api-port 8080 --authority 12D3KooW… --bootstrap /ip4/10.0.0.5/tcp/9000/p2p/12D3KooW…\nCHORUS_LOG=chorus-dht:storage=debug chorus-dht start --config ./config.yaml --log-format json',
    options: NODE_OPTIONS,
    async run (values, positionals, io) {
      if (positionals.length > 0) throw new UsageError(`start takes no arguments, got ${positionals.join(' ')}`)
      const config = await loadConfig({ flags: nodeFlags(values), env: io.env, cwd: io.cwd })
      const { runNode } = await import('../run.js')
      return await runNode(config, io)
    }
  },
  {
    name: 'init',
    summary: 'Writes a commented configuration file with every setting and its default (its variable and flag in the comment). Refuses to overwrite an existing file without --force.',
    example: 'chorus-dht init                      # ./config.yaml\nchorus-dht init --config /etc/chorus/node.yaml --force',
    options: {
      config: { type: 'string', short: 'c', arg: 'FILE', help: 'the file to write (default ./config.yaml)' },
      force: { type: 'boolean', help: 'overwrite the file if it exists' }
    },
    async run (values, _positionals, io) {
      const path = resolve(io.cwd, values.config ?? 'config.yaml')
      try {
        await writeFile(path, renderConfigTemplate(), { flag: values.force === true ? 'w' : 'wx', mode: 0o600 })
      } catch (err: any) {
        if (err.code === 'EEXIST') {
          io.stderr(`chorus-dht init: ${path} exists; give --force to overwrite it\n`)
          return EXIT.FAILURE
        }
        throw err
      }
      io.stdout(`wrote ${path}: every setting with its default; start with chorus-dht start --config ${path}\n`)
      return EXIT.OK
    }
  },
  {
    name: 'config',
    summary: 'config show: prints the effective configuration, every setting with its value and where it came from (default, file, env, flag, assignment), as start would run with the same options. Secrets are hidden.',
    args: ['<action>'],
    choices: ['show'],
    example: 'chorus-dht config show --config ./config.yaml --api-port 9090\nCHORUS_CACHE_TTL=5m chorus-dht config show --json',
    options: { ...NODE_OPTIONS, json: { type: 'boolean', help: 'print JSON: {config_file, settings: [{key, value, source, env, flag}]}' } },
    async run (values, _positionals, io) {
      const resolved = await resolveConfig({ flags: nodeFlags(values), env: io.env, cwd: io.cwd })
      io.stdout(values.json === true
        ? `${JSON.stringify({ config_file: resolved.config.configFile ?? null, settings: effectiveSettings(resolved) }, null, 2)}\n`
        : renderEffectiveConfig(resolved))
      return EXIT.OK
    }
  },
  {
    name: 'keys',
    summary: 'Manages the role keys in the keystore of a data directory: generate <role>, rotate <role>, list, export (an age file of a role\'s identities, for another node), import FILE (opened with this node\'s own age key). Identities are encrypted with CHORUS_KEY_PASSPHRASE when set. generate refuses a role outside the role table or one whose recipient the authority\'s directory publishes. Run while the node is stopped, or send it SIGHUP afterwards.',
    args: ['<action>', '[arg]'],
    choices: ['generate', 'rotate', 'list', 'export', 'import'],
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
      const { runKeys } = await import('../keys.js')
      return runKeys(config, action, action === 'import' ? undefined : arg, values.json === true, io, { role: values.role, to: values.to, out: values.out, file: action === 'import' ? arg : undefined })
    }
  },
  {
    name: 'authority',
    summary: 'The authority operator\'s commands: init (the authority key and one key pair per role, encrypted with a passphrase, in --dir), roles publish (signs and posts the role directory), grant (a role\'s identities to one node), ungrant (withdraws a grant), rotate (a new key for a role, the directory republished, re-granted to the remaining holders), issue (a role certificate: the roles a node may write as, until --expires; issue again to renew or change them), revoke (every peer refuses the node\'s records from --at on; records made before stay valid). Records are posted to a node (POST /authority/records), which puts them into the DHT.',
    args: ['<action...>'],
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
      const admin = await import('../authority-admin.js')
      const workFactor = values['work-factor'] != null ? Number(values['work-factor']) : undefined
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
    args: ['<action>'],
    choices: ['verify'],
    example: 'chorus-dht audit verify --data-dir ./.chorus-dht',
    options: {
      config: NODE_OPTIONS.config,
      'data-dir': DIR_OPTIONS['data-dir'],
      file: { type: 'string', short: 'f', arg: 'FILE', help: 'audit log to check (default <data-dir>/audit.log)' },
      json: { type: 'boolean', help: 'print JSON' }
    },
    async run (values, positionals, io) {
      if (positionals.length !== 1 || positionals[0] !== 'verify') throw new UsageError('expected: chorus-dht audit verify')
      const config = await loadConfig({ flags: { config: values.config, dataDir: values['data-dir'] }, env: io.env, cwd: io.cwd })
      const { runAuditVerify } = await import('../audit.js')
      return runAuditVerify(values.file != null ? resolve(io.cwd, values.file) : config.auditFile, values.json === true, io)
    }
  }
]
