import { randomUUID, timingSafeEqual, createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpError, UCXL_CODES, classifyError, errorEnvelope, successEnvelope } from './envelope.js'
import type { UcxlCode } from './envelope.js'
import { AbortError } from '@chorus-dht/types'
import type { Logger as PinoLogger } from 'pino'

/** What a route handler gets. */
export interface RequestContext {
  req: IncomingMessage
  url: URL
  /** Named groups of the route pattern, URL-decoded. */
  params: Record<string, string>
  requestId: string
  /** Aborts when the request times out or the client goes away. */
  signal: AbortSignal
  /** Reads the whole body, enforcing the size limit (413). */
  body(): Promise<Uint8Array>
}

/** A JSON envelope answer. */
export interface EnvelopeResult {
  ucxl: UcxlCode
  message: string
  data?: unknown
}

/** A non-envelope answer (Prometheus text, raw content). */
export interface RawResult {
  raw: {
    status: number
    headers: Record<string, string>
    body: string | Uint8Array
  }
}

/** What a route handler returns. */
export type RouteResult = EnvelopeResult | RawResult

/** One route. */
export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** Matched against the raw (still encoded) path. */
  pattern: RegExp
  /** Reachable without the bearer token (the health probe). */
  public?: boolean
  handler(ctx: RequestContext): Promise<RouteResult>
}

/** Init of {@link ApiServer}. */
export interface ApiServerInit {
  routes: Route[]
  logger: PinoLogger
  /** Bearer token; when set, every non-public route requires it. */
  token?: string
  /** @default 1 MiB */
  maxBodyBytes: number
  /** @default 30 s */
  requestTimeout: number
  /** Called with the status of every answer (metrics). */
  onResponse?(status: number): void
}

/**
 * Bytes of an unread or refused body read and discarded after the answer is
 * written, so that the client, still sending, reads the answer instead of a
 * connection reset. A body declared larger is not read at all.
 */
const DRAIN_CAP = 8 * 1024 * 1024

/** How long an unread body is drained before the connection is closed, ms. */
const DRAIN_TIMEOUT = 5_000

/** Reads and discards up to `cap` bytes of `req`, for at most `timeout` ms. */
async function drain (req: IncomingMessage, cap: number, timeout: number): Promise<void> {
  await new Promise<void>(resolve => {
    let seen = 0
    const done = (): void => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', done)
      req.off('error', done)
      req.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, timeout)
    const onData = (chunk: Buffer): void => {
      seen += chunk.length
      if (seen > cap) done()
    }
    req.on('data', onData)
    req.once('end', done)
    req.once('error', done)
    req.once('close', done)
    req.resume()
  })
}

/** Visible ASCII but `%`: the bytes {@link encodeHeaderValue} keeps as they are. */
const HEADER_SAFE = /^[\x21-\x24\x26-\x7e]*$/

/**
 * Makes a header value of any string: every UTF-8 byte outside visible
 * ASCII (controls, CR, LF, NUL, space, non-ASCII) and `%` itself becomes
 * `%XX`, so `decodeURIComponent(value)` gives the string back. A value of
 * visible ASCII without `%` is unchanged.
 */
