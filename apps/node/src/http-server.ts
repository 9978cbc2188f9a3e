// Over 400 lines: one class, the life of a request on fastify (auth, body
// limits before reading, the deadline, the answer, the drain on stop),
// whose hooks share one per-request state. Its parts without that state
// live in src/http/: route types (route.ts), header encoding (headers.ts),
// answers and envelopes (answer.ts), schemas, pagination, snake_case.
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import fastifyCors from '@fastify/cors'
import fastifySwagger from '@fastify/swagger'
import { Ajv } from 'ajv'
import { fastify } from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import { HttpError, UCXL_CODES, classifyError, errorEnvelope } from './envelope.js'
import { AbortError } from '@chorus-dht/types'
import type { Logger as PinoLogger } from 'pino'
import { checkAnswer, declaredLength, errorAnswer, toAnswer, validationMessage } from './http/answer.js'
import type { Answer } from './http/answer.js'
import type { ApiServerInit, RequestContext, Route } from './http/route.js'

export type { ApiServerInit, EnvelopeResult, RawResult, RequestContext, Route, RouteResult, RouteSchema } from './http/route.js'
export { contentTypeHeader, encodeHeaderValue, ifNoneMatch } from './http/headers.js'

/**
 * Bytes of an unread or refused body read and discarded after the answer is
 * written, so that the client, still sending, reads the answer instead of a
 * connection reset. A body declared larger is not read at all.
 */
const DRAIN_CAP = 8 * 1024 * 1024

/** How long an unread body is drained before the connection is closed, ms. */
const DRAIN_TIMEOUT = 5_000

/** Longest path parameter (an encoded UCXL address), characters; longer: 404. */
const MAX_PARAM_LENGTH = 4096

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

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

