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
  TOO_LARGE: { status: 413, code: 'UCXL-413-TOO_LARGE' },
  INTERNAL_ERROR: { status: 500, code: 'UCXL-500-INTERNAL_ERROR' },
  INTEGRITY_ERROR: { status: 502, code: 'UCXL-502-INTEGRITY_ERROR' },
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

/**
 * Maps an error to its UCXL code by `err.name` (never by message), with the
 * message and details a client may see. Unknown errors become
 * `UCXL-500-INTERNAL_ERROR` with a generic message (the real one is logged).
 */
export function classifyError (err: any): { ucxl: UcxlCode, message: string, details?: Record<string, unknown>, internal: boolean } {
  const name: string | undefined = err?.name
  const message: string = typeof err?.message === 'string' ? err.message : String(err)
  switch (name) {
    case 'HttpError':
      return { ucxl: err.ucxl, message, details: err.details, internal: false }
    case 'InvalidUcxlAddressError':
      return {
        ucxl: UCXL_CODES.INVALID_ADDRESS,
        message,
        details: { field: err.field, ...(err.raw != null ? { raw: err.raw } : {}) },
        internal: false
      }
    case 'InvalidParametersError':
      return { ucxl: UCXL_CODES.BAD_REQUEST, message, internal: false }
    case 'AccessDeniedError':
      return { ucxl: UCXL_CODES.FORBIDDEN, message, internal: false }
    case 'NotFoundError':
      return { ucxl: UCXL_CODES.NOT_FOUND, message, internal: false }
    case 'RecordTooLargeError':
      return {
        ucxl: UCXL_CODES.TOO_LARGE,
        message,
        details: err.limit != null ? { size: err.size, limit: err.limit } : undefined,
        internal: false
      }
    case 'IntegrityError':
      return { ucxl: UCXL_CODES.INTEGRITY_ERROR, message, internal: false }
    case 'BackendUnavailableError':
    case 'NotStartedError':
      return { ucxl: UCXL_CODES.SERVICE_UNAVAILABLE, message, internal: false }
    case 'TimeoutError':
    case 'AbortError':
      return { ucxl: UCXL_CODES.TIMEOUT, message, internal: false }
    default:
      return { ucxl: UCXL_CODES.INTERNAL_ERROR, message: 'Internal error', internal: true }
  }
}
