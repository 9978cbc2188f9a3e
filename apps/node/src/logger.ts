import { format } from 'node:util'
import { pino } from 'pino'
import type { ComponentLogger, Logger } from '@chorus-dht/types'
import type { Logger as PinoLogger } from 'pino'

/**
 * The node's structured JSON logger (pino), written to stderr so stdout
 * stays for command output. The level comes from the configuration
 * (`CHORUS_LOG_LEVEL`, `--log-level`).
 */
export function createLogger (level: string, bindings: Record<string, unknown> = {}): PinoLogger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime
  }, pino.destination({ dest: 2, sync: true }))
}

// libp2p-style formatters (%p peer id, %a multiaddr, %c CID, ...) print as strings
const LIBP2P_FORMATTERS = /%[packtbe]/g

function render (formatter: any, args: any[]): string {
  if (typeof formatter !== 'string') return format(formatter, ...args)
  return format(formatter.replace(LIBP2P_FORMATTERS, '%s'), ...args.map(a => (a != null && typeof a === 'object' && typeof a.toString === 'function' && a.toString !== Object.prototype.toString) ? a.toString() : a))
}

/**
 * Adapts pino to the debug-style {@link ComponentLogger} the libraries take:
 * `log()` is pino's debug, `log.error()` error, `log.trace()` trace, each
 * with a `component` field.
 */
export function componentLogger (root: PinoLogger): ComponentLogger {
  const make = (name: string): Logger & { newScope(scope: string): Logger } => {
    const child = root.child({ component: name })
    const log = ((formatter: any, ...args: any[]) => {
      if (child.isLevelEnabled('debug')) child.debug(render(formatter, args))
    }) as Logger & { newScope(scope: string): Logger }
    // libp2p reports routine events (a failed dial, a closed stream) as
    // errors; keep those at debug so an info log stays readable
    const errorLevel = name.startsWith('libp2p') ? 'debug' : 'error'
    log.error = (formatter: any, ...args: any[]) => {
      if (child.isLevelEnabled(errorLevel)) child[errorLevel](render(formatter, args))
    }
    log.trace = (formatter: any, ...args: any[]) => {
      if (child.isLevelEnabled('trace')) child.trace(render(formatter, args))
    }
    // libp2p 3 loggers also scope below themselves
    log.newScope = (scope: string) => make(`${name}:${scope}`)
    Object.defineProperty(log, 'enabled', { get: () => child.isLevelEnabled('debug') })
    return log
  }
  return { forComponent: make }
}
