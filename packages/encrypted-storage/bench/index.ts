/**
 * Store and retrieve throughput of 1 KiB content encrypted for 5 roles
 * (creator `backend_developer`: itself, admin, senior_architect,
 * devops_engineer, qa_engineer), next to raw `putValue`/`getValue` of the
 * same 1 KiB on the same network, so the cost of encryption, signing,
 * verification and versioning shows as a ratio.
 *
 *   pnpm --filter @chorus-dht/encrypted-storage bench
 *   BENCH_NODES=50 BENCH_OPS=30 BENCH_MOCK_OPS=300 (defaults)
 */
import { BUILTIN_ROLES, createAgeCrypto, createRoleRegistry } from '@chorus-dht/crypto-age'
import { createTestNetwork } from '@chorus-dht/dht-core/testing'
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { chorusRecordPolicy, createEncryptedStorage, signerFromPrivateKey } from '../src/index.js'
import type { EncryptedStorage } from '../src/index.js'
import type { CryptoProvider, DHT, RecordPolicy } from '@chorus-dht/types'

const NODES = Number(process.env.BENCH_NODES ?? 50)
const OPS = Number(process.env.BENCH_OPS ?? 30)
const MOCK_OPS = Number(process.env.BENCH_MOCK_OPS ?? 300)
const HEAD_QUORUM = 3
const content = new Uint8Array(1024).map((_, i) => i & 0xff)
const roles = createRoleRegistry()

// raw records live in their own namespace with a validator that accepts anything
const policy: RecordPolicy = {
  validators: { ...chorusRecordPolicy().validators, bench: () => {} },
  selectors: { ...chorusRecordPolicy().selectors, bench: () => 0 }
}

async function makeCrypto (): Promise<CryptoProvider> {
  const gen = createAgeCrypto({ roles, keys: {} })
  const recipients: Record<string, string> = {}
  const identities: Record<string, string> = {}
  for (const role of BUILTIN_ROLES) {
    const pair = await gen.generateAgeKeyPair()
    recipients[role.name] = pair.publicKey
    identities[role.name] = pair.privateKey
  }
  return createAgeCrypto({ roles, keys: { recipients, identities: { backend_developer: identities.backend_developer } } })
}

async function opsPerSecond (n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  await fn(-1) // warm up
  const start = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  return n / ((performance.now() - start) / 1000)
}

interface Row { scenario: string, op: string, storage: number, raw?: number, rawLabel?: string }
const rows: Row[] = []

function print (): void {
  const fmt = (n?: number): string => n == null ? '-' : n.toFixed(1)
  console.log('\n1 KiB content, encrypted for 5 roles; raw = putValue/getValue of the same 1 KiB on the same DHT')
  console.log('overhead = raw ops/s ÷ storage ops/s (1.00 = free; goal ≤ 1.25 on the 50-node network)\n')
  const header = ['scenario', 'operation', 'storage ops/s', 'raw ops/s', 'raw op', 'overhead']
  const lines = rows.map(r => [r.scenario, r.op, fmt(r.storage), fmt(r.raw), r.rawLabel ?? '-', r.raw == null ? '-' : `${(r.raw / r.storage).toFixed(2)}×`])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map(l => l[i].length)))
  for (const l of [header, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '))
}

async function measure (scenario: string, writer: { dht: DHT, storage: EncryptedStorage }, reader: { dht: DHT, storage: EncryptedStorage }, n: number): Promise<void> {
  const address = (i: number): string => `ucxl://bench:backend_developer@${scenario.replace(/[^a-z0-9]/gi, '')}:t/*^/doc${i}`
  const store = await opsPerSecond(n, async i => writer.storage.storeUCXLContent(address(i), content, 'backend_developer', 'application/octet-stream'))
  const rawPut = await opsPerSecond(n, async i => writer.dht.putValue(`/bench/${scenario}/${i}`, content, { minPeers: 3 }))
  rows.push({ scenario, op: 'store', storage: store, raw: rawPut, rawLabel: 'putValue' })
  const miss = await opsPerSecond(n, async i => reader.storage.retrieveUCXLContent(address(Math.max(0, i)), { noCache: true }))
  const rawGetQ = await opsPerSecond(n, async i => reader.dht.getValue(`/bench/${scenario}/${Math.max(0, i)}`, { quorum: HEAD_QUORUM }))
  const rawGet1 = await opsPerSecond(n, async i => reader.dht.getValue(`/bench/${scenario}/${Math.max(0, i)}`))
  rows.push({ scenario, op: 'retrieve, cache miss', storage: miss, raw: rawGetQ, rawLabel: `getValue quorum ${HEAD_QUORUM}` })
  rows.push({ scenario, op: 'retrieve, cache miss', storage: miss, raw: rawGet1, rawLabel: 'getValue quorum 1' })
}

async function main (): Promise<void> {
  const crypto = await makeCrypto()

  // --- MockDHT ------------------------------------------------------------
  const network = createMockNetwork()
  const mocks = await Promise.all(Array.from({ length: 10 }, async () => {
    const signer = signerFromPrivateKey(await generateKeyPair('Ed25519'))
    const dht = mockDHT({ peerId: signer.peerId, validators: policy.validators, selectors: policy.selectors })({ network })
    await dht.start()
    const storage = createEncryptedStorage({ dht, crypto, roles, signer, datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
    return { dht, storage }
  }))
  await measure('MockDHT (10 nodes)', mocks[0], mocks[5], MOCK_OPS)
  const hitAddress = 'ucxl://bench:backend_developer@hit:t/*^/doc'
  await mocks[0].storage.storeUCXLContent(hitAddress, content, 'backend_developer', 'application/octet-stream')
  const hit = await opsPerSecond(MOCK_OPS * 20, async () => mocks[0].storage.retrieveUCXLContent(hitAddress))
  rows.push({ scenario: 'any DHT', op: 'retrieve, cache hit', storage: hit })
  for (const m of mocks) await m.dht.stop()

  // --- dht-core memory network ----------------------------------------------
  const t0 = performance.now()
  const keys = await Promise.all(Array.from({ length: NODES }, async () => generateKeyPair('Ed25519')))
  const net = await createTestNetwork(NODES, { validators: policy.validators, selectors: policy.selectors }, { components: i => ({ privateKey: keys[i] }), timeout: 300_000 })
  console.log(`${NODES}-node dht-core memory network ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  try {
    const node = (i: number): { dht: DHT, storage: EncryptedStorage } => ({
      dht: net.nodes[i],
      storage: createEncryptedStorage({ dht: net.nodes[i], crypto, roles, signer: signerFromPrivateKey(keys[i]), datastore: new MemoryDatastore() }, { reconcileInterval: 0 })
    })
    await measure(`dht-core (${NODES} nodes)`, node(0), node(Math.floor(NODES / 2)), OPS)
  } finally {
    await net.stop()
  }
  print()
}

main().catch(err => {
  console.error(err)
  process.exitCode = 1
})
