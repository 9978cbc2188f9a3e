import { randomUUID, timingSafeEqual, createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpError, UCXL_CODES, classifyError, errorEnvelope, successEnvelope } from './envelope.js'
import type { UcxlCode } from './envelope.js'
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

/** Bytes of a refused body read and discarded before answering. */
const DRAIN_CAP = 64 * 1024 * 1024

async function drain (req: IncomingMessage, cap: number): Promise<void> {
  await new Promise<void>(resolve => {
    let seen = 0
    const done = (): void => {
      req.off('data', onData)
      req.off('end', done)
      req.off('error', done)
      req.off('close', done)
      resolve()
    }
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
    const server = createServer((req, res) => {
      const p = this.handle(req, res).catch(err => {
        this.init.logger.error({ err }, 'unhandled error in request handler')
      })
      this.inFlight.add(p)
      void p.finally(() => this.inFlight.delete(p))
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

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const incomingId = req.headers['x-request-id']
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID()
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const log = this.init.logger.child({ request_id: requestId })
    let status = 500

    const controller = new AbortController()
    // one request fans out into many DHT operations, each listening on it
    setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
    const timer = setTimeout(() => controller.abort(new HttpError(UCXL_CODES.TIMEOUT, `request timed out after ${this.init.requestTimeout} ms`)), this.init.requestTimeout)
    const onClose = (): void => { if (!res.writableFinished) controller.abort(new Error('client went away')) }
    res.once('close', onClose)

    let bodyState: 'unread' | 'read' | 'rejected' = 'unread'
    const readBody = async (): Promise<Uint8Array> => {
      bodyState = 'read'
      const limit = this.init.maxBodyBytes
      const declared = Number(req.headers['content-length'] ?? Number.NaN)
      if (Number.isFinite(declared) && declared > limit) {
        bodyState = 'rejected'
        throw new HttpError(UCXL_CODES.TOO_LARGE, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { size: declared, limit })
      }
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
            cleanup()
            bodyState = 'rejected'
            reject(new HttpError(UCXL_CODES.TOO_LARGE, `request body exceeds the limit of ${limit} bytes`, { limit }))
            return
          }
          chunks.push(chunk)
        }
        const onEnd = (): void => {
          cleanup()
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

    let answer: { status: number, headers: Record<string, string>, body: string | Uint8Array } | undefined
    const errorAnswer = (ucxl: UcxlCode, message: string, details?: Record<string, unknown>): void => {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
      if (ucxl.status === 401) headers['www-authenticate'] = 'Bearer'
      answer = { status: ucxl.status, headers, body: JSON.stringify(errorEnvelope(ucxl, message, path, requestId, details)) }
    }

    try {
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
      const result = await route.handler({ req, url, params, requestId, signal: controller.signal, body: readBody })
      if ('raw' in result) {
        answer = result.raw
      } else {
        answer = {
          status: result.ucxl.status,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(successEnvelope(result.ucxl, result.message, result.data, requestId))
        }
      }
    } catch (err: any) {
      // a timeout surfaces as whatever the aborted operation threw
      const reason = controller.signal.aborted ? controller.signal.reason : undefined
      const effective = reason instanceof HttpError && err?.name !== 'HttpError' ? reason : err
      const c = classifyError(effective)
      if (c.internal) log.error({ err }, 'request failed: %s %s', req.method, path)
      errorAnswer(c.ucxl, c.message, c.details)
    } finally {
      clearTimeout(timer)
      res.off('close', onClose)
    }

    if ((bodyState as string) !== 'read' && !req.readableEnded) {
      // discard an unread or refused body (up to a cap) so the client, still
      // sending, can read the answer; never keep such a connection
      res.shouldKeepAlive = false
      await drain(req, DRAIN_CAP)
    }
    if (answer != null && !res.headersSent && !res.destroyed) {
      status = answer.status
      res.writeHead(answer.status, { 'x-request-id': requestId, 'cache-control': 'no-store', ...answer.headers })
      res.end(answer.body)
    }
    if (!req.readableEnded) res.once('finish', () => req.destroy())
    this.init.onResponse?.(status)
    log.debug({ method: req.method, path, status, ms: Date.now() - started }, 'request')
  }
}
