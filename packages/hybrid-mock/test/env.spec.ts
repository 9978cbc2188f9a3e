import { describe, expect, it } from 'vitest'
import { hybridConfigFromEnv, parseDuration } from '../src/index.js'

function errorOf (fn: () => unknown): any {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('hybridConfigFromEnv', () => {
  it('reads every variable', () => {
    expect(hybridConfigFromEnv({
      CHORUS_USE_REAL_DHT: 'true',
      CHORUS_DHT_BOOTSTRAP_NODES: ' /ip4/127.0.0.1/tcp/4001/p2p/12D3KooWA , /dns4/boot.example/tcp/4001 ,',
      CHORUS_FALLBACK_ON_ERROR: 'no',
      CHORUS_HEALTH_CHECK_INTERVAL: '45s',
      CHORUS_MAX_CONSECUTIVE_FAILURES: '5'
    })).toEqual({
      useRealDHT: true,
      bootstrapNodes: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWA', '/dns4/boot.example/tcp/4001'],
      fallbackOnError: false,
      healthCheckInterval: 45_000,
      maxConsecutiveFailures: 5
    })
  })

  it('leaves unset and empty variables out, so defaults apply', () => {
    expect(hybridConfigFromEnv({ CHORUS_USE_REAL_DHT: '', CHORUS_HEALTH_CHECK_INTERVAL: '  ' })).toEqual({})
  })

  it('accepts booleans as true/false, 1/0, yes/no, on/off in any case', () => {
    for (const v of ['TRUE', '1', 'Yes', 'on']) expect(hybridConfigFromEnv({ CHORUS_USE_REAL_DHT: v }).useRealDHT).toBe(true)
    for (const v of ['false', '0', 'NO', 'off']) expect(hybridConfigFromEnv({ CHORUS_FALLBACK_ON_ERROR: v }).fallbackOnError).toBe(false)
  })

  it('accepts integer milliseconds and durations', () => {
    expect(parseDuration('X', '30000')).toBe(30_000)
    expect(parseDuration('X', '500ms')).toBe(500)
    expect(parseDuration('X', '1.5m')).toBe(90_000)
    expect(parseDuration('X', '1h')).toBe(3_600_000)
  })

  it.each([
    ['CHORUS_USE_REAL_DHT', 'maybe'],
    ['CHORUS_FALLBACK_ON_ERROR', '2'],
    ['CHORUS_HEALTH_CHECK_INTERVAL', 'soon'],
    ['CHORUS_HEALTH_CHECK_INTERVAL', '0'],
    ['CHORUS_HEALTH_CHECK_INTERVAL', '-5s'],
    ['CHORUS_HEALTH_CHECK_INTERVAL', '30d'],
    ['CHORUS_HEALTH_CHECK_INTERVAL', '99999999999'],
    ['CHORUS_DHT_BOOTSTRAP_NODES', '/ip4/1.2.3.4/tcp/1,boot.example:4001'],
    ['CHORUS_MAX_CONSECUTIVE_FAILURES', '0'],
    ['CHORUS_MAX_CONSECUTIVE_FAILURES', '2.5']
  ])('%s=%s is an InvalidParametersError naming the variable', (name, value) => {
    const err = errorOf(() => hybridConfigFromEnv({ [name]: value }))
    expect(err.name).toBe('InvalidParametersError')
    expect(err.message).toContain(name)
    expect(err.message).toContain(value.split(',').at(-1))
  })
})
