import { request } from 'node:http'
import { connect } from 'node:net'
import type { IncomingMessage } from 'node:http'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpError, UCXL_CODES, classifyError, errorEnvelope, successEnvelope } from '../src/envelope.js'
import { ApiServer } from '../src/http-server.js'
import type { Route } from '../src/http-server.js'

/** Error-level log lines of the server, parsed. */
const logged: any[] = []
const logger = pino({ level: 'error' }, new Writable({
  write (chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) if (line !== '') logged.push(JSON.parse(line))
    cb()
  }
}))
const TOKEN = 'test-token-0123456789'

const received: Uint8Array[] = []
const routes: Route[] = [
  {
    method: 'PUT',
    url: '/echo/:name',
    async handler (ctx) {
      const body = await ctx.body()
      received.push(body)
      return { ucxl: UCXL_CODES.CREATED, message: 'stored', data: { name: ctx.params.name, size: body.length } }
    }
  },
  {
    method: 'GET',
    url: '/fail/:kind',
    async handler (ctx) {
      const err = new Error(`failing with ${ctx.params.kind}`)
      err.name = ctx.params.kind
      Object.assign(err, { field: 'agent', raw: 'ucxl://bad' })
      throw err
    }
  },
  { method: 'GET', url: '/health', public: true, async handler () { return { ucxl: UCXL_CODES.OK, message: 'healthy' } } },
  // handlers that go wrong in every way a handler can
  { method: 'GET', url: '/throw/sync', handler: (() => { throw new TypeError('sync boom') }) as unknown as Route['handler'] },
  { method: 'GET', url: '/throw/async', async handler () { await Promise.resolve(); throw new RangeError('async boom') } },
  { method: 'GET', url: '/throw/nothing', handler: (async () => undefined) as unknown as Route['handler'] },
  { method: 'GET', url: '/throw/header', async handler () { return { raw: { status: 200, headers: { 'x-bad': 'a\r\nset-cookie: x=1' }, body: 'never' } } } },
  { method: 'GET', url: '/throw/non-latin1-header', async handler () { return { raw: { status: 200, headers: { 'content-type': 'text/角色' }, body: 'never' } } } },
  { method: 'GET', url: '/throw/nul-header', async handler () { return { raw: { status: 200, headers: { 'x-bad': 'a\u0000b' }, body: 'never' } } } },
  { method: 'GET', url: '/throw/bad-status', async handler () { return { raw: { status: 42, headers: {}, body: 'never' } } } },
  { method: 'GET', url: '/slow', async handler () { return await new Promise(() => {}) } },
  {
    method: 'GET',
    url: '/list',
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1 }, tag: { type: 'string' } } } },
    async handler (ctx) { return { ucxl: UCXL_CODES.OK, message: 'listed', data: { query: ctx.query }, headers: { etag: '"7"' } } }
  },
  {
    method: 'POST',
    url: '/json',
    schema: { body: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'integer' } } } },
    async handler (ctx) { return { ucxl: UCXL_CODES.OK, message: 'parsed', data: await ctx.json() } }
  },
  {
    method: 'GET',
    url: '/wait',
    async handler () {
      await new Promise(resolve => { release = resolve })
      return { ucxl: UCXL_CODES.OK, message: 'waited' }
    }
  }
]
let release: ((v?: unknown) => void) | undefined

let server: ApiServer | undefined

/** What `onResponse` was told. */
const answered: Array<{ status: number, route: string, method: string, seconds: number }> = []

async function start (token?: string, maxBodyBytes = 1024, requestTimeout = 5_000, logTo = logger): Promise<string> {
  server = new ApiServer({ routes, logger: logTo, token, maxBodyBytes, requestTimeout, onResponse: (status, route, method, seconds) => { answered.push({ status, route, method, seconds }) } })
  const { port } = await server.start('127.0.0.1', 0)
  return `http://127.0.0.1:${port}`
}

afterEach(async () => {
  await server?.stop()
  server = undefined
  received.length = 0
  logged.length = 0
  answered.length = 0
})

