// The README's "Using MockDHT in your own tests" example, kept runnable.
import { describe, expect, it } from 'vitest'
import { createMockNetwork, mockDHT, seededRandom } from '../src/index.js'

const policy = {
  validators: { app: (_key: string, value: Uint8Array) => { if (value.length === 0) throw new Error('empty') } },
  selectors: { app: (_key: string, _values: Uint8Array[]) => 0 }
}

describe('my storage layer', () => {
  it('reads what another node wrote', async () => {
    const network = createMockNetwork({ random: seededRandom(1) })
    const a = mockDHT(policy)({ network })
    const b = mockDHT(policy)({ network })
    await a.start()
    await b.start()

    await a.putValue('/app/doc', new TextEncoder().encode('hello'))
    expect(new TextDecoder().decode(await b.getValue('/app/doc'))).toBe('hello')

    await a.stop()
    await b.stop()
  })
})
