import { ApiError } from './errors.js'

/** Init of {@link ApiClient}. */
export interface ApiClientInit {
  /** Base URL of the node's API, e.g. `http://127.0.0.1:8080`. */
  api: string
  /** Bearer token, when the node requires one. */
  token?: string
  /** Per-request timeout, ms. @default 30000 */
  timeout?: number
}

/** A parsed API answer. */
export interface ApiAnswer<T = any> {
  status: number
  headers: Headers
  body: T
}

/**
 * A small client of the node's HTTP API, used by the CLI's client commands.
 * Error envelopes become {@link ApiError}.
 */
export class ApiClient {
  private readonly init: Required<Pick<ApiClientInit, 'api' | 'timeout'>> & ApiClientInit

  constructor (init: ApiClientInit) {
    this.init = { timeout: 30_000, ...init, api: init.api.replace(/\/+$/, '') }
  }

  /** Sends a request; resolves the JSON envelope's `response`, or rejects with {@link ApiError}. */
  async request<T = any> (method: string, path: string, options: { body?: Uint8Array | string, headers?: Record<string, string> } = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (this.init.token != null) headers.authorization = `Bearer ${this.init.token}`
    let res: Response
    try {
      res = await fetch(`${this.init.api}${path}`, {
        method,
        headers,
        body: options.body as any,
        signal: AbortSignal.timeout(this.init.timeout)
      })
    } catch (err: any) {
      throw new Error(`cannot reach the node API at ${this.init.api}: ${err.cause?.code ?? err.message}`, { cause: err })
    }
    const type = res.headers.get('content-type') ?? ''
    if (type.includes('application/json')) {
      const body: any = await res.json()
      if (body?.error != null) throw new ApiError(res.status, body.error.code, body.error.message, body)
      return { status: res.status, headers: res.headers, body }
    }
    const text = await res.text()
    if (!res.ok) throw new ApiError(res.status, `HTTP-${res.status}`, text, text)
    return { status: res.status, headers: res.headers, body: text as any }
  }
}

/** Every item of a paginated list endpoint (`/search`, `/content`, `/ucxl/<address>/history`). */
export interface ListAll<T> {
  items: T[]
  /** `total` of the last page. */
  total: number
}

/**
 * Reads every page of a list endpoint: follows `next_cursor` until it is
 * null, at most `max` items. `field` names the list in `data` (`results`,
 * `versions`).
 */
export async function listAll<T = any> (client: ApiClient, path: string, field: string, options: { headers?: Record<string, string>, max?: number } = {}): Promise<ListAll<T>> {
  const items: T[] = []
  const max = options.max ?? Number.POSITIVE_INFINITY
  let cursor: string | null = null
  let total = 0
  do {
    const sep = path.includes('?') ? '&' : '?'
    const answer: ApiAnswer = await client.request('GET', cursor == null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`, { headers: options.headers })
    const data = answer.body.response.data
    items.push(...(data[field] as T[]))
    total = data.total
    cursor = data.next_cursor
  } while (cursor != null && items.length < max)
  return { items: items.slice(0, max), total }
}

/** URL-encodes a UCXL address for a path segment. */
export function encodeAddress (address: string): string {
  return encodeURIComponent(address)
}
