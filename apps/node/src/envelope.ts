import { ENVELOPE_SOURCE } from './constants.js'

/** A success envelope (SPEC §9). */
export interface SuccessEnvelope<T = unknown> {
  response: {
    code: string
    message: string
    data?: T
    request_id: string
    timestamp: string
  }
}

/** An error envelope (SPEC §9). */
export interface ErrorEnvelope {
  error: {
    code: string
    message: string
    details?: Record<string, unknown>
    source: string
    path: string
    request_id: string
    timestamp: string
  }
}

/** The UCXL codes the API answers with, by name. */
export const UCXL_CODES = {
  OK: { status: 200, code: 'UCXL-200-OK' },
  CREATED: { status: 201, code: 'UCXL-201-CREATED' },
  ACCEPTED: { status: 202, code: 'UCXL-202-ACCEPTED' },
  BAD_REQUEST: { status: 400, code: 'UCXL-400-BAD_REQUEST' },
  INVALID_ADDRESS: { status: 400, code: 'UCXL-400-INVALID_ADDRESS' },
  UNAUTHORIZED: { status: 401, code: 'UCXL-401-UNAUTHORIZED' },
  FORBIDDEN: { status: 403, code: 'UCXL-403-FORBIDDEN' },
  NOT_FOUND: { status: 404, code: 'UCXL-404-NOT_FOUND' },
  METHOD_NOT_ALLOWED: { status: 405, code: 'UCXL-405-METHOD_NOT_ALLOWED' },
  CONFLICT: { status: 409, code: 'UCXL-409-CONFLICT' },
  TOO_LARGE: { status: 413, code: 'UCXL-413-TOO_LARGE' },
  INTERNAL_ERROR: { status: 500, code: 'UCXL-500-INTERNAL_ERROR' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'UCXL-503-SERVICE_UNAVAILABLE' },
  TIMEOUT: { status: 504, code: 'UCXL-504-TIMEOUT' }
} as const

/** One of {@link UCXL_CODES}. */
export type UcxlCode = typeof UCXL_CODES[keyof typeof UCXL_CODES]

/**
 * An error the API answers with a specific code. Route handlers throw it;
 * the server turns it into an error envelope.
 */
export class HttpError extends Error {
  static override name = 'HttpError'
  override name = 'HttpError'
  readonly ucxl: UcxlCode
  readonly details?: Record<string, unknown>

  constructor (ucxl: UcxlCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.ucxl = ucxl
    this.details = details
  }
}

/** Builds a success envelope. */
export function successEnvelope<T> (ucxl: UcxlCode, message: string, data: T | undefined, requestId: string, now: Date = new Date()): SuccessEnvelope<T> {
  return {
    response: {
      code: ucxl.code,
      message,
      ...(data !== undefined ? { data } : {}),
      request_id: requestId,
      timestamp: now.toISOString()
    }
  }
}

/** Builds an error envelope. */
export function errorEnvelope (ucxl: UcxlCode, message: string, path: string, requestId: string, details?: Record<string, unknown>, now: Date = new Date()): ErrorEnvelope {
  return {
    error: {
      code: ucxl.code,
      message,
      ...(details != null ? { details } : {}),
      source: ENVELOPE_SOURCE,
      path,
      request_id: requestId,
      timestamp: now.toISOString()
    }
  }
}

/** What {@link classifyError} makes of an error. */
export interface ClassifiedError {
  ucxl: UcxlCode
  /** What the client may read (generic for an internal error). */
  message: string
  details?: Record<string, unknown>
  /** An unknown error: a bug, logged with its stack. */
  internal: boolean
}

/**
 * Maps an error to its UCXL code by `err.name` (never by message), with the
 * message and details a client may see. Every named error of the packages
 * maps to a 4xx, 503 or 504 (SPEC §9; the table is in the README). Unknown
 * errors become `UCXL-500-INTERNAL_ERROR` with a generic message (the real
 * one is logged).
 */
export function classifyError (err: any): ClassifiedError {
  // the DHT wraps what its validator refused (a put of this node's own
  // record) in InvalidParametersError: a refused certificate is still a 403
  if (err?.name === 'InvalidParametersError' && err.cause?.name === 'CertificateError') return classifyError(err.cause)
  const name: string | undefined = typeof err?.name === 'string' ? err.name : undefined
  const message: string = typeof err?.message === 'string' ? err.message : String(err)
  // details.error tells the client which named error it was
  const named = (ucxl: UcxlCode, details: Record<string, unknown> = {}): ClassifiedError =>
    ({ ucxl, message, details: { error: name, ...details }, internal: false })
  switch (name) {
    case 'HttpError':
      return { ucxl: err.ucxl, message, ...(err.details != null ? { details: err.details } : {}), internal: false }
    case 'InvalidUcxlAddressError':
      return named(UCXL_CODES.INVALID_ADDRESS, { field: err.field ?? 'scheme', ...(err.raw != null ? { raw: err.raw } : {}) })
    case 'InvalidParametersError':
      return named(UCXL_CODES.BAD_REQUEST)
    case 'AccessDeniedError':
      return named(UCXL_CODES.FORBIDDEN)
    case 'MissingRecipientError':
      // under an authority: the role directory does not (yet) publish a reader role's recipient
      return named(UCXL_CODES.SERVICE_UNAVAILABLE, typeof err.role === 'string' ? { role: err.role } : {})
    case 'InvalidAuthorityRecordError':
      // not signed by the configured authority: forbidden; otherwise malformed
      return named(['foreign-authority', 'bad-signature'].includes(err.reason) ? UCXL_CODES.FORBIDDEN : UCXL_CODES.BAD_REQUEST, { reason: err.reason })
    case 'CertificateError':
      // a record refused for its role certificate (missing, foreign, expired, revoked, …)
      return named(UCXL_CODES.FORBIDDEN, typeof err.reason === 'string' ? { reason: err.reason } : {})
    case 'UnroutedKeyError':
      return named(UCXL_CODES.BAD_REQUEST, { reason: 'unrouted', key: err.key })
    case 'NotFoundError':
      return named(UCXL_CODES.NOT_FOUND)
    case 'VersionConflictError':
    case 'RecordConflictError':
      // another writer won the version this store claimed: storing again claims the next one
      return named(UCXL_CODES.CONFLICT, { retryable: true, ...(typeof err.version === 'number' ? { version: err.version } : {}) })
    case 'RecordTooLargeError':
      return named(UCXL_CODES.TOO_LARGE, err.limit != null ? { size: err.size, limit: err.limit } : undefined)
    case 'IntegrityError':
    case 'InvalidRecordError':
      // no verified copy of the record can be served now; not the client's fault (SPEC §9: 4xx or 503)
      return named(UCXL_CODES.SERVICE_UNAVAILABLE, { reason: 'integrity' })
    case 'BackendUnavailableError':
    case 'NotStartedError':
      return named(UCXL_CODES.SERVICE_UNAVAILABLE, { retryable: true })
    case 'TimeoutError':
    case 'AbortError':
      return named(UCXL_CODES.TIMEOUT, { retryable: true })
    default:
      return { ucxl: UCXL_CODES.INTERNAL_ERROR, message: 'Internal error', internal: true }
  }
}
