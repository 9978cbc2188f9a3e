/**
 * Store and retrieve throughput of 1 KiB content encrypted for 5 roles
 * (creator `backend_developer`: itself, admin, senior_architect,
 * devops_engineer, qa_engineer), next to raw DHT operations on the same
 * network: `putValue` of the same 1 KiB, and `getValue` of the very record
 * the retrieve reads, so the cost of encryption, signing, verification and
 * versioning shows as a ratio.
 *
 *   pnpm --filter @chorus-dht/encrypted-storage bench
 *   BENCH_NODES=50 BENCH_OPS=30 BENCH_MOCK_OPS=300 BENCH_MIN_RT=10 (defaults; BENCH_NODES=0: MockDHT only)
 */
import { BUILTIN_ROLES, createAgeCrypto, createRoleRegistry } from '@chorus-dht/crypto-age'
import { createTestNetwork } from '@chorus-dht/dht-core/testing'
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { chorusRecordPolicy, createEncryptedStorage, signerFromPrivateKey } from '../src/index.js'
import type { EncryptedStorage } from '../src/index.js'
import type { CryptoProvider, DHT, RecordPolicy, RecordSigner } from '@chorus-dht/types'

const NODES = Number(process.env.BENCH_NODES ?? 50)
const OPS = Number(process.env.BENCH_OPS ?? 30)
const MOCK_OPS = Number(process.env.BENCH_MOCK_OPS ?? 300)
const MIN_ROUTING_TABLE = Number(process.env.BENCH_MIN_RT ?? 10)
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