function digest (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

/** Methods a path answers 405 to when no route has them (OPTIONS belongs to CORS). */
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'] as const

/** Per-request state the server keeps. */
interface RequestState {
  started: bigint
  controller: AbortController
  timer?: NodeJS.Timeout
  bodyState: 'unread' | 'reading' | 'read' | 'rejected'
  declared?: number
  log: PinoLogger
}

declare module 'fastify' {
  interface FastifyRequest {
    chorus: RequestState
  }
  interface FastifyContextConfig {
    /** Reachable without the bearer token. */
    public?: boolean
    /** A filler route answering 405. */
    methodNotAllowed?: boolean
  }
}

/**
 * The node's HTTP server on fastify: routing with JSON-schema validation of
 * query strings and path parameters, CORS, HEAD, the OpenAPI document at
 * `/openapi.json`, bearer-token auth, body limits (413 from Content-Length
 * before the body is read), request deadlines (504), request ids and the UCXL
 * envelopes of SPEC §9. Every request is answered.
 */
export class ApiServer {
  private readonly init: ApiServerInit
  private app?: FastifyInstance
  private readonly ajv: Ajv
  private readonly bodyValidators = new Map<Route, (data: unknown) => boolean>()
  /** Set by stop(): requests still arriving on open connections get a 503 envelope. */
  private closing = false

  constructor (init: ApiServerInit) {
    this.init = init
    // unknown query parameters are an error (not removed): additionalProperties: false
    this.ajv = new Ajv({ coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  }

  /** The fastify instance (after `start`); `inject` works on it. */
  get fastify (): FastifyInstance | undefined {
    return this.app
  }

  /** Listens; resolves the bound address. */
  async start (host: string, port: number): Promise<{ host: string, port: number }> {
    if (this.app != null) {
      const a = this.app.server.address() as AddressInfo
      return { host: a.address, port: a.port }
    }
    const app = await this.build()
    await app.listen({ host, port })
    this.app = app
    const a = app.server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  /** Stops accepting, lets in-flight requests finish within `timeout` ms, then closes every connection. */
  async stop (timeout = 5_000): Promise<void> {
    const app = this.app
    if (app == null) return
    this.app = undefined
    this.closing = true
    const closed = app.close()
    app.server.closeIdleConnections()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([closed, new Promise<void>(resolve => { timer = setTimeout(resolve, timeout) })])
    clearTimeout(timer)
    app.server.closeAllConnections()
    await closed
  }

  /** Builds the fastify instance with every route. */
  private async build (): Promise<FastifyInstance> {
    const limit = this.init.maxBodyBytes
    const app = fastify({
      // the node's own http.Server: `Expect: 100-continue` for a body
      // declared over the limit gets the 413 instead of 100
      serverFactory: handler => {
        const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
          if (this.closing) {
            unavailable(req, res)
            return
          }
          handler(req, res)
        }
        const server: Server = createServer(onRequest)
        server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
          if (!this.closing && !((declaredLength(req) ?? 0) > limit)) res.writeContinue()
          onRequest(req, res)
        })
        return server
      },
      keepAliveTimeout: 5_000,
      forceCloseConnections: false,
      // the 503 while stopping is the server's own, in an envelope (see `unavailable`)
      return503OnClosing: false,
      exposeHeadRoutes: true,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      bodyLimit: limit,
      // no fastify logger: the server writes one access line per request itself
      logger: false,
      genReqId: req => {
        const incoming = req.headers['x-request-id']
        return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
      },
      frameworkErrors: (err, request, reply) => {
        // malformed URL encoding and the like, before any route
        void this.sendError(request, reply, new HttpError(UCXL_CODES.BAD_REQUEST, `malformed request: ${err.message}`))
      }
    })
    // query strings and path parameters: validated, unknown query parameters refused;
    // bodies are read by the handlers (lazily, after auth and the address check)
    app.setValidatorCompiler(({ schema, httpPart }) => {
      if (httpPart === 'body') return () => true
      return this.ajv.compile(schema as object) as any
    })
    // answers are serialized by the server itself; response schemas document them
    app.setSerializerCompiler(() => data => JSON.stringify(data))
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_req, _payload, done) => { done(null, undefined) })

    app.decorateRequest('chorus', null as unknown as RequestState)
    app.addHook('onRequest', async (request, reply) => {
      const declared = declaredLength(request.raw)
      const controller = new AbortController()
      // one request fans out into many DHT operations, each listening on it
      setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
      const state: RequestState = {
        started: process.hrtime.bigint(),
        controller,
        bodyState: 'unread',
        declared,
        log: this.init.logger.child({ request_id: request.id })
      }
      request.chorus = state
      state.timer = setTimeout(() => { controller.abort(new HttpError(UCXL_CODES.TIMEOUT, `request timed out after ${this.init.requestTimeout} ms`)) }, this.init.requestTimeout)
      const res = reply.raw
      res.once('close', () => {
        clearTimeout(state.timer)
        // named, so that what a vanished client leaves behind is not logged as a bug
        if (!res.writableFinished) controller.abort(new AbortError('the client went away'))
        this.finished(request, res)
      })
      reply.header('x-request-id', request.id)
      reply.header('cache-control', 'no-store')
    })
    // CORS answers preflights in its onRequest hook, before the token check
    const origins = this.init.cors ?? []
    await app.register(fastifyCors, {
      origin: origins.length > 0 ? origins : false,
      methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-chorus-role', 'x-request-id', 'if-none-match'],
      exposedHeaders: ['etag', 'x-request-id', 'x-ucxl-address', 'x-ucxl-version', 'x-ucxl-content-type', 'x-ucxl-creator-role', 'www-authenticate'],
      maxAge: 600
    })
    app.addHook('onRequest', async request => {
      if (request.method === 'OPTIONS') return
      const config = request.routeOptions.config
      if (config.public !== true) {
        const auth = this.authorized(request.raw)
        if (auth === 'missing') throw new HttpError(UCXL_CODES.UNAUTHORIZED, 'a bearer token is required (Authorization: Bearer <token>)')
        if (auth === 'wrong') throw new HttpError(UCXL_CODES.FORBIDDEN, 'the bearer token is not valid')
      }
      const declared = request.chorus.declared
      if (!request.is404 && config.methodNotAllowed !== true && declared != null && declared > limit) {
        // refused before the handler runs or a byte of the body is read
        throw new HttpError(UCXL_CODES.TOO_LARGE, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { size: declared, limit })
      }
    })
    app.setErrorHandler(async (err, request, reply) => { await this.sendError(request, reply, err) })
    app.setNotFoundHandler(async (request, reply) => {
      await this.sendError(request, reply, new HttpError(UCXL_CODES.NOT_FOUND, `no endpoint at ${new URL(request.url, 'http://localhost').pathname}`))
    })

    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: this.init.openapi?.title ?? 'chorus-dht node API',
          version: this.init.openapi?.version ?? '0.0.0',
          ...(this.init.openapi?.description != null ? { description: this.init.openapi.description } : {})
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        ...(this.init.token != null ? { security: [{ bearer: [] }] } : {})
      },
      hideUntagged: false
    })

    const byUrl = new Map<string, Set<string>>()
    for (const route of this.init.routes) {
      const methods = byUrl.get(route.url) ?? new Set<string>()
      methods.add(route.method)
      if (route.method === 'GET') methods.add('HEAD')
      byUrl.set(route.url, methods)
      if (route.schema?.body != null) this.bodyValidators.set(route, this.ajv.compile(route.schema.body as object))
      const { hide, ...schema } = route.schema ?? {}
      app.route({
        method: route.method,
        url: route.url,
        schema: {
          // a route that names no query parameters takes none: any is a 400
          querystring: { type: 'object', additionalProperties: false, properties: {} },
          ...schema,
          ...(hide === true ? { hide: true } : {}),
          ...(route.public === true ? { security: [] } : {})
        } as FastifySchema,
        config: { public: route.public === true },
        handler: async (request, reply) => { await this.dispatch(route, request, reply) }
      })
    }
    for (const [url, methods] of byUrl) {
      const others = METHODS.filter(m => !methods.has(m))
      if (others.length === 0) continue
      const allowed = [...methods].join(', ')
      app.route({
        method: others,
        url,
        schema: { hide: true } as FastifySchema,
        config: { methodNotAllowed: true },
        exposeHeadRoute: false,
        handler: async (request, reply) => {
          reply.header('allow', allowed)
          await this.sendError(request, reply, new HttpError(UCXL_CODES.METHOD_NOT_ALLOWED, `${request.method} is not allowed on ${url}; allowed: ${allowed}`))
        }
      })
    }
    app.route({
      method: 'GET',
      url: '/openapi.json',
      schema: { hide: true } as FastifySchema,
      config: { public: true },
      handler: async (request, reply) => {
        await this.send(request, reply, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(app.swagger()), 'utf8') })
      }
    })
    await app.ready()
    return app
  }

  /** Counts and logs one answer once its connection is done with it. */
  private finished (request: FastifyRequest, res: ServerResponse): void {
    const state = request.chorus
    if (state == null) return
    const seconds = Number(process.hrtime.bigint() - state.started) / 1e9
    const status = res.statusCode
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched')
    this.init.onResponse?.(status, route, request.method, seconds)
    const line = { method: request.method, path: new URL(request.url, 'http://localhost').pathname, route, status, duration_seconds: seconds, ...(res.writableFinished ? {} : { aborted: true }) }
    if (status >= 500) state.log.warn(line, 'request')
    else state.log.info(line, 'request')
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

  /** Runs a route's handler and answers with what it returns or throws. */
  private async dispatch (route: Route, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = request.chorus
    const signal = state.controller.signal
    const ctx: RequestContext = {
      req: request.raw,
      url: new URL(request.url, 'http://localhost'),
      params: { ...(request.params as Record<string, string>) },
      query: { ...(request.query as Record<string, unknown>) },
      requestId: request.id,
      signal,
      body: async () => await this.readBody(request),
      json: async () => {
        const bytes = await this.readBody(request)
        let parsed: unknown
        try {
          parsed = JSON.parse(Buffer.from(bytes).toString('utf8'))
        } catch {
          throw new HttpError(UCXL_CODES.BAD_REQUEST, 'the body must be JSON')
        }
        const validate = this.bodyValidators.get(route)
        if (validate != null && !validate(parsed)) {
          throw new HttpError(UCXL_CODES.BAD_REQUEST, `invalid body: ${this.ajv.errorsText((validate as any).errors, { dataVar: 'body' })}`)
        }
        return parsed as any
      }
    }
    let answer: Answer
    try {
      // a handler that ignores its signal still answers at the deadline
      const result = await Promise.race([Promise.resolve().then(async () => await route.handler(ctx)), rejectOnAbort(signal)])
      answer = toAnswer(result, request.id)
    } catch (err: any) {
      // a timeout surfaces as whatever the aborted operation threw
      const reason = signal.aborted ? signal.reason : undefined
      const effective = reason instanceof HttpError && err?.name !== 'HttpError' ? reason : err
      await this.sendError(request, reply, effective, err)
      return
    } finally {
      clearTimeout(state.timer)
    }
    await this.send(request, reply, answer)
  }

  /** Answers with the error envelope of `err` (classified by name); unknown errors are logged with their stack. */
  private async sendError (request: FastifyRequest, reply: FastifyReply, err: any, original: any = err): Promise<void> {
    const path = new URL(request.url, 'http://localhost').pathname
    let c = classifyError(err)
    if (err?.code === 'FST_ERR_VALIDATION' && Array.isArray(err.validation)) {
      c = { ucxl: UCXL_CODES.BAD_REQUEST, message: validationMessage(err), details: { error: 'ValidationError', validation: err.validation.map((v: any) => ({ path: `${err.validationContext ?? ''}${v.instancePath ?? ''}`, message: v.message, params: v.params })) }, internal: false }
    }
    const log = request.chorus?.log ?? this.init.logger.child({ request_id: request.id })
    if (c.internal) log.error({ err: original }, 'request failed: %s %s', request.method, path)
    const answer = errorAnswer(c.ucxl, c.message, path, request.id, c.details)
    await this.send(request, reply, answer)
  }

  /** Reads the body once, enforcing the size limit. */
  private async readBody (request: FastifyRequest): Promise<Uint8Array> {
    const state = request.chorus
    const req = request.raw
    const limit = this.init.maxBodyBytes
    const declared = state.declared
    const tooLarge = (): HttpError => declared != null
      ? new HttpError(UCXL_CODES.TOO_LARGE, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, { size: declared, limit })
      : new HttpError(UCXL_CODES.TOO_LARGE, `request body exceeds the limit of ${limit} bytes`, { limit })
    if (state.bodyState !== 'unread') throw new Error('the request body can be read once')
    if (declared != null && declared > limit) {
      state.bodyState = 'rejected'
      throw tooLarge()
    }
    if (req.complete && req.readableLength === 0 && declared == null) {
      state.bodyState = 'read'
      return new Uint8Array(0)
    }
    state.bodyState = 'reading'
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
          state.bodyState = 'rejected'
          reject(tooLarge())
          return
        }
        chunks.push(chunk)
      }
      const onEnd = (): void => {
        cleanup()
        state.bodyState = 'read'
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
      if (req.readableEnded) onEnd()
    })
  }

  /**
   * Writes an answer. Headers are checked first: an answer whose headers
   * cannot be written (a value a handler made of bad data) becomes a 500.
   * A request whose body was not read whole is answered on the raw response,
   * with `Connection: close`, after which a body declared up to
   * {@link DRAIN_CAP} is drained so the client reads the answer rather than
   * a connection reset.
   */
  private async send (request: FastifyRequest, reply: FastifyReply, answer: Answer): Promise<void> {
    const res = reply.raw
    if (res.headersSent || res.destroyed || reply.sent) return
    const log = request.chorus?.log ?? this.init.logger
    try {
      checkAnswer(answer)
    } catch (err: any) {
      log.error({ err }, 'could not write the answer to %s', request.url)
      answer = errorAnswer(UCXL_CODES.INTERNAL_ERROR, 'Internal error', new URL(request.url, 'http://localhost').pathname, request.id)
    }
    const state = request.chorus
    const req = request.raw
    // `complete`: the whole message went through the parser (a request without
    // a body, or a small one the handler did not read), so the connection can serve the next
    const unread = state != null && !req.complete && state.bodyState !== 'read'
    if (!unread) {
      // fastify's HEAD routes send the headers of the GET answer (Content-Length included) without its body
      reply.code(answer.status).headers(answer.headers).send(answer.status === 304 ? undefined : answer.body)
      return
    }
    reply.hijack()
    const declared = state.declared
    const drainFirst = declared == null || declared <= DRAIN_CAP
    const headers: Record<string, string | string[] | number> = {}
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v != null) headers[k] = v as string | string[] | number
    Object.assign(headers, answer.headers, { 'content-length': String(answer.body.byteLength), connection: 'close' })
    try {
      res.writeHead(answer.status, headers)
      const body = request.method === 'HEAD' ? Buffer.alloc(0) : answer.body
      if (drainFirst) res.write(body)
      else res.end(body)
    } catch (err: any) {
      log.error({ err }, 'could not write the answer to %s', request.url)
      res.destroy()
      return
    }
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
  }
}

/** The answer to a request that arrives while the server stops: 503, and the connection closes. */
function unavailable (req: IncomingMessage, res: ServerResponse): void {
  const incoming = req.headers['x-request-id']
  const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  const body = JSON.stringify(errorEnvelope(UCXL_CODES.SERVICE_UNAVAILABLE, 'the node is stopping', path, requestId, { error: 'NotStartedError', retryable: true }))
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': requestId, 'cache-control': 'no-store', connection: 'close' })
  res.end(body)
  req.resume()
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
