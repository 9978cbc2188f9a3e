/**
 * Claims of the node README (Operations, Liveness and readiness, Codes,
 * Data directory), each tested on real node processes from the outside:
 * signals, a held HTTP request, a port bound by the test, a peer killed or
 * paused with SIGSTOP. Nothing waits a fixed time; the only timers are the
 * bounds the claims themselves promise.
 */
import { request } from 'node:http'
import type { ClientRequest } from 'node:http'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enc, getJson, killAll, startNode, stopNode, waitFor } from './helpers.js'
import type { TestNode } from './helpers.js'

const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/claims/held'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-node-claims-'))
})

afterAll(async () => {
  await killAll()
  if (root != null) await rm(root, { recursive: true, force: true })
})

/** A PUT the node has accepted and whose body it is still waiting for. */
interface HeldRequest {
  req: ClientRequest
  /** Status and body of the answer; rejects when the connection is cut. */
  answer: Promise<{ status: number, body: string }>
  /** Sends the rest of the body. */
  finish(): void
}

const HELD_BODY = 'held in flight by the test'

/**
 * Starts a PUT of {@link HELD_BODY} with `Expect: 100-continue` and sends
 * only its first byte once the node answered `100 Continue`: from then on
 * the node's handler is running and waits for the rest of the body (an
 * in-flight request the HTTP stage of shutdown waits for).
 */
async function holdRequest (node: TestNode, address = ADDRESS): Promise<HeldRequest> {
  const url = new URL(`${node.api}/ucxl/${enc(address)}`)
  const body = Buffer.from(HELD_BODY)
  const req = request(url, {
    method: 'PUT',
    agent: false,
    headers: { 'content-type': 'text/plain', 'content-length': String(body.length), expect: '100-continue' }
  })
  const answer = new Promise<{ status: number, body: string }>((resolve, reject) => {
    req.once('response', res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', d => { text += d })
      res.once('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
      res.once('error', reject)
    })
    req.once('error', reject)
  })
  // the node's exit cuts the connection: that rejection is expected by some tests
  answer.catch(() => {})
  const continued = new Promise<void>((resolve, reject) => {
    req.once('continue', resolve)
    req.once('error', reject)
    answer.then(a => { reject(new Error(`answered ${a.status} before 100 Continue: ${a.body}`)) }, reject)
  })
  req.flushHeaders()
  await continued
  req.write(body.subarray(0, 1))
  return { req, answer, finish: () => { req.end(body.subarray(1)) } }
}

/** Resolves what `p` resolves, or undefined when it has not settled after `ms`. */
async function within<T> (p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const v = await Promise.race([p, new Promise<undefined>(resolve => { timer = setTimeout(() => resolve(undefined), ms) })])
  clearTimeout(timer)
  return v
}

/** Listens on a free TCP port of 127.0.0.1 and keeps it, so that nobody else can bind it. */
async function occupyPort (): Promise<{ server: Server, port: number }> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, port: (server.address() as { port: number }).port })
    })
  })
}

async function connectedPeers (node: TestNode): Promise<string[]> {
  const { body } = await getJson(`${node.api}/peers`)
  return body.response.data.peers.map((p: any) => p.id)
}

