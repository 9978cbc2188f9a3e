import { expect, it } from 'vitest'
import { DEFAULT_PROTOCOL } from '../src/index.js'
it('speaks the CHORUS Kademlia protocol', () => { expect(DEFAULT_PROTOCOL).toBe('/CHORUS/kad/1.0.0') })
