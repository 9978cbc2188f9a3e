/**
 * A debug-style logger with printf placeholders (`%s`, `%d`, `%o`, `%p`...),
 * compatible with js-libp2p's `Logger`, so a libp2p `ComponentLogger` can be
 * passed to any chorus-dht package as it is.
 */
export interface Logger {
  (formatter: any, ...args: any[]): void
  error(formatter: any, ...args: any[]): void
  trace(formatter: any, ...args: any[]): void
  /**
   * A warning: something went wrong but the operation went on. Optional,
   * since js-libp2p's `Logger` has no levels between `error` and the
   * default; libraries log warnings with `@chorus-dht/utils`' `logWarning`,
   * which falls back to the default level, never to `error`.
   */
  warn?(formatter: any, ...args: any[]): void
  enabled: boolean
}

/**
 * Hands out a {@link Logger} per component. Libraries ask for
 * `logger.forComponent('chorus-dht:<package>')` and never call `console`.
 */
export interface ComponentLogger {
  forComponent(name: string): Logger
}