/** CPU time of this process (every in-process node), ms. */
function cpuMs (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Runs `a` and `b` alternately (so load changes hit both alike); returns ops/s of each, their failures, and CPU ms per op of each. */
async function pairwise (n: number, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<[number, number, number, number, number, number]> {
  // warm up; a failure here shows again in the measured ops
  await a(-1).catch(() => {})
  await b(-1).catch(() => {})
  let ta = 0
  let tb = 0
  let fa = 0
  let fb = 0
  let ca = 0
  let cb = 0
  for (let i = 0; i < n; i++) {
    let start = performance.now()
    let cpu = cpuMs()
    await a(i).catch(err => { fa++; console.log(`  storage op ${i} failed: ${err.name}: ${err.message}`) })
    ta += performance.now() - start
    ca += cpuMs() - cpu
    start = performance.now()
    cpu = cpuMs()
    await b(i).catch(err => { fb++; console.log(`  raw op ${i} failed: ${err.name}: ${err.message}`) })
    tb += performance.now() - start
    cb += cpuMs() - cpu
  }
  return [n / (ta / 1000), n / (tb / 1000), fa, fb, ca / n, cb / n]
}

/** A DHT that counts the calls and the time the storage layer spends in it. */
interface TimedDHT { dht: DHT, calls: number, ms: number, reset(): void }
function timed (dht: DHT): TimedDHT {
  const t: TimedDHT = { dht, calls: 0, ms: 0, reset: () => { t.calls = 0; t.ms = 0 } }
  const wrap = (fn: (...args: any[]) => Promise<any>) => ({
    value: async (...args: any[]) => {
      const start = performance.now()
      try {
        return await fn.apply(dht, args)
      } finally {
        t.ms += performance.now() - start
        t.calls++
      }
    }
  })
  t.dht = Object.create(dht, { getValue: wrap(dht.getValue), putValue: wrap(dht.putValue) })
  return t
}

interface Row { scenario: string, op: string, storage: number, raw?: number, rawLabel?: string, dhtCalls?: number, dhtShare?: number, failed?: string, storageCpu?: number, rawCpu?: number }
const rows: Row[] = []

function print (): void {
  const fmt = (n?: number): string => n == null ? '-' : n.toFixed(1)
  console.log('\n1 KiB content, encrypted for 5 roles; raw = putValue of the same 1 KiB / getValue of the very record the retrieve reads, on the same DHT, run alternately with the storage op')
  console.log('overhead = raw ops/s ÷ storage ops/s (1.00 = free; goal ≤ 1.25 on the 50-node network)')
  console.log('DHT calls/op and DHT share = how many DHT operations one storage op makes and the share of its time spent in them')
  console.log('CPU ms/op = CPU time of the whole process (every in-process node) per op, storage / raw\n')
  const ms = (n?: number): string => n == null ? '-' : n.toFixed(2)
  const header = ['scenario', 'operation', 'storage ops/s', 'raw ops/s', 'raw op', 'overhead', 'CPU ms/op (storage / raw)', 'DHT calls/op', 'DHT share', 'failed (storage/raw)']
  const lines = rows.map(r => [r.scenario, r.op, fmt(r.storage), fmt(r.raw), r.rawLabel ?? '-', r.raw == null ? '-' : `${(r.raw / r.storage).toFixed(2)}×`,
    r.storageCpu == null ? '-' : `${ms(r.storageCpu)} / ${ms(r.rawCpu)}`,
    r.dhtCalls == null ? '-' : r.dhtCalls.toFixed(1), r.dhtShare == null ? '-' : `${(r.dhtShare * 100).toFixed(0)}%`, r.failed ?? '-'])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map(l => l[i].length)))
  for (const l of [header, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '))
}

interface BenchNode { dht: DHT, storage: EncryptedStorage, fast: EncryptedStorage, timed: TimedDHT }

async function measure (scenario: string, writer: BenchNode, reader: BenchNode, n: number): Promise<void> {
  const tag = scenario.replace(/[^a-z0-9]/gi, '')
  const address = (i: number): string => `ucxl://bench:backend_developer@${tag}:t/*^/doc${i}`
  const rawKey = (i: number): string => `/bench/${tag}/${i}`
  const row = async (op: string, rawLabel: string, t: TimedDHT, storageOp: (i: number) => Promise<unknown>, rawOp: (i: number) => Promise<unknown>): Promise<void> => {
    t.reset()
    const started = performance.now()
    const [storage, raw, fa, fb, storageCpu, rawCpu] = await pairwise(n, storageOp, rawOp)
    // the wrapped DHT also counted the warm-up op
    const storageMs = (n + 1) / storage * 1000
    rows.push({ scenario, op, storage, raw, rawLabel, dhtCalls: t.calls / (n + 1), dhtShare: Math.min(1, t.ms / storageMs), failed: `${fa}/${fb}`, storageCpu, rawCpu })
    const r = rows[rows.length - 1]
    console.log(`${scenario}: ${op}: ${r.storage.toFixed(2)} ops/s vs ${rawLabel} ${r.raw!.toFixed(2)} ops/s (${(r.raw! / r.storage).toFixed(2)}×), ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  await row('store', 'putValue', writer.timed,
    async i => writer.storage.storeUCXLContent(address(i), content, 'backend_developer', 'application/octet-stream'),
    async i => writer.dht.putValue(rawKey(i), content))
  await row('store, confirmWrites off', 'putValue', writer.timed,
    async i => writer.fast.storeUCXLContent(address(i).replace('doc', 'fast'), content, 'backend_developer', 'application/octet-stream'),
    async i => writer.dht.putValue(rawKey(i), content))
  // raw gets fetch the very records the storage op reads (same key, same holders), so
  // the ratio is the cost of verifying, decrypting, caching and indexing
  await row('retrieve *^, cache miss', `getValue quorum ${HEAD_QUORUM}`, reader.timed,
    async i => reader.storage.retrieveUCXLContent(address(i), { noCache: true }),
    async i => reader.dht.getValue(headKey(address(i)), { quorum: HEAD_QUORUM }))
  await row('retrieve *~1, cache miss', 'getValue quorum 1', reader.timed,
    async i => reader.storage.retrieveUCXLContent(address(i).replace('*^', '*~1'), { noCache: true }),
    async i => reader.dht.getValue(versionKey(address(i), 1)))
}

function benchNode (dht: DHT, crypto: CryptoProvider, signer: RecordSigner): BenchNode {
  const t = timed(dht)
  const components = { dht: t.dht, crypto, roles, signer, datastore: new MemoryDatastore() }
  return {
    dht,
    timed: t,
    // a generous deadline: a loaded machine can make one kad query slow
    storage: createEncryptedStorage(components, { reconcileInterval: 0, timeout: 120_000 }),
    fast: createEncryptedStorage(components, { reconcileInterval: 0, timeout: 120_000, confirmWrites: false })
  }
}

async function main (): Promise<void> {
  const crypto = await makeCrypto()

  // --- MockDHT ------------------------------------------------------------
  const network = createMockNetwork()
  const mocks = await Promise.all(Array.from({ length: 10 }, async () => {
    const signer = signerFromPrivateKey(await generateKeyPair('Ed25519'))
    const dht = mockDHT({ peerId: signer.peerId, validators: policy.validators, selectors: policy.selectors })({ network })
    await dht.start()
    return benchNode(dht, crypto, signer)
  }))
  await measure('MockDHT (10 nodes)', mocks[0], mocks[5], MOCK_OPS)
  // the floor of a store: age encryption for the 5 reader roles alone, next to the same raw put
  const readers = roles.recipientsFor('backend_developer')
  {
    const [enc, raw, , , encCpu, rawCpu] = await pairwise(MOCK_OPS, async () => crypto.encryptForMultipleRoles(content, readers), async i => mocks[0].dht.putValue(`/bench/enc/${i}`, content))
    rows.push({ scenario: 'MockDHT (10 nodes)', op: 'encryption alone (5 roles)', storage: enc, raw, rawLabel: 'putValue', storageCpu: encCpu, rawCpu })
  }
  const hitAddress = 'ucxl://bench:backend_developer@hit:t/*^/doc'
  await mocks[0].storage.storeUCXLContent(hitAddress, content, 'backend_developer', 'application/octet-stream')
  const hits = MOCK_OPS * 20
  const hitStart = performance.now()
  for (let i = 0; i < hits; i++) await mocks[0].storage.retrieveUCXLContent(hitAddress)
  const hit = hits / ((performance.now() - hitStart) / 1000)
  rows.push({ scenario: 'any DHT', op: 'retrieve, cache hit', storage: hit })
  for (const m of mocks) await m.dht.stop()
  print()

  // --- dht-core memory network ----------------------------------------------
  if (NODES === 0) return
  const t0 = performance.now()
  const keys = await Promise.all(Array.from({ length: NODES }, async () => generateKeyPair('Ed25519')))
  const net = await createTestNetwork(NODES, { validators: policy.validators, selectors: policy.selectors }, { components: i => ({ privateKey: keys[i] }), timeout: 300_000, minRoutingTableSize: MIN_ROUTING_TABLE })
  console.log(`${NODES}-node dht-core memory network ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  try {
    const node = (i: number): BenchNode => benchNode(net.nodes[i], crypto, signerFromPrivateKey(keys[i]))
    rows.length = 0
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
