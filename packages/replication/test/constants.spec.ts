import { expect, it } from 'vitest'
import { DEFAULT_REPLICATION_FACTOR } from '../src/index.js'
it('has the SPEC default factor', () => { expect(DEFAULT_REPLICATION_FACTOR).toBe(3) })
