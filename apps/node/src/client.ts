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

/** URL-encodes a UCXL address for a path segment. */
export function encodeAddress (address: string): string {
  return encodeURIComponent(address)
}
