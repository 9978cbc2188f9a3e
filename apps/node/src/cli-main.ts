import { readFileSync } from 'node:fs'
import { Argument, Command, CommanderError, Help, Option } from 'commander'
import { CLIENT_COMMANDS } from './cli/client-commands.js'
import { NODE_COMMANDS } from './cli/node-commands.js'
import { argParser } from './cli/options.js'
import { EXIT } from './constants.js'
import { ApiError, ConfigError, UsageError } from './errors.js'
import type { CliIO } from './cli/io.js'
import type { CommandSpec } from './cli/options.js'

export type { CliIO } from './cli/io.js'
export { processIO } from './cli/io.js'

/** The node's version, from its package.json (next to `src/` and `dist/`). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

/** Every command, in the order of the help. */
const COMMANDS: CommandSpec[] = [NODE_COMMANDS[0], ...CLIENT_COMMANDS, ...NODE_COMMANDS.slice(1)]

/** The usage lines commands set themselves (`roles [options] [peers <role>]`), for the list of commands too. */
const USAGE = new Map(COMMANDS.filter(c => c.usage != null).map(c => [c.name, c.usage!]))

const DESCRIPTION = 'The chorus-dht reference node: a CHORUS DHT node with an HTTP API, and the client commands that talk to it.'
const FOOTER = '\nRun chorus-dht help <command> (or chorus-dht <command> --help) for a command\'s options and examples.\nExit status: 0 success, 1 failure, 2 usage or configuration error.\n'

function addCommand (program: Command, spec: CommandSpec, io: CliIO, state: { code: number, current?: Command }): void {
  const cmd = program.command(spec.name).description(spec.summary).summary(spec.summary.split('. ')[0].replace(/\.$/, ''))
  for (const a of spec.args ?? []) {
    const arg = new Argument(a)
    if (spec.choices != null && a === spec.args![0]) arg.choices(spec.choices)
    cmd.addArgument(arg)
  }
  if (spec.usage != null) cmd.usage(spec.usage)
  for (const [name, o] of Object.entries(spec.options)) {
    const flags = `${o.short != null ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.arg ?? 'VALUE'}>` : ''}`
    const option = new Option(flags, o.help)
    const parse = argParser(o)
    if (parse != null) option.argParser(parse)
    cmd.addOption(option)
  }
  cmd.addHelpText('after', `\nExample:\n${spec.example.split('\n').map(l => `  ${l}`).join('\n')}\n`)
  cmd.action(async (...received: any[]) => {
    const self = received[received.length - 1] as Command
    state.current = self
    const opts = self.opts()
    const values: Record<string, any> = {}
    for (const option of self.options) values[option.long!.slice(2)] = opts[option.attributeName()]
    state.code = await spec.run(values, self.args, io)
  })
}

function buildProgram (io: CliIO, state: { code: number, current?: Command }): Command {
  const program = new Command('chorus-dht')
    .description(DESCRIPTION)
    .usage('<command> [options]')
    .version(VERSION, '-V, --version', 'print the version')
    .helpCommand('help [command]', 'print the help of a command')
    .configureOutput({ writeOut: text => { io.stdout(text) }, writeErr: text => { io.stderr(text) } })
    .configureHelp({
      subcommandTerm (cmd: Command): string {
        const usage = USAGE.get(cmd.name())
        return usage != null ? `${cmd.name()} ${usage}` : Help.prototype.subcommandTerm.call(this, cmd)
      }
    })
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', FOOTER)
  for (const spec of COMMANDS) addCommand(program, spec, io, state)
  program.command('version').description('print the version').addHelpText('after', '\nExample:\n  chorus-dht version\n').action(() => { io.stdout(`${VERSION}\n`) })
  return program
}

/** Commander's own outcomes that are not errors. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version'])

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves the
 * exit status: 0 success, 1 failure, 2 usage or configuration error.
 */
export async function main (argv: string[], io: CliIO): Promise<number> {
  const state: { code: number, current?: Command } = { code: EXIT.OK }
  const program = buildProgram(io, state)
  if (argv.length === 0) {
    io.stderr(program.helpInformation())
    return EXIT.USAGE
  }
  // -v was the version flag before -V; it still is
  const args = argv[0] === '-v' ? ['--version', ...argv.slice(1)] : argv
  try {
    await program.parseAsync(args, { from: 'user' })
    return state.code
  } catch (err: any) {
    if (err instanceof CommanderError) return COMMANDER_OK.has(err.code) ? EXIT.OK : EXIT.USAGE
    const name = state.current?.name() ?? 'chorus-dht'
    if (err?.name === UsageError.name) {
      io.stderr(`chorus-dht ${name}: ${err.message}\n\n${state.current?.helpInformation() ?? ''}`)
      return EXIT.USAGE
    }
    if (err?.name === ConfigError.name) {
      io.stderr(`chorus-dht ${name}: ${err.message}\n`)
      return EXIT.USAGE
    }
    if (err?.name === ApiError.name) {
      io.stderr(`chorus-dht ${name}: ${err.message}\n${JSON.stringify(err.body)}\n`)
      return EXIT.FAILURE
    }
    io.stderr(`chorus-dht ${name}: ${err?.message ?? String(err)}\n`)
    return EXIT.FAILURE
  }
}
