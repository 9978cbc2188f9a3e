import { expect, it } from 'vitest'
import { DEFAULT_HEALTH_CHECK_INTERVAL, DEFAULT_USE_REAL_DHT } from '../src/index.js'
it('has the SPEC defaults', () => { expect(DEFAULT_HEALTH_CHECK_INTERVAL).toBe(30_000); expect(DEFAULT_USE_REAL_DHT).toBe(false) })
