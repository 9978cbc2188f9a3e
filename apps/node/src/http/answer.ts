import { validateHeaderName, validateHeaderValue } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { errorEnvelope, successEnvelope } from '../envelope.js'
import type { UcxlCode } from '../envelope.js'
import type { RouteResult } from './route.js'

/** A response ready to write. */
export interface Answer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/** The declared `Content-Length`, when there is one. */
export function declaredLength (req: IncomingMessage): number | undefined {
  const header = req.headers['content-length']
  if (header == null || !/^\d+$/.test(header)) return undefined
  return Number(header)
}

/** A readable message of a fastify validation error: names an unknown or malformed query parameter. */
export function validationMessage (err: any): string {
  const v = err.validation[0]
  const where = err.validationContext === 'querystring' ? 'query parameter' : err.validationContext === 'params' ? 'path parameter' : String(err.validationContext ?? 'request')
  if (v?.keyword === 'additionalProperties') return `unknown ${where} ${v.params.additionalProperty}`
  const name = typeof v?.instancePath === 'string' && v.instancePath !== '' ? v.instancePath.slice(1) : (v?.params?.missingProperty ?? '')
  return `${where} ${name} ${v?.message ?? 'is invalid'}`.replace(/\s+/g, ' ').trim()
}

/** Throws when `answer` cannot be written (bad status, header name or value). */
export function checkAnswer (answer: Answer): void {
  if (!Number.isInteger(answer.status) || answer.status < 100 || answer.status > 599) throw new RangeError(`invalid status code ${answer.status}`)
  for (const [k, v] of Object.entries(answer.headers)) {
    validateHeaderName(k)
    validateHeaderValue(k, v)
  }
}

/** Makes the answer of what a handler returned. */
export function toAnswer (result: RouteResult, requestId: string): Answer {
  if (result != null && typeof result === 'object' && 'raw' in result) {
    const raw = result.raw
    return { status: raw.status, headers: { ...raw.headers }, body: typeof raw.body === 'string' ? Buffer.from(raw.body, 'utf8') : Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength) }
  }
  if (result == null || typeof result !== 'object' || result.ucxl == null) throw new TypeError('route handler returned no result')
  return jsonAnswer(result.ucxl.status, successEnvelope(result.ucxl, result.message, result.data, requestId), result.headers)
}

export function jsonAnswer (status: number, envelope: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(JSON.stringify(envelope), 'utf8') }
}

export function errorAnswer (ucxl: UcxlCode, message: string, path: string, requestId: string, details?: Record<string, unknown>): Answer {
  return jsonAnswer(ucxl.status, errorEnvelope(ucxl, message, path, requestId, details), ucxl.status === 401 ? { 'www-authenticate': 'Bearer' } : {})
}
