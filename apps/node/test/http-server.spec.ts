import { request } from 'node:http'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpError, UCXL_CODES, classifyError, errorEnvelope, successEnvelope } from '../src/envelope.js'
import { ApiServer } from '../src/http-server.js'
import type { Route } from '../src/http-server.js'

const logger = pino({ level: 'silent' })
const TOKEN = 'test-token-0123456789'

const received: Uint8Array[] = []
const routes: Route[] = [
  {
    method: 'PUT',
    pattern: /^\/echo\/(?<name>[^/]+)$/,
    async handler (ctx) {
      const body = await ctx.body()
      received.push(body)
      return { ucxl: UCXL_CODES.CREATED, message: 'stored', data: { name: ctx.params.name, size: body.length } }
    }
  },
  {
    method: 'GET',
    pattern: /^\/fail\/(?<kind>[^/]+)$/,
    async handler (ctx) {
      const err = new Error(`failing with ${ctx.params.kind}`)
      err.name = ctx.params.kind
      Object.assign(err, { field: 'agent', raw: 'ucxl://bad' })
      throw err
    }
  },
  { method: 'GET', pattern: /^\/health$/, public: true, async handler () { return { ucxl: UCXL_CODES.OK, message: 'healthy' } } }
]

let server: ApiServer | undefined

async function start (token?: string, maxBodyBytes = 1024): Promise<string> {
  server = new ApiServer({ routes, logger, token, maxBodyBytes, requestTimeout: 5_000 })
  const { port } = await server.start('127.0.0.1', 0)
  return `http://127.0.0.1:${port}`
}

afterEach(async () => {
  await server?.stop()
  server = undefined
  received.length = 0
})

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
    expect(classifyError(named('NotFoundError')).ucxl).toBe(UCXL_CODES.NOT_FOUND)
    expect(classifyError(named('RecordTooLargeError')).ucxl).toBe(UCXL_CODES.TOO_LARGE)
    expect(classifyError(named('BackendUnavailableError')).ucxl).toBe(UCXL_CODES.SERVICE_UNAVAILABLE)
    expect(classifyError(named('InvalidParametersError')).ucxl).toBe(UCXL_CODES.BAD_REQUEST)
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
