export {
  AccessDeniedError,
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError,
  RecordTooLargeError,
  TimeoutError
} from '@chorus-dht/types'

/**
 * A configuration value (file, environment or flag) is invalid. `key` names
 * the offending setting, e.g. `api.port` or `CHORUS_API_PORT`. The CLI exits
 * with status 2.
 */
export class ConfigError extends Error {
  static override name = 'ConfigError'
  override name = 'ConfigError'

  /** The configuration key that was wrong. */
  readonly key: string

  constructor (key: string, message: string, options?: { cause?: unknown }) {
    super(`Invalid configuration ${key}: ${message}`, options)
    this.key = key
  }
}

/**
 * The command line is malformed (unknown command or option, missing
 * argument). The CLI exits with status 2.
 */
export class UsageError extends Error {
  static override name = 'UsageError'
  override name = 'UsageError'

  constructor (message = 'Invalid usage') {
    super(message)
  }
}

/**
 * A client command got an error envelope from the node's HTTP API.
 */
export class ApiError extends Error {
  static override name = 'ApiError'
  override name = 'ApiError'

  /** The HTTP status. */
  readonly status: number
  /** The UCXL code, e.g. `UCXL-404-NOT_FOUND`. */
  readonly code: string
  /** The whole error envelope. */
  readonly body: unknown

  constructor (status: number, code: string, message: string, body: unknown) {
    super(`${code}: ${message}`)
    this.status = status
    this.code = code
    this.body = body
  }
}