/** Every named error of the packages, its status and UCXL code (README, "Codes"). */
const NAMED_ERRORS: Array<[name: string, status: number, code: string]> = [
  ['InvalidUcxlAddressError', 400, 'UCXL-400-INVALID_ADDRESS'],
  ['InvalidParametersError', 400, 'UCXL-400-BAD_REQUEST'],
  ['AccessDeniedError', 403, 'UCXL-403-FORBIDDEN'],
  ['NotFoundError', 404, 'UCXL-404-NOT_FOUND'],
  ['VersionConflictError', 409, 'UCXL-409-CONFLICT'],
  ['RecordConflictError', 409, 'UCXL-409-CONFLICT'],
  ['RecordTooLargeError', 413, 'UCXL-413-TOO_LARGE'],
  ['IntegrityError', 503, 'UCXL-503-SERVICE_UNAVAILABLE'],
  ['InvalidRecordError', 503, 'UCXL-503-SERVICE_UNAVAILABLE'],
  ['BackendUnavailableError', 503, 'UCXL-503-SERVICE_UNAVAILABLE'],
  ['NotStartedError', 503, 'UCXL-503-SERVICE_UNAVAILABLE'],
  ['TimeoutError', 504, 'UCXL-504-TIMEOUT'],
  ['AbortError', 504, 'UCXL-504-TIMEOUT']
]

/** Resolves `p`, or rejects after `ms`: a bounded wait for an answer that might never come. */
async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/** Reads a response whole. */
async function readAll (res: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of res) text += String(chunk)
  return text
}

describe('envelopes', () => {
  it('have the SPEC §9 shape', () => {
    const now = new Date('2026-01-01T00:00:00Z')
    expect(successEnvelope(UCXL_CODES.OK, 'fine', { a: 1 }, 'r1', now)).toEqual({
      response: { code: 'UCXL-200-OK', message: 'fine', data: { a: 1 }, request_id: 'r1', timestamp: '2026-01-01T00:00:00.000Z' }
    })
    expect(errorEnvelope(UCXL_CODES.INVALID_ADDRESS, 'bad', '/ucxl/x', 'r2', { field: 'agent' }, now)).toEqual({
      error: { code: 'UCXL-400-INVALID_ADDRESS', message: 'bad', details: { field: 'agent' }, source: 'chorus-dht-node', path: '/ucxl/x', request_id: 'r2', timestamp: '2026-01-01T00:00:00.000Z' }
    })
  })

  it('map error names to UCXL codes, hiding unknown errors', () => {
    const named = (name: string, extra: object = {}): Error => Object.assign(new Error('m'), { name, ...extra })
    expect(classifyError(named('InvalidUcxlAddressError', { field: 'task', raw: 'x' }))).toMatchObject({ ucxl: UCXL_CODES.INVALID_ADDRESS, details: { field: 'task' } })
    expect(classifyError(named('AccessDeniedError')).ucxl).toBe(UCXL_CODES.FORBIDDEN)
    expect(classifyError(named('MissingRecipientError', { role: 'qa_engineer' }))).toMatchObject({ ucxl: UCXL_CODES.SERVICE_UNAVAILABLE, details: { error: 'MissingRecipientError', role: 'qa_engineer' } })
    expect(classifyError(named('InvalidAuthorityRecordError', { reason: 'foreign-authority' }))).toMatchObject({ ucxl: UCXL_CODES.FORBIDDEN, details: { reason: 'foreign-authority' } })
    expect(classifyError(named('InvalidAuthorityRecordError', { reason: 'bad-signature' })).ucxl).toBe(UCXL_CODES.FORBIDDEN)
    expect(classifyError(named('InvalidAuthorityRecordError', { reason: 'unparsable' })).ucxl).toBe(UCXL_CODES.BAD_REQUEST)
    expect(classifyError(named('CertificateError', { reason: 'revoked' }))).toMatchObject({ ucxl: UCXL_CODES.FORBIDDEN, details: { error: 'CertificateError', reason: 'revoked' } })
    // the DHT wraps what its validator refused in InvalidParametersError
    expect(classifyError(named('InvalidParametersError', { cause: named('CertificateError', { reason: 'expired' }) }))).toMatchObject({ ucxl: UCXL_CODES.FORBIDDEN, details: { reason: 'expired' } })
    expect(classifyError(named('UnroutedKeyError', { key: '/CHORUS/x' }))).toMatchObject({ ucxl: UCXL_CODES.BAD_REQUEST, details: { reason: 'unrouted' } })
    expect(classifyError(named('NotFoundError')).ucxl).toBe(UCXL_CODES.NOT_FOUND)
    expect(classifyError(named('RecordTooLargeError')).ucxl).toBe(UCXL_CODES.TOO_LARGE)
    expect(classifyError(named('BackendUnavailableError')).ucxl).toBe(UCXL_CODES.SERVICE_UNAVAILABLE)
    expect(classifyError(named('InvalidParametersError')).ucxl).toBe(UCXL_CODES.BAD_REQUEST)
    expect(classifyError(named('VersionConflictError', { version: 7 }))).toMatchObject({ ucxl: UCXL_CODES.CONFLICT, details: { retryable: true, version: 7 }, internal: false })
    expect(classifyError(named('RecordConflictError'))).toMatchObject({ ucxl: UCXL_CODES.CONFLICT, details: { retryable: true } })
    for (const [name, status, code] of NAMED_ERRORS) {
      const c = classifyError(named(name))
      expect({ name, status: c.ucxl.status, code: c.ucxl.code, internal: c.internal }).toEqual({ name, status, code, internal: false })
    }
    // by name only: a message that reads like a named error is still a bug
    expect(classifyError(new Error('NotFoundError: no such thing')).ucxl).toBe(UCXL_CODES.INTERNAL_ERROR)
    expect(classifyError(new HttpError(UCXL_CODES.UNAUTHORIZED, 'who')).ucxl).toBe(UCXL_CODES.UNAUTHORIZED)
    const hidden = classifyError(new TypeError('secret detail'))
    expect(hidden).toMatchObject({ ucxl: UCXL_CODES.INTERNAL_ERROR, message: 'Internal error', internal: true })
  })
})