export function encodeHeaderValue (value: string): string {
  if (HEADER_SAFE.test(value)) return value
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"))*$`)

/**
 * The `Content-Type` to serve for a stored content type: the value when it
 * is a well-formed media type (RFC 9110 `type/subtype; param=value`, ASCII
 * only), else `application/octet-stream` (the stored value then goes out
 * percent-encoded in `X-UCXL-Content-Type` only).
 */
export function contentTypeHeader (contentType: string): string {
  return contentType.length <= 256 && MEDIA_TYPE.test(contentType) ? contentType : 'application/octet-stream'
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

function digest (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

/**
 * The node's HTTP server: routing, bearer-token auth, body limits, request
 * ids and the UCXL envelopes of SPEC §9.
 */
export class ApiServer {
  private readonly init: ApiServerInit
  private server?: Server
  private readonly inFlight = new Set<Promise<void>>()

  constructor (init: ApiServerInit) {
    this.init = init
  }

  /** Listens; resolves the bound address. */
  async start (host: string, port: number): Promise<{ host: string, port: number }> {
    if (this.server != null) {
      const a = this.server.address() as AddressInfo
      return { host: a.address, port: a.port }
    }
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const p = this.handle(req, res).catch(err => {
        // handle() answers every error itself; this is the last resort, so
        // that even a bug there never leaves the client waiting
        this.init.logger.error({ err }, 'unhandled error in request handler')
        lastResortAnswer(res)
      })
      this.inFlight.add(p)
      void p.finally(() => this.inFlight.delete(p))
    }
    const server = createServer(onRequest)
    // `Expect: 100-continue` for a body declared over the limit gets the 413 instead of 100
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.declaredTooLarge(req)) res.writeContinue()
      onRequest(req, res)
    })
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const a = server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  /** Stops accepting, lets in-flight requests finish within `timeout` ms, then closes every connection. */
  async stop (timeout = 5_000): Promise<void> {
    const server = this.server
    if (server == null) return
    this.server = undefined
    const closed = new Promise<void>(resolve => server.close(() => resolve()))
    server.closeIdleConnections()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>(resolve => { timer = setTimeout(resolve, timeout) })
    ])
    clearTimeout(timer)
    server.closeAllConnections()
    await closed
  }

  private authorized (req: IncomingMessage): 'ok' | 'missing' | 'wrong' {
    const token = this.init.token
    if (token == null) return 'ok'
    const header = req.headers.authorization
    if (header == null || header === '') return 'missing'
    const m = /^Bearer\s+(.+)$/i.exec(header)
    if (m == null) return 'missing'
    return timingSafeEqual(digest(m[1].trim()), digest(token)) ? 'ok' : 'wrong'
  }

  /** The declared `Content-Length`, when there is one. */
  private declaredLength (req: IncomingMessage): number | undefined {
    const header = req.headers['content-length']
    if (header == null || !/^\d+$/.test(header)) return undefined
    return Number(header)
  }

  private declaredTooLarge (req: IncomingMessage): boolean {
    return (this.declaredLength(req) ?? 0) > this.init.maxBodyBytes
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const incomingId = req.headers['x-request-id']
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID()
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const log = this.init.logger.child({ request_id: requestId })
    const limit = this.init.maxBodyBytes
    const declared = this.declaredLength(req)

    const controller = new AbortController()
    // one request fans out into many DHT operations, each listening on it
    setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
    const timer = setTimeout(() => controller.abort(new HttpError(UCXL_CODES.TIMEOUT, `request timed out after ${this.init.requestTimeout} ms`)), this.init.requestTimeout)
    // named, so that what a vanished client leaves behind is not logged as a bug
    const onClose = (): void => { if (!res.writableFinished) controller.abort(new AbortError('the client went away')) }
    res.once('close', onClose)

    let bodyState: 'unread' | 'reading' | 'read' | 'rejected' = 'unread'
    const tooLarge = (): HttpError => declared != null
      ? new HttpError(UCXL_CODES.TOO_LARGE, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { size: declared, limit })
      : new HttpError(UCXL_CODES.TOO_LARGE, `request body exceeds the limit of ${limit} bytes`, { limit })
    const readBody = async (): Promise<Uint8Array> => {
      if (bodyState !== 'unread') throw new Error('the request body can be read once')
      if (declared != null && declared > limit) {
        bodyState = 'rejected'
        throw tooLarge()
      }
      bodyState = 'reading'
      // events rather than for-await: leaving an async iterator early destroys the socket
      return await new Promise<Uint8Array>((resolve, reject) => {
        const chunks: Buffer[] = []
        let size = 0
        const cleanup = (): void => {
          req.off('data', onData)
          req.off('end', onEnd)
          req.off('error', onError)
          req.off('aborted', onError)
        }
        const onData = (chunk: Buffer): void => {
          size += chunk.length
          if (size > limit) {
            // the streaming limit: a chunked body has no Content-Length to check first
            cleanup()
            req.pause()
            bodyState = 'rejected'
            reject(tooLarge())
            return
          }
          chunks.push(chunk)
        }
        const onEnd = (): void => {
          cleanup()
          bodyState = 'read'
          resolve(new Uint8Array(Buffer.concat(chunks)))
        }
        const onError = (err?: Error): void => {
          cleanup()
          reject(err ?? new Error('request aborted'))
        }
        req.on('data', onData)
        req.once('end', onEnd)
        req.once('error', onError)
        req.once('aborted', onError)
      })
    }

    let answer: Answer
    try {
      answer = await this.route(req, url, path, requestId, controller.signal, readBody, declared)
    } catch (err: any) {
      // a timeout surfaces as whatever the aborted operation threw
      const reason = controller.signal.aborted ? controller.signal.reason : undefined
      const effective = reason instanceof HttpError && err?.name !== 'HttpError' ? reason : err
      const c = classifyError(effective)
      if (c.internal) log.error({ err }, 'request failed: %s %s', req.method, path)
      answer = errorAnswer(c.ucxl, c.message, path, requestId, c.details)
    } finally {
      clearTimeout(timer)
      res.off('close', onClose)
    }

    // `complete`: the whole message went through the parser (a request without
    // a body, or a small one the handler did not read), so the connection can serve the next
    const unread = !req.complete && (bodyState as string) !== 'read'
    // a body declared over the limit is never read: answer at once and close
    const drainFirst = unread && (declared == null || declared <= DRAIN_CAP)
    if (unread) res.shouldKeepAlive = false
    const status = this.write(res, answer, requestId, path, log, drainFirst)
    if (drainFirst) {
      // the whole answer is written (its Content-Length tells the client so);
      // reading what the client still sends keeps the answer from being lost
      // in a connection reset, then the connection closes
      await drain(req, DRAIN_CAP, DRAIN_TIMEOUT)
      res.end()
    }
    if (!req.readableEnded) {
      // a body the parser already holds whole is discarded; destroying the
      // socket over unread bytes would reset it under the answer just sent
      if (req.complete) req.resume()
      else res.once('finish', () => req.destroy())
    }
    this.init.onResponse?.(status)
    log.debug({ method: req.method, path, status, ms: Date.now() - started }, 'request')
  }

  /** Finds the route, checks auth and the declared body size, runs the handler. */
  private async route (req: IncomingMessage, url: URL, path: string, requestId: string, signal: AbortSignal, body: () => Promise<Uint8Array>, declared: number | undefined): Promise<Answer> {
    const candidates = this.init.routes.filter(r => r.pattern.test(path))
    const route = candidates.find(r => r.method === req.method)
    if (!(route?.public ?? false)) {
      const auth = this.authorized(req)
      if (auth === 'missing') throw new HttpError(UCXL_CODES.UNAUTHORIZED, 'a bearer token is required (Authorization: Bearer <token>)')
      if (auth === 'wrong') throw new HttpError(UCXL_CODES.FORBIDDEN, 'the bearer token is not valid')
    }
    if (route == null) {
      if (candidates.length > 0) {
        throw new HttpError(UCXL_CODES.METHOD_NOT_ALLOWED, `${req.method} is not allowed on ${path}; allowed: ${[...new Set(candidates.map(r => r.method))].join(', ')}`)
      }
      throw new HttpError(UCXL_CODES.NOT_FOUND, `no endpoint at ${path}`)
    }
    const limit = this.init.maxBodyBytes
    if (declared != null && declared > limit) {
      // refused before the handler runs or a byte of the body is read
      throw new HttpError(UCXL_CODES.TOO_LARGE, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { size: declared, limit })
    }
    const match = route.pattern.exec(path)
    const params: Record<string, string> = {}
    for (const [k, v] of Object.entries(match?.groups ?? {})) {
      if (v == null) continue
      try {
        params[k] = decodeURIComponent(v)
      } catch {
        throw new HttpError(UCXL_CODES.BAD_REQUEST, `path parameter ${k} is not valid URL encoding`)
      }
    }
    // a handler that ignores its signal still answers at the deadline
    const result = await Promise.race([route.handler({ req, url, params, requestId, signal, body }), rejectOnAbort(signal)])
    if (result != null && typeof result === 'object' && 'raw' in result) {
      const raw = result.raw
      return { status: raw.status, headers: { ...raw.headers }, body: typeof raw.body === 'string' ? Buffer.from(raw.body, 'utf8') : Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength) }
    }
    if (result == null || typeof result !== 'object' || result.ucxl == null) throw new TypeError('route handler returned no result')
    return jsonAnswer(result.ucxl.status, successEnvelope(result.ucxl, result.message, result.data, requestId))
  }

  /**
   * Writes an answer; when its headers cannot be written (a value a handler
   * made of bad data), writes a 500 instead. Returns the status sent.
   * With `keepOpen`, the response is not ended (the caller drains, then ends).
   */
  private write (res: ServerResponse, answer: Answer, requestId: string, path: string, log: PinoLogger, keepOpen: boolean): number {
    if (res.headersSent || res.destroyed) return answer.status
    const send = (a: Answer): void => {
      res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.byteLength), 'x-request-id': requestId, 'cache-control': 'no-store' })
      if (keepOpen) res.write(a.body)
      else res.end(a.body)
    }
    try {
      send(answer)
      return answer.status
    } catch (err: any) {
      log.error({ err }, 'could not write the answer to %s', path)
      // writeHead validates every header before sending anything, so a clean 500 can still go out
      const fallback = errorAnswer(UCXL_CODES.INTERNAL_ERROR, 'Internal error', path, requestId)
      try {
        if (!res.headersSent) {
          send(fallback)
          return fallback.status
        }
      } catch (e: any) {
        log.error({ err: e }, 'could not write the error answer to %s', path)
      }
      res.destroy()
      return fallback.status
    }
  }
}

/** Rejects with the signal's reason once it aborts (never resolves). */
async function rejectOnAbort (signal: AbortSignal): Promise<never> {
  return await new Promise<never>((_resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
  })
}

/** A response ready to write. */
interface Answer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

function jsonAnswer (status: number, envelope: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(JSON.stringify(envelope), 'utf8') }
}

function errorAnswer (ucxl: UcxlCode, message: string, path: string, requestId: string, details?: Record<string, unknown>): Answer {
  return jsonAnswer(ucxl.status, errorEnvelope(ucxl, message, path, requestId, details), ucxl.status === 401 ? { 'www-authenticate': 'Bearer' } : {})
}

/** The answer when handling itself failed: a bare 500, or a closed connection once headers went out. */
function lastResortAnswer (res: ServerResponse): void {
  try {
    if (!res.headersSent && !res.destroyed) {
      const body = JSON.stringify(errorEnvelope(UCXL_CODES.INTERNAL_ERROR, 'Internal error', '', ''))
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) })
      res.end(body)
      return
    }
  } catch {}
  res.destroy()
}
