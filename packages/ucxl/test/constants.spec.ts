import { expect, it } from 'vitest'
import { DHT_KEY_PREFIX } from '../src/index.js'
it('uses the CHORUS key prefix', () => { expect(DHT_KEY_PREFIX).toBe('/CHORUS/ucxl/') })
