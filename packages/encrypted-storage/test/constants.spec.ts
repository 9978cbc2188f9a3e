import { expect, it } from 'vitest'
import { DEFAULT_CACHE_TTL, DEFAULT_MAX_RECORD_SIZE } from '../src/index.js'
it('has the SPEC defaults', () => { expect(DEFAULT_CACHE_TTL).toBe(600_000); expect(DEFAULT_MAX_RECORD_SIZE).toBe(262_144) })
