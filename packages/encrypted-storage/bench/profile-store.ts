/**
 * A MockDHT store loop to profile the storage layer's own CPU cost:
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-store.ts
 *   BENCH_MOCK_OPS=300 (default)
 */
import { BUILTIN_ROLES, createAgeCrypto, createRoleRegistry } from '@chorus-dht/crypto-age'
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { chorusRecordPolicy, createEncryptedStorage, signerFromPrivateKey } from '../src/index.js'
import type { RecordPolicy } from '@chorus-dht/types'

const OPS = Number(process.env.BENCH_MOCK_OPS ?? 300)
const roles = createRoleRegistry()
const content = new Uint8Array(1024).map((_, i) => i & 0xff)
const policy: RecordPolicy = {
  validators: { ...chorusRecordPolicy().validators, bench: () => {} },
  selectors: { ...chorusRecordPolicy().selectors, bench: () => 0 },
  replacers: { ...chorusRecordPolicy().replacers }
}

const gen = createAgeCrypto({ roles, keys: {} })
const recipients: Record<string, string> = {}
const identities: Record<string, string> = {}
for (const role of BUILTIN_ROLES) {
  const pair = await gen.generateAgeKeyPair()
  recipients[role.name] = pair.publicKey
  identities[role.name] = pair.privateKey
}
const crypto = createAgeCrypto({ roles, keys: { recipients, identities: { backend_developer: identities.backend_developer } } })
const network = createMockNetwork()
const nodes = await Promise.all(Array.from({ length: 10 }, async () => {
  const signer = signerFromPrivateKey(await generateKeyPair('Ed25519'))
  const dht = mockDHT({ peerId: signer.peerId, ...policy })({ network })
  await dht.start()
  return { dht, signer }
}))
const storage = createEncryptedStorage({ dht: nodes[0].dht, crypto, roles, signer: nodes[0].signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
const run = async (label: string, op: (i: number) => Promise<unknown>): Promise<number> => {
  await op(-1)
  const start = performance.now()
  for (let i = 0; i < OPS; i++) await op(i)
  const ms = (performance.now() - start) / OPS
  console.log(`${label}: ${ms.toFixed(3)} ms/op`)
  return ms
}
const encrypt = await run('encrypt only', async () => crypto.encryptForMultipleRoles(content, roles.recipientsFor('backend_developer')))
const store = await run('store', async i => storage.storeUCXLContent(`ucxl://bench:backend_developer@prof:t/*^/doc${i}`, content, 'backend_developer', 'application/octet-stream'))
const raw = await run('raw putValue', async i => nodes[0].dht.putValue(`/bench/prof/${i}`, content))
console.log(`store / raw = ${(store / raw).toFixed(1)}×, (store - encrypt) / raw = ${((store - encrypt) / raw).toFixed(1)}×`)
for (const n of nodes) await n.dht.stop()
