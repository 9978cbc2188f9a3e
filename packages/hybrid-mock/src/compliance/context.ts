import { createHook } from 'node:async_hooks'
import { it } from 'vitest'
import type { DHTComplianceFactory, DHTComplianceOptions } from './index.js'
import type { DHT, RecordPolicy } from '@chorus-dht/types'

/** The namespace most records of the suite live in (validator and selector, no replacer). */
export const COMPLIANCE_NAMESPACE = 'test'
/** A namespace whose replacer keeps the record a node holds (first claim wins). */
export const COMPLIANCE_ONCE_NAMESPACE = 'test-once'
/** A namespace whose replacer lets every valid record replace the held one. */
export const COMPLIANCE_FREE_NAMESPACE = 'test-free'

const enc = new TextEncoder()
const dec = new TextDecoder()
export const bytes = (s: string): Uint8Array => enc.encode(s)
export const text = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : dec.decode(b)

/** Async resource types that keep a process busy: timers and I/O handles. */
const HANDLE_TYPES = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'TTYWRAP', 'SIGNALWRAP', 'PROCESSWRAP'])

/**
 * Records the timers and handles created while enabled and forgets them
 * when destroyed (a timer cleared or fired, a socket closed). `live()` lists
 * those still alive that keep the event loop busy (unref'd timers excluded).
 */
export function handleTracker (): { live: () => string[], disable: () => void } {
  const alive = new Map<number, { type: string, resource: any }>()
  const hook = createHook({
    init (id, type, _trigger, resource) { if (HANDLE_TYPES.has(type)) alive.set(id, { type, resource }) },
    destroy (id) { alive.delete(id) }
  })
  hook.enable()
  return {
    live: () => [...alive.values()]
      .filter(({ type, resource }) => type !== 'Timeout' || (resource?.hasRef?.() !== false && resource?._destroyed !== true))
      .map(({ type }) => type),
    disable: () => { hook.disable() }
  }
}

/** Polls (up to `ms`, between event-loop turns) until `live()` is empty; returns what is left. */
export async function waitForNoHandles (live: () => string[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = live()
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((resolve) => { setImmediate(resolve) })
  }
}

/** Polls (between event-loop turns, up to `ms`) until `condition()` holds; returns whether it did. */
export async function waitFor (condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (condition()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => { setImmediate(resolve) })
  }
}

export async function rejectionName (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err: any) {
    return String(err?.name)
  }
  return '(resolved)'
}

/** What every group of checks shares: the factory, the suite's policy and the helpers bound to them. */
export interface SuiteContext {
  factory: DHTComplianceFactory
  /** The record policy every node must be configured with. */
  policy: RecordPolicy
  /** Size of the networks asked for. */
  n: number
  /** Values the validator refuses from now on (cleared after each test). */
  revoked: Set<string>
  /** Every call of the selector, as texts (cleared after each test). */
  selectorCalls: string[][]
  /** A fresh key in `ns` (default {@link COMPLIANCE_NAMESPACE}). */
  key(label: string, ns?: string): string
  /** A fresh number for a name the suite makes up. */
  next(): number
  /** The ids of `nodes` whose own store holds exactly `value` for `k`. */
  holders(nodes: DHT[], k: string, value: string): Promise<string[]>
  /** `it` with the suite's per-test timeout. */
  test(title: string, fn: () => Promise<void>): void
}

/**
 * The suite's record policy, namespace `test`: a value is valid when its
 * UTF-8 text starts with `v` and has not been revoked by the test; the
 * selector picks the greatest text (`v2` over `v1`); no replacer, so the
 * selector's rule applies to replacement. `test-once` and `test-free`
 * share the validator and selector and add a replacer that keeps the held
 * record, and one that accepts every valid record.
 */
export function suiteContext (factory: DHTComplianceFactory, options: DHTComplianceOptions): SuiteContext {
  const n = options.nodes ?? 3
  const timeout = options.timeout ?? 30_000
  let counter = 0
  const revoked = new Set<string>()
  const selectorCalls: string[][] = []

  const validator = (_key: string, value: Uint8Array): void => {
    const t = dec.decode(value)
    if (!t.startsWith('v')) throw new Error(`value "${t}" does not start with "v"`)
    if (revoked.has(t)) throw new Error(`value "${t}" was revoked`)
  }
  const selector = (_key: string, values: Uint8Array[]): number => {
    const texts = values.map((v) => dec.decode(v))
    selectorCalls.push(texts)
    let best = 0
    for (let i = 1; i < texts.length; i++) if (texts[i] > texts[best]) best = i
    return best
  }
  const policy: RecordPolicy = {
    validators: { [COMPLIANCE_NAMESPACE]: validator, [COMPLIANCE_ONCE_NAMESPACE]: validator, [COMPLIANCE_FREE_NAMESPACE]: validator },
    selectors: { [COMPLIANCE_NAMESPACE]: selector, [COMPLIANCE_ONCE_NAMESPACE]: selector, [COMPLIANCE_FREE_NAMESPACE]: selector },
    replacers: { [COMPLIANCE_ONCE_NAMESPACE]: () => false, [COMPLIANCE_FREE_NAMESPACE]: () => true }
  }

  const key = (label: string, ns = COMPLIANCE_NAMESPACE): string => `/${ns}/${label}-${++counter}-${Math.random().toString(36).slice(2, 10)}`
  /** The ids of `nodes` whose own store holds exactly `value` for `k`. */
  const holders = async (nodes: DHT[], k: string, value: string): Promise<string[]> => {
    const out: string[] = []
    for (const node of nodes) if (text(await node.getValueFromPeer(node.peerId, k)) === value) out.push(node.peerId)
    return out
  }
  const test = (title: string, fn: () => Promise<void>): void => { it(title, fn, timeout) }

  return { factory, policy, n, revoked, selectorCalls, key, next: () => ++counter, holders, test }
}
