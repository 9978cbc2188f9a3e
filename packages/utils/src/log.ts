/** The part of a component logger {@link logWarning} uses. */
export interface WarningLogger {
  (formatter: any, ...args: any[]): void
  /** Present on loggers with levels (the node's pino bridge); `@libp2p/logger` has none. */
  warn?: (formatter: any, ...args: any[]) => void
}

/**
 * Logs a warning: something went wrong but the operation went on (a
 * fallback, a dropped record). At `warn` level when the logger has one,
 * else at its default level; never at `error`, which is kept for failures.
 */
export function logWarning (log: WarningLogger, formatter: string, ...args: any[]): void {
  if (typeof log.warn === 'function') {
    log.warn(formatter, ...args)
  } else {
    log(formatter, ...args)
  }
}