describe('ApiServer', () => {
  it('answers in envelopes with a request id, echoing a sane one', async () => {
    const api = await start()
    const res = await fetch(`${api}/echo/a%20b`, { method: 'PUT', body: 'hello', headers: { 'x-request-id': 'abc-123' } })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    const body: any = await res.json()
    expect(body.response).toMatchObject({ code: 'UCXL-201-CREATED', data: { name: 'a b', size: 5 }, request_id: 'abc-123' })

    const generated = await fetch(`${api}/health`, { headers: { 'x-request-id': 'bad id with spaces' } })
    const id = generated.headers.get('x-request-id')
    expect(id).not.toBe('bad id with spaces')
    expect(((await generated.json()) as any).response.request_id).toBe(id)
  })

  it('maps errors thrown by handlers to codes and paths', async () => {
    const api = await start()
    const res = await fetch(`${api}/fail/InvalidUcxlAddressError`)
    expect(res.status).toBe(400)
    const body: any = await res.json()
    expect(body.error).toMatchObject({ code: 'UCXL-400-INVALID_ADDRESS', details: { field: 'agent' }, path: '/fail/InvalidUcxlAddressError', source: 'chorus-dht-node' })
    const internal = await fetch(`${api}/fail/TypeError`)
    expect(internal.status).toBe(500)
    expect(((await internal.json()) as any).error.message).toBe('Internal error')
  })

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    const api = await start()
    const missing = await fetch(`${api}/nowhere`)
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as any).error.code).toBe('UCXL-404-NOT_FOUND')
    const wrong = await fetch(`${api}/echo/x`, { method: 'POST', body: 'x' })
    expect(wrong.status).toBe(405)
    expect(((await wrong.json()) as any).error.code).toBe('UCXL-405-METHOD_NOT_ALLOWED')
  })

  it('refuses an oversize body with 413 without calling the handler further', async () => {
    const api = await start(undefined, 1024)
    const declared = await fetch(`${api}/echo/big`, { method: 'PUT', body: new Uint8Array(4096) })
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as any).error.code).toBe('UCXL-413-TOO_LARGE')

    // chunked: no content-length, the limit is found while reading
    const chunked = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = request(`${api}/echo/stream`, { method: 'PUT' }, res => {
        let text = ''
        res.on('data', c => { text += c })
        res.on('end', () => resolve({ status: res.statusCode!, body: text }))
      })
      req.on('error', reject)
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512))
      req.end()
    })
    expect(chunked.status).toBe(413)
    expect(JSON.parse(chunked.body).error.code).toBe('UCXL-413-TOO_LARGE')
    expect(received).toHaveLength(0)

    const fits = await fetch(`${api}/echo/ok`, { method: 'PUT', body: new Uint8Array(1024) })
    expect(fits.status).toBe(201)
  })

  it('requires the bearer token: 401 when missing, 403 when wrong, health stays public', async () => {
    const api = await start(TOKEN)
    const missing = await fetch(`${api}/echo/x`, { method: 'PUT', body: 'x' })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect(((await missing.json()) as any).error.code).toBe('UCXL-401-UNAUTHORIZED')
    const wrong = await fetch(`${api}/echo/x`, { method: 'PUT', body: 'x', headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(403)
    expect(((await wrong.json()) as any).error.code).toBe('UCXL-403-FORBIDDEN')
    expect(received).toHaveLength(0)
    const right = await fetch(`${api}/echo/x`, { method: 'PUT', body: 'x', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(right.status).toBe(201)
    expect((await fetch(`${api}/health`)).status).toBe(200)
  })

  it('stops accepting on stop and is safe to stop twice', async () => {
    const api = await start()
    await server!.stop()
    await server!.stop()
    await expect(fetch(`${api}/health`)).rejects.toThrow()
  })
})

describe('ApiServer error mapping', () => {
  it('answers every named error with its SPEC §9 status and code, never 500', async () => {
    const api = await start()
    for (const [name, status, code] of NAMED_ERRORS) {
      const res = await fetch(`${api}/fail/${name}`)
      const body: any = await res.json()
      expect({ name, status: res.status, code: body.error.code }).toEqual({ name, status, code })
      expect(body.error.message).toBe(`failing with ${name}`)
      expect(body.error.details.error).toBe(name)
    }
    const conflict: any = await (await fetch(`${api}/fail/VersionConflictError`)).json()
    expect(conflict.error.details).toMatchObject({ retryable: true })
    const invalid: any = await (await fetch(`${api}/fail/InvalidUcxlAddressError`)).json()
    expect(invalid.error.details).toMatchObject({ field: 'agent', raw: 'ucxl://bad' })
    expect(logged).toEqual([])
  })

  it('answers 500 for a handler that throws (sync or async), returns nothing or makes unwritable headers, and logs the stack', async () => {
    const api = await start()
    for (const kind of ['sync', 'async', 'nothing', 'header', 'non-latin1-header', 'nul-header', 'bad-status']) {
      const res = await within(fetch(`${api}/throw/${kind}`), 5_000, kind)
      expect({ kind, status: res.status }).toEqual({ kind, status: 500 })
      const body: any = await res.json()
      expect(body.error).toMatchObject({ code: 'UCXL-500-INTERNAL_ERROR', message: 'Internal error', path: `/throw/${kind}` })
      expect(res.headers.get('set-cookie')).toBeNull()
    }
    const stacks = logged.filter(l => l.level === 50 && typeof l.err?.stack === 'string')
    expect(stacks.length).toBeGreaterThanOrEqual(7)
    expect(stacks.some(l => l.err.stack.includes('sync boom'))).toBe(true)
    // the server still serves
    expect((await fetch(`${api}/health`)).status).toBe(200)
  })

  it('answers 504 at the deadline even when the handler ignores its signal', async () => {
    const api = await start(undefined, 1024, 300)
    const res = await within(fetch(`${api}/slow`), 5_000, 'slow handler')
    expect(res.status).toBe(504)
    expect(((await res.json()) as any).error.code).toBe('UCXL-504-TIMEOUT')
  })
})

describe('ApiServer body limits', () => {
  /** Sends the headers of a PUT declaring `length` bytes and no body; resolves the answer. */
  async function headersOnly (api: string, headers: Record<string, string>): Promise<{ status: number, body: string, headers: IncomingMessage['headers'] }> {
    const req = request(`${api}/echo/big`, { method: 'PUT', headers })
    try {
      const answered = new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve)
        req.once('error', reject)
      })
      req.flushHeaders()
      const res = await within(answered, 5_000, 'the 413 before the body')
      return { status: res.statusCode!, body: await within(readAll(res), 5_000, 'the 413 body'), headers: res.headers }
    } finally {
      req.destroy()
    }
  }

  it('answers 413 from Content-Length before a byte of the body is sent, then closes', async () => {
    const api = await start(undefined, 1024)
    for (const length of [10 * 1024 * 1024 * 1024, 2048]) {
      const res = await headersOnly(api, { 'content-length': String(length) })
      expect(res.status).toBe(413)
      expect(res.headers.connection).toBe('close')
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'UCXL-413-TOO_LARGE', details: { size: length, limit: 1024 } })
    }
    expect(received).toHaveLength(0)
  })

  it('keeps the connection of a request whose body was read or that had none', async () => {
    const api = await start(undefined, 1024)
    const connection = async (method: string, path: string, body?: string): Promise<string | undefined> => {
      const res = await fetch(`${api}${path}`, { method, body })
      await res.arrayBuffer()
      return res.headers.get('connection') ?? undefined
    }
    expect(await connection('GET', '/health')).toBe('keep-alive')
    expect(await connection('PUT', '/echo/x', 'small')).toBe('keep-alive')
    // an unread body that was still coming: the connection is not reused
    const declared = await headersOnly(api, { 'content-length': '4096' })
    expect(declared.headers.connection).toBe('close')
  })

  it('answers 413 instead of 100 Continue to Expect: 100-continue with an oversize Content-Length', async () => {
    const api = await start(undefined, 1024)
    let continued = false
    const req = request(`${api}/echo/big`, { method: 'PUT', headers: { 'content-length': String(1 << 30), expect: '100-continue' } })
    req.on('continue', () => { continued = true })
    try {
      const answered = new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve)
        req.once('error', reject)
      })
      req.flushHeaders()
      const res = await within(answered, 5_000, 'the 413')
      expect(res.statusCode).toBe(413)
      expect(continued).toBe(false)
    } finally {
      req.destroy()
    }
  })

  it('keeps the streaming limit: a chunked body that never ends still gets its 413', async () => {
    const api = await start(undefined, 1024)
    const req = request(`${api}/echo/stream`, { method: 'PUT' })
    try {
      const answered = new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve)
        req.once('error', reject)
      })
      req.write(Buffer.alloc(2048))
      const res = await within(answered, 5_000, 'the streaming 413')
      expect(res.statusCode).toBe(413)
      expect(JSON.parse(await within(readAll(res), 5_000, 'the 413 body')).error.code).toBe('UCXL-413-TOO_LARGE')
    } finally {
      req.destroy()
    }
    expect(received).toHaveLength(0)
  })
})

