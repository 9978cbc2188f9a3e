import { createAgeCrypto } from '@chorus-dht/crypto-age'
import { createMockNetwork } from '@chorus-dht/hybrid-mock'
import { headKey } from '@chorus-dht/ucxl'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEncryptedStorage, decodeRecord } from '../src/index.js'
import { mockNode, roleKeys, roles, str, text } from './fixtures.js'
import type { TestNode } from './fixtures.js'

const ADDR = 'ucxl://agent001:backend_developer@project123:task456/*^/decision'

beforeAll(async () => { await roleKeys() })

const nodes: TestNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.storage.stop()
    await n.dht.stop()
  }
})

/** The X25519 stanzas of an age header: one per recipient. */
function stanzas (ciphertext: Uint8Array): number {
  const header = new TextDecoder().decode(ciphertext.slice(0, Math.min(ciphertext.length, 8192)))
  return header.split('\n').filter(l => l.startsWith('-> X25519 ')).length
}

describe('honest metadata', () => {
  it('encryptedFor lists exactly the roles whose stanzas the ciphertext holds', async () => {
    const a = await mockNode({})
    nodes.push(a)
    const stored = await a.storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain')
    expect(stored.encryptedFor).toEqual(roles.recipientsFor('backend_developer'))
    expect(stanzas(decodeRecord(await a.dht.getValue(headKey(ADDR))).ciphertext)).toBe(stored.encryptedFor.length)
  })

  it('refuses a store when a reader role has no known recipient, naming the role, and writes nothing', async () => {
    const keys = await roleKeys()
    // knows the recipients of backend_developer and admin only
    const crypto = createAgeCrypto({ roles, keys: { recipients: { backend_developer: keys.backend_developer.publicKey, admin: keys.admin.publicKey }, identities: { backend_developer: keys.backend_developer.privateKey } } })
    const a = await mockNode({})
    nodes.push(a)
    const storage = createEncryptedStorage({ dht: a.dht, crypto, roles, signer: a.signer, datastore: a.datastore }, { reconcileInterval: 0 })
    const err: any = await storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain').catch(e => e)
    expect(err.name).toBe('MissingRecipientError')
    expect(['senior_architect', 'devops_engineer', 'qa_engineer']).toContain(err.role)
    expect(err.message).toContain(err.role)
    await expect(a.dht.getValue(headKey(ADDR))).rejects.toMatchObject({ name: 'NotFoundError' })
    // an explicit, smaller reader set is what the metadata then says
    const stored = await storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain', { readers: ['admin'] })
    expect(stored.encryptedFor.sort()).toEqual(['admin', 'backend_developer'])
    expect(stanzas(decodeRecord(await a.dht.getValue(headKey(ADDR))).ciphertext)).toBe(2)
    // a reader that may not read the creator's content is refused
    await expect(storage.storeUCXLContent(ADDR, text('x'), 'backend_developer', 'text/plain', { readers: ['frontend_developer'] }))
      .rejects.toMatchObject({ name: 'AccessDeniedError' })
  })
})

describe('no cache leaks', () => {
  it('answers a role from the cache only when that role could decrypt the content itself', async () => {
    const network = createMockNetwork()
    const a = await mockNode({ network })
    // b holds senior_architect's identity only: qa_engineer may read backend content by the role table, but b cannot open it as qa
    const b = await mockNode({ network, held: ['senior_architect'] })
    nodes.push(a, b)
    await a.storage.storeUCXLContent(ADDR, text('secret'), 'backend_developer', 'text/plain')
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { role: 'senior_architect' })).content)).toBe('secret')
    // warm cache, but the node holds no qa_engineer identity: refused as a cold read would be
    await expect(b.storage.retrieveUCXLContent(ADDR, { role: 'qa_engineer' })).rejects.toMatchObject({ name: 'AccessDeniedError' })
    expect(str((await b.storage.retrieveUCXLContent(ADDR, { role: 'senior_architect' })).content)).toBe('secret')
  })
})

