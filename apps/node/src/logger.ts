import { format } from 'node:util'
import { pino } from 'pino'
import pretty from 'pino-pretty'
import { DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL } from './constants.js'
import type { ComponentLogger, Logger } from '@chorus-dht/types'
import type { DestinationStream, Logger as PinoLogger } from 'pino'

/** Options of {@link createLogger}. */
export interface LoggerInit {
  /** The level of every component not named in `components`. @default 'info' */
  level?: string
  /** `auto`: pretty when stderr is a terminal, JSON lines otherwise. @default 'auto' */
  format?: 'auto' | 'json' | 'pretty'
  /** Levels by component name; a name covers the components below it (`chorus-dht:dht` covers `chorus-dht:dht:hybrid-dht`). */
  components?: Record<string, string>
  /** Where the lines go (tests). @default stderr, synchronously */
  destination?: DestinationStream
  /** Whether the output is a terminal, for `format: 'auto'`. @default process.stderr.isTTY */
  isTTY?: boolean
}

/** pino's levels, most verbose first. */
const ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

interface LoggerState {
  /** The logger at the most verbose level any component needs; children set their own. */
  base: PinoLogger
  level: string
  components: Array<[string, string]>
}

const STATES = new WeakMap<PinoLogger, LoggerState>()

/** The level of a component: the longest configured name that is it or one of its parents, else the global level. */
export function levelFor (component: string, components: Record<string, string> | Array<[string, string]>, fallback: string): string {
  const entries = Array.isArray(components) ? components : Object.entries(components)
  let best: [string, string] | undefined
  for (const entry of entries) {
    const [name] = entry
    if ((component === name || component.startsWith(`${name}:`)) && (best == null || name.length > best[0].length)) best = entry
  }
  return best?.[1] ?? fallback
}

/** What `format` means on this output: `auto` is `pretty` on a terminal, `json` otherwise. */
export function logFormat (format: LoggerInit['format'] = DEFAULT_LOG_FORMAT, isTTY = process.stderr.isTTY === true): 'json' | 'pretty' {
  return format === 'pretty' || (format === 'auto' && isTTY) ? 'pretty' : 'json'
}

/**
 * The node's logger (pino), written to stderr so stdout stays for command
 * output: pretty (pino-pretty) on a terminal, JSON lines otherwise or as
 * `format` says, at `level`, with per-component levels (`CHORUS_LOG`,
 * `log.components`) for the loggers {@link childLogger} and
 * {@link componentLogger} hand out.
 */
export function createLogger (init: string | LoggerInit = {}, bindings: Record<string, unknown> = {}): PinoLogger {
  const options: LoggerInit = typeof init === 'string' ? { level: init } : init
  const level = options.level ?? DEFAULT_LOG_LEVEL
  const components = Object.entries(options.components ?? {})
  const isTTY = options.isTTY ?? process.stderr.isTTY === true
  const destination = logFormat(options.format, isTTY) === 'pretty'
    ? pretty({ destination: options.destination ?? 2, sync: true, colorize: isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
    : options.destination ?? pino.destination({ dest: 2, sync: true })
  // the base logs at the most verbose level any component needs; the
  // node's own logger and every component logger set their own level
  const levels = [level, ...components.map(([, l]) => l)].filter(l => ORDER.includes(l))
  const lowest = levels.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0] ?? level
  const base = pino({
    level: lowest,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime
  }, destination)
  const root = base.child({}, { level })
  STATES.set(root, { base, level, components })
  return root
}

/**
 * A child logger for one component (`chorus-dht:http` for the access log)
 * at the component's level (`CHORUS_LOG`), with a `component` field. For
 * a logger not made by {@link createLogger}, a plain pino child.
 */
export function childLogger (root: PinoLogger, component: string): PinoLogger {
  const state = STATES.get(root)
  if (state == null) return root.child({ component })
  return state.base.child({ component }, { level: levelFor(component, state.components, state.level) })
}

// libp2p-style formatters (%p peer id, %a multiaddr, %c CID, ...) print as strings
const LIBP2P_FORMATTERS = /%[packtb]/g

function render (formatter: any, args: any[]): { msg: string, err?: Error } {
  if (typeof formatter !== 'string') return { msg: format(formatter, ...args) }
  // %e is an error: its message in the line, its stack in the `err` field
  let err: Error | undefined
  const text = formatter.replace(/%e/g, '%s')
  const mapped = args.map(a => {
    if (a instanceof Error) {
      err ??= a
      return a.message
    }
    return (a != null && typeof a === 'object' && typeof a.toString === 'function' && a.toString !== Object.prototype.toString) ? a.toString() : a
  })
  return { msg: format(text.replace(LIBP2P_FORMATTERS, '%s'), ...mapped), ...(err != null ? { err } : {}) }
}

/**
 * The warn function of a library logger: `warn` where the logger has it
 * (the node's {@link componentLogger} does), else `error`.
 */
export function warnOf (log: Logger): (formatter: any, ...args: any[]) => void {
  const w = (log as Partial<NodeLogger>).warn
  return typeof w === 'function' ? w.bind(log) : log.error.bind(log)
}

/** The library logger contract, with `warn` where the contract has it (see the README, *Logs*). */
export type NodeLogger = Logger & { warn: (formatter: any, ...args: any[]) => void, newScope: (scope: string) => NodeLogger }

/** A {@link ComponentLogger} whose loggers also have `warn`. */
export interface NodeComponentLogger extends ComponentLogger {
  forComponent: (name: string) => NodeLogger
}

/**
 * Adapts pino to the debug-style {@link ComponentLogger} the libraries take:
 * `log()` is pino's debug, `log.warn()` warn, `log.error()` error,
 * `log.trace()` trace, each with a `component` field and at the
 * component's own level (`CHORUS_LOG`). An `Error` argument (`%e`) keeps
 * its stack in the `err` field.
 */
export function componentLogger (root: PinoLogger): NodeComponentLogger {
  const make = (name: string): NodeLogger => {
    const child = childLogger(root, name)
    const emit = (level: 'debug' | 'warn' | 'error' | 'trace', formatter: any, args: any[]): void => {
      if (!child.isLevelEnabled(level)) return
      const { msg, err } = render(formatter, args)
      if (err != null) child[level]({ err }, msg)
      else child[level](msg)
    }
    const log = ((formatter: any, ...args: any[]) => { emit('debug', formatter, args) }) as NodeLogger
    // libp2p reports routine events (a failed dial, a closed stream) as
    // errors and warnings; keep those at debug so an info log stays readable
    const routine = name.startsWith('libp2p')
    log.warn = (formatter: any, ...args: any[]) => { emit(routine ? 'debug' : 'warn', formatter, args) }
    log.error = (formatter: any, ...args: any[]) => { emit(routine ? 'debug' : 'error', formatter, args) }
    log.trace = (formatter: any, ...args: any[]) => { emit('trace', formatter, args) }
    // libp2p 3 loggers also scope below themselves
    log.newScope = (scope: string) => make(`${name}:${scope}`)
    Object.defineProperty(log, 'enabled', { get: () => child.isLevelEnabled('debug') })
    return log
  }
  return { forComponent: make }
}