describe('ApiServer on fastify', () => {
  it('validates query strings: unknown or malformed parameters are a 400 naming them', async () => {
    const api = await start()
    const ok = await fetch(`${api}/list?limit=3&tag=x`)
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as any).response.data.query).toEqual({ limit: 3, tag: 'x' })
    for (const [query, message] of [['offset=1', 'unknown query parameter offset'], ['limit=abc', 'query parameter limit must be integer'], ['limit=0', 'query parameter limit must be >= 1']]) {
      const res = await fetch(`${api}/list?${query}`)
      const body: any = await res.json()
      expect({ query, status: res.status, code: body.error.code, message: body.error.message }).toEqual({ query, status: 400, code: 'UCXL-400-BAD_REQUEST', message })
    }
  })

  it('validates JSON bodies against the route schema', async () => {
    const api = await start()
    const ok = await fetch(`${api}/json`, { method: 'POST', body: '{"n":2}', headers: { 'content-type': 'application/json' } })
    expect(((await ok.json()) as any).response.data).toEqual({ n: 2 })
    for (const body of ['{"n":"two"}', '{"n":1,"m":2}', '[]', 'nope']) {
      const res = await fetch(`${api}/json`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      expect({ body, status: res.status }).toEqual({ body, status: 400 })
    }
  })

  it('answers HEAD for every GET route with its headers and no body, and 405 with Allow', async () => {
    const api = await start()
    const head = await fetch(`${api}/list`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('etag')).toBe('"7"')
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0)
    expect(await head.text()).toBe('')
    const wrong = await fetch(`${api}/list`, { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('GET, HEAD')
  })

  it('reports every answer with its route pattern and logs one access line per request', async () => {
    const lines: any[] = []
    const info = pino({ level: 'info' }, new Writable({ write (chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l)); cb() } }))
    const api = await start(undefined, 1024, 5_000, info)
    await (await fetch(`${api}/echo/abc`, { method: 'PUT', body: 'x', headers: { 'x-request-id': 'req-1' } })).arrayBuffer()
    await (await fetch(`${api}/nowhere`)).arrayBuffer()
    await (await fetch(`${api}/throw/async`)).arrayBuffer()
    await waitUntil(() => answered.length === 3)
    expect(answered.map(a => [a.status, a.route, a.method])).toEqual([[201, '/echo/:name', 'PUT'], [404, 'unmatched', 'GET'], [500, '/throw/async', 'GET']])
    for (const a of answered) expect(a.seconds).toBeGreaterThan(0)
    const access = lines.filter(l => l.msg === 'request')
    expect(access.map(l => [l.level, l.status, l.path])).toEqual([[30, 201, '/echo/abc'], [30, 404, '/nowhere'], [40, 500, '/throw/async']])
    expect(access[0]).toMatchObject({ request_id: 'req-1', method: 'PUT', route: '/echo/:name' })
  })

  it('lets an in-flight request finish when it stops', async () => {
    const api = await start()
    const pending = fetch(`${api}/wait`)
    await waitUntil(() => release != null)
    const stopped = server!.stop()
    release!()
    const res = await within(pending, 5_000, 'the in-flight request')
    expect(res.status).toBe(200)
    await stopped
    release = undefined
  })

  it('answers 503 in an envelope to a request that arrives on an open connection while it stops', async () => {
    const api = await start()
    const socket = connect(Number(new URL(api).port), '127.0.0.1')
    let text = ''
    socket.on('data', d => { text += String(d) })
    await new Promise(resolve => socket.once('connect', resolve))
    socket.write('GET /wait HTTP/1.1\r\nhost: x\r\n\r\n')
    await waitUntil(() => release != null)
    let late = false
    server!.fastify!.server.on('request', req => { if (req.url === '/health') late = true })
    const stopped = server!.stop()
    socket.write('GET /health HTTP/1.1\r\nhost: x\r\nx-request-id: late-1\r\n\r\n')
    await waitUntil(() => late)
    release!()
    await within(new Promise(resolve => socket.once('close', resolve)), 5_000, 'the connection to close')
    await stopped
    release = undefined
    const answers = text.split(/(?=HTTP\/1\.1 )/)
    expect(answers.map(a => a.slice(0, 12))).toEqual(['HTTP/1.1 200', 'HTTP/1.1 503'])
    const envelope = JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4))
    expect(envelope.error).toMatchObject({ code: 'UCXL-503-SERVICE_UNAVAILABLE', request_id: 'late-1', details: { retryable: true } })
  })

  it('sends no CORS headers without configured origins', async () => {
    const api = await start()
    const res = await fetch(`${api}/health`, { headers: { origin: 'https://app.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

/** Polls a condition (a few ms apart) until it holds, for at most 5 s. */
async function waitUntil (condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
