import { expect, it } from 'vitest'
import { AUTHORITY_LEVELS } from '../src/index.js'
it('orders authority levels highest first', () => { expect(AUTHORITY_LEVELS[0]).toBe('master'); expect(AUTHORITY_LEVELS.at(-1)).toBe('read_only') })
