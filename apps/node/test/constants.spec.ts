import { expect, it } from 'vitest'
import { DEFAULT_DATA_DIR } from '../src/index.js'
it('keeps data in ./.chorus-dht by default', () => { expect(DEFAULT_DATA_DIR).toBe('./.chorus-dht') })
