import { describe, expect, it } from 'vitest'
import * as c from '../src/constants.js'
import { resolveConfig } from '../src/hybrid-config.js'
import { hybridDHT, mockDHT } from '../src/index.js'
import type { HybridDHTInit } from '../src/index.js'

describe('HybridDHT configuration', () => {
  it('resolves every field to its default', () => {
    expect(resolveConfig({})).toEqual({
      useRealDHT: c.DEFAULT_USE_REAL_DHT,
      bootstrapNodes: [],
      fallbackOnError: c.DEFAULT_FALLBACK_ON_ERROR,
      healthCheckInterval: c.DEFAULT_HEALTH_CHECK_INTERVAL,
      maxConsecutiveFailures: c.DEFAULT_MAX_CONSECUTIVE_FAILURES,
      timeout: c.DEFAULT_HYBRID_TIMEOUT,
      backendTimeout: c.DEFAULT_BACKEND_TIMEOUT,
      probeTimeout: c.DEFAULT_PROBE_TIMEOUT,
      degradedLatency: c.DEFAULT_DEGRADED_LATENCY,
      journalPrefix: c.DEFAULT_JOURNAL_PREFIX
    })
    expect(Object.isFrozen(resolveConfig({}))).toBe(true)
  })

  it('keeps every given value, and a frozen copy of bootstrapNodes', () => {
    const nodes = ['/ip4/127.0.0.1/tcp/4001/p2p/x']
    const init = { useRealDHT: true, bootstrapNodes: nodes, fallbackOnError: false, healthCheckInterval: 1, maxConsecutiveFailures: 2, timeout: 3, backendTimeout: 4, probeTimeout: 5, degradedLatency: 6, journalPrefix: '/j' }
    const config = resolveConfig(init)
    expect(config).toEqual(init)
    expect(config.bootstrapNodes).not.toBe(nodes)
    expect(Object.isFrozen(config.bootstrapNodes)).toBe(true)
    nodes.push('/dns4/later')
    expect(config.bootstrapNodes).toHaveLength(1)
  })

  const bad: Array<[keyof HybridDHTInit, unknown]> = [
    ['healthCheckInterval', 0], ['maxConsecutiveFailures', 1.5], ['timeout', -1], ['backendTimeout', 0],
    ['probeTimeout', Number.NaN], ['degradedLatency', 0], ['bootstrapNodes', 'not-a-list'], ['bootstrapNodes', ['/ok', 'relative']],
    ['bootstrapNodes', [42]]
  ]
  it.each(bad)('refuses %s = %j with InvalidParametersError naming it', (field, value) => {
    const real = mockDHT()()
    const mock = mockDHT()()
    expect(() => hybridDHT({ [field]: value } as HybridDHTInit)({ real, mock })).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining(field) }))
  })

  it('the hybrid exposes the resolved configuration', () => {
    const hybrid = hybridDHT({ bootstrapNodes: ['/memory/a'], timeout: 9 })({ real: mockDHT()(), mock: mockDHT()() })
    expect(hybrid.config).toMatchObject({ bootstrapNodes: ['/memory/a'], timeout: 9, useRealDHT: false })
    expect(hybrid.activeBackend).toBe('mock')
    expect(hybridDHT({ useRealDHT: true })({ real: mockDHT()(), mock: mockDHT()() }).activeBackend).toBe('real')
  })
})
