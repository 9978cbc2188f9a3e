import { BUILTIN_ROLES, createAgeCrypto, createRoleRegistry } from '@chorus-dht/crypto-age'
import { createMockNetwork, mockDHT } from '@chorus-dht/hybrid-mock'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core/memory'
import { chorusRecordPolicy, createEncryptedStorage, memoryAuditSink, signerFromPrivateKey } from '../src/index.js'
import type { EncryptedStorage, EncryptedStorageInit, MemoryAuditSinkHandle } from '../src/index.js'
import type { MockNetwork } from '@chorus-dht/hybrid-mock'
import type { AgeKeyPair, Clock, CryptoProvider, DHT, RecordSigner, RoleRegistry } from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

export const roles: RoleRegistry = createRoleRegistry()

let keysPromise: Promise<Record<string, AgeKeyPair>> | undefined

/** One age key pair per built-in role, generated once per test file. */
export async function roleKeys (): Promise<Record<string, AgeKeyPair>> {
  keysPromise ??= (async () => {
    const generator = createAgeCrypto({ roles, keys: {} })
    const out: Record<string, AgeKeyPair> = {}
    for (const role of BUILTIN_ROLES) out[role.name] = await generator.generateAgeKeyPair()
    return out
  })()
  return keysPromise
}

/** A crypto provider knowing every role's recipient and holding the identities of `held`. */
export async function cryptoFor (held: string[]): Promise<CryptoProvider> {
  const keys = await roleKeys()
  const recipients = Object.fromEntries(Object.entries(keys).map(([r, k]) => [r, k.publicKey]))
  const identities = Object.fromEntries(held.map(r => [r, keys[r].privateKey]))
  return createAgeCrypto({ roles, keys: { recipients, identities } })
}

export async function newSigner (): Promise<RecordSigner> {
  return signerFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A settable clock. */
export function manualClock (start = Date.now()): Clock & { set(t: number): void, advance(ms: number): void } {
  let now = start
  return { now: () => now, set: (t) => { now = t }, advance: (ms) => { now += ms } }
}

export interface TestNode {
  dht: DHT
  storage: EncryptedStorage
  audit: MemoryAuditSinkHandle
  datastore: Datastore
  signer: RecordSigner
  crypto: CryptoProvider
}

export interface MockNodeOptions {
  network?: MockNetwork
  held?: string[]
  init?: EncryptedStorageInit
  clock?: Clock
  datastore?: Datastore
  signer?: RecordSigner
}

/** A MockDHT node with the chorus record policy and a store on top of it. */
export async function mockNode (options: MockNodeOptions = {}): Promise<TestNode> {
  const signer = options.signer ?? await newSigner()
  const dht = mockDHT({ peerId: signer.peerId, ...chorusRecordPolicy({ clock: options.clock }) })({ network: options.network ?? createMockNetwork() })
  await dht.start()
  const crypto = await cryptoFor(options.held ?? ['backend_developer'])
  const datastore = options.datastore ?? new MemoryDatastore()
  const audit = memoryAuditSink()
  const storage = createEncryptedStorage({ dht, crypto, roles, signer, datastore, audit, clock: options.clock }, { reconcileInterval: 0, ...options.init })
  return { dht, storage, audit, datastore, signer, crypto }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const str = (b: Uint8Array): string => new TextDecoder().decode(b)