async function putText (node: TestNode, address: string, content: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${node.api}/ucxl/${enc(address)}`, { method: 'PUT', body: content, headers: { 'content-type': 'text/plain' } })
  return { status: res.status, body: await res.json() }
}

// generous ceilings for a loaded machine
describe('Operations: SIGINT / SIGTERM', { timeout: 120_000 }, () => {
  it('exits 1 when a stage of shutdown outlasts shutdownTimeout (an in-flight request that never finishes)', async () => {
    // the HTTP stage waits at least 1 s for in-flight requests: longer than the 500 ms bound
    const node = await startNode(join(root, 'bound-exceeded'), [], { CHORUS_SHUTDOWN_TIMEOUT: '500ms' })
    const held = await holdRequest(node)
    node.proc.kill('SIGTERM')
    expect(await node.exited).toBe(1)
    expect(node.stderr()).toContain('shutdown did not finish within 500 ms')
    await expect(held.answer).rejects.toThrow()
  })

  it('lets an in-flight request finish and exits 0 within the bound', async () => {
    const node = await startNode(join(root, 'bound-kept'), [], { CHORUS_SHUTDOWN_TIMEOUT: '30s', CHORUS_LOG_LEVEL: 'info' })
    const held = await holdRequest(node)
    node.proc.kill('SIGTERM')
    await waitFor(() => node.stderr().includes('shutting down'), 'the node to begin its shutdown')
    // the server stopped accepting, but the request it had is served
    held.finish()
    const answer = await held.answer
    expect(answer.status, answer.body).toBe(201)
    expect(JSON.parse(answer.body).response.data.version).toBe(1)
    expect(await node.exited).toBe(0)
    expect(node.stderr()).not.toContain('shutdown did not finish')
  })

  it('exits 1 at once on a second signal during shutdown', async () => {
    // with a 60 s bound the HTTP stage would wait 20 s for the held request
    const node = await startNode(join(root, 'second-signal'), [], { CHORUS_SHUTDOWN_TIMEOUT: '60s', CHORUS_LOG_LEVEL: 'info' })
    await holdRequest(node)
    node.proc.kill('SIGTERM')
    await waitFor(() => node.stderr().includes('shutting down'), 'the node to begin its shutdown')
    expect(node.proc.exitCode).toBeNull()
    node.proc.kill('SIGINT')
    // "at once": long before the first shutdown could end (the HTTP stage alone holds 20 s)
    expect(await within(node.exited, 10_000)).toBe(1)
    expect(node.stderr()).toContain('second signal: exiting now')
  })
})

describe('Liveness: GET /health', { timeout: 120_000 }, () => {
  it('answers 200 while the real DHT works and 503 once it failed with fallbackOnError off', async () => {
    const peer = await startNode(join(root, 'health-peer'))
    const node = await startNode(join(root, 'health'), ['--bootstrap', peer.multiaddr], {
      CHORUS_FALLBACK_ON_ERROR: 'false',
      CHORUS_HEALTH_CHECK_INTERVAL: '250ms'
    })
    await waitFor(async () => (await connectedPeers(node)).includes(peer.peerId), 'the node to join its only peer')
    const healthy = await getJson(`${node.api}/health`)
    expect(healthy.status).toBe(200)
    expect(healthy.body.response.data.status).toBe('healthy')

    // its only peer dies: the probe reaches no live peer, the real DHT fails, and nothing falls back
    peer.proc.kill('SIGKILL')
    await peer.exited
    const sick = await waitFor(async () => {
      const h = await getJson(`${node.api}/health`)
      return h.status === 503 ? h : undefined
    }, '/health to answer 503')
    expect(sick.body.error.code).toBe('UCXL-503-SERVICE_UNAVAILABLE')
    expect(sick.body.error.details.checks.dht).toMatchObject({ healthy: false, active_backend: 'real' })
    expect(sick.body.error.details.checks.dht.backends.real.status).toBe('failed')
    const status = await getJson(`${node.api}/status`)
    expect(status.body.response.data.dht.active_backend).toBe('real')
    await stopNode(node)
  })
})

describe('Start failures: a libp2p listen address that cannot be bound', { timeout: 120_000 }, () => {
  it('runs the node on the MockDHT with a warning (fallbackOnError on, the default)', async () => {
    const { server, port } = await occupyPort()
    try {
      const node = await startNode(join(root, 'bind-fallback'), ['--listen', `/ip4/127.0.0.1/tcp/${port}`])
      expect(node.stdout()).toMatch(/^backend:\s+mock$/m)
      const status = await getJson(`${node.api}/status`)
      expect(status.body.response.data.state).toBe('started')
      expect(status.body.response.data.dht).toMatchObject({ active_backend: 'mock', use_real_dht: true, fallback_on_error: true })
      expect(status.body.response.data.dht.backends.real.status).toBe('failed')
      const warnings = node.stderr().split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l)).filter(l => l.level === 40)
      expect(warnings.map(l => l.msg)).toContainEqual(expect.stringContaining('the real DHT is not available: serving from the mock DHT'))
      // and it serves: a store goes to the mock (journaled)
      const put = await putText(node, 'ucxl://agent1:admin@proj:task1/*^/claims/bind', 'on the mock')
      expect(put.status).toBe(201)
      expect(await stopNode(node)).toBe(0)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('stays on the failed real DHT with fallbackOnError off: /health 503, stores refused', async () => {
    const { server, port } = await occupyPort()
    try {
      const node = await startNode(join(root, 'bind-no-fallback'), ['--listen', `/ip4/127.0.0.1/tcp/${port}`], { CHORUS_FALLBACK_ON_ERROR: 'false' })
      const status = await getJson(`${node.api}/status`)
      expect(status.body.response.data.dht).toMatchObject({ active_backend: 'real', fallback_on_error: false })
      expect((await fetch(`${node.api}/health`)).status).toBe(503)
      const put = await putText(node, 'ucxl://agent1:admin@proj:task1/*^/claims/bind-off', 'nowhere to go')
      expect(put.status).toBe(503)
      await stopNode(node)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })
})

describe('Codes: UCXL-504-TIMEOUT', { timeout: 120_000 }, () => {
  it('answers 504 when a request outlives api.requestTimeout (a PUT whose body never completes)', async () => {
    const node = await startNode(join(root, 'timeout'), [], { CHORUS_API_REQUEST_TIMEOUT: '1s' })
    const held = await holdRequest(node, 'ucxl://agent1:admin@proj:task1/*^/claims/timeout')
    // the handler waits for the rest of the body, which never comes
    const answer = await within(held.answer, 30_000)
    expect(answer, 'no answer within 30 s').toBeDefined()
    expect(answer!.status, answer!.body).toBe(504)
    expect(JSON.parse(answer!.body).error.code).toBe('UCXL-504-TIMEOUT')
    held.req.destroy()
    // nothing was stored
    const history = await getJson(`${node.api}/ucxl/${enc('ucxl://agent1:admin@proj:task1/*^/claims/timeout')}/history`)
    expect(history.status).toBe(404)
    await stopNode(node)
  })
})

describe('Data directory: audit.log', { timeout: 120_000 }, () => {
  it('is created with mode 0600 by the first store', async () => {
    const node = await startNode(join(root, 'audit-mode'), ['--mock'])
    const put = await putText(node, 'ucxl://agent1:admin@proj:task1/*^/claims/audit', 'audited')
    expect(put.status).toBe(201)
    const st = await stat(join(node.dataDir, 'audit.log'))
    expect((st.mode & 0o777).toString(8)).toBe('600')
    expect(st.size).toBeGreaterThan(0)
    await stopNode(node)
  })
})
