/**
 * @packageDocumentation
 *
 * The compliance suite of the `DHT` contract of `@chorus-dht/types`. Every
 * DHT implementation runs it from its own vitest spec:
 *
 * @example
 *
 * ```ts
 * import { dhtComplianceTests } from '@chorus-dht/hybrid-mock/compliance'
 * import { createMockNetwork, mockDHT, type MockDHT } from '@chorus-dht/hybrid-mock'
 *
 * let nodes: MockDHT[] = []
 * dhtComplianceTests('MockDHT', {
 *   async create (policy) {
 *     const dht = mockDHT(policy)()
 *     nodes.push(dht)
 *     return dht
 *   },
 *   async network (n, policy) {
 *     const network = createMockNetwork()
 *     const dhts = Array.from({ length: n }, () => mockDHT(policy)({ network }))
 *     nodes.push(...dhts)
 *     for (const d of dhts) await d.start()
 *     return dhts
 *   },
 *   async teardown () {
 *     for (const d of nodes) await d.stop()
 *     nodes = []
 *   }
 * })
 * ```
 */

import { describe, afterEach } from 'vitest'
import { lifecycleTests } from './lifecycle.js'
import { limitTests } from './limits.js'
import { recordTests } from './records.js'
import { replacementTests } from './replacement.js'
import { routingTests } from './routing.js'
import { suiteContext } from './context.js'
import type { DHT, RecordPolicy } from '@chorus-dht/types'

export { COMPLIANCE_FREE_NAMESPACE, COMPLIANCE_NAMESPACE, COMPLIANCE_ONCE_NAMESPACE } from './context.js'

/**
 * How the suite obtains DHT nodes. Every node the factory hands out must be
 * configured with the given `policy` (validators, selectors and replacers
 * by namespace): the suite uses the namespaces `test` (no replacer),
 * `test-once` (a replacer that keeps the first record) and `test-free` (a
 * replacer that accepts every valid record).
 */
export interface DHTComplianceFactory {
  /**
   * One node, NOT started, not connected to any other (a lone node). The
   * suite starts and stops it itself.
   */
  create(policy: RecordPolicy): Promise<DHT>
  /**
   * `n` nodes, started and connected to each other, ready to route: a
   * value put on one is found from every other, `getClosestPeers` and
   * `findProviders` reach them all. The suite asks for at most
   * {@link DHTComplianceOptions.nodes} nodes at a time.
   */
  network(n: number, policy: RecordPolicy): Promise<DHT[]>
  /**
   * Stops and releases every node handed out since the last teardown.
   * Called after each test; nodes the suite already stopped are stopped
   * again (stop must be idempotent anyway).
   */
  teardown(): Promise<void>
}

/** Options of {@link dhtComplianceTests}. */
export interface DHTComplianceOptions {
  /**
   * Size of the networks the suite asks for.
   * @default 3
   */
  nodes?: number
  /**
   * Per-test timeout, ms (a generous ceiling for slow machines, not a
   * performance expectation).
   * @default 30000
   */
  timeout?: number
}

/**
 * Registers the DHT compliance tests (vitest `describe`/`it`) for one
 * implementation. The checks live by group beside this file: `lifecycle.ts`,
 * `records.ts` (put, get, validation), `replacement.ts`, `routing.ts`
 * (getValueFromPeer, closest peers, bootstrap, providers) and `limits.ts`
 * (abort, timeout, stats); `context.ts` holds the suite's policy and helpers.
 */
export function dhtComplianceTests (name: string, factory: DHTComplianceFactory, options: DHTComplianceOptions = {}): void {
  const ctx = suiteContext(factory, options)

  describe(`${name}: DHT compliance`, () => {
    afterEach(async () => {
      ctx.revoked.clear()
      ctx.selectorCalls.length = 0
      await factory.teardown()
    })

    lifecycleTests(ctx)
    recordTests(ctx)
    replacementTests(ctx)
    routingTests(ctx)
    limitTests(ctx)
  })
}
