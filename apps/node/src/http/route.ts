import type { FastifySchema } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { UcxlCode } from '../envelope.js'
import type { Logger as PinoLogger } from 'pino'

/** What a route handler gets. */
export interface RequestContext {
  /** The Node.js request (headers, method). */
  req: IncomingMessage
  url: URL
  /** The route's path parameters, URL-decoded. */
  params: Record<string, string>
  /** The query parameters, validated and coerced by the route's `querystring` schema. */
  query: Record<string, any>
  requestId: string
  /** Aborts when the request times out or the client goes away. */
  signal: AbortSignal
  /** Reads the whole body, enforcing the size limit (413). */
  body(): Promise<Uint8Array>
  /** Reads the body as JSON and validates it against the route's `body` schema (400 otherwise). */
  json<T = any>(): Promise<T>
}

/** A JSON envelope answer. */
export interface EnvelopeResult {
  ucxl: UcxlCode
  message: string
  data?: unknown
  /** Extra response headers (`ETag`, `Cache-Control`). */
  headers?: Record<string, string>
}

/** A non-envelope answer (Prometheus text, raw content, 304). */
export interface RawResult {
  raw: {
    status: number
    headers: Record<string, string>
    body: string | Uint8Array
  }
}

/** What a route handler returns. */
export type RouteResult = EnvelopeResult | RawResult

/** The route's schema: fastify's, with OpenAPI's `summary`, `description` and `tags`. */
export interface RouteSchema extends FastifySchema {
  summary?: string
  description?: string
  tags?: string[]
  /** Documented, validated by {@link RequestContext.json} when the handler reads the body. */
  body?: unknown
  /** Hidden from the OpenAPI document. */
  hide?: boolean
  security?: Array<Record<string, string[]>>
}

/** One route. */
export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** A fastify path: `/ucxl/:address`. */
  url: string
  /** Reachable without the bearer token (the probes, the OpenAPI document). */
  public?: boolean
  schema?: RouteSchema
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
  /** Origins allowed by CORS (`api.cors`). @default none: no CORS headers */
  cors?: string[]
  /** `info` of the OpenAPI document. */
  openapi?: { title?: string, version?: string, description?: string }
  /** Called with every answer: status, route pattern (`/ucxl/:address`, `unmatched`), method and duration in seconds (metrics). */
  onResponse?(status: number, route: string, method: string, seconds: number): void
}
