import { BUILTIN_ROLES, createAgeCrypto, createRoleRegistry } from '@chorus-dht/crypto-age'
import { chorusRecordPolicy, createEncryptedStorage, memoryAuditSink, signerFromPrivateKey } from '@chorus-dht/encrypted-storage'
import { mergePolicies, probeRecordPolicy } from '@chorus-dht/hybrid-mock'
import { MemoryDatastore } from 'datastore-core'
import { DEFAULT_FORMATION_TIMEOUT } from './constants.js'
import { formNetwork } from './network.js'
import { nodeKey, randomFor } from './util.js'
import type { ChorusDHT, ChorusDHTInit } from '@chorus-dht/dht-core'
import type { TestNetwork } from '@chorus-dht/dht-core/testing'
import type { EncryptedStorage, EncryptedStorageInit, MemoryAuditSinkHandle } from '@chorus-dht/encrypted-storage'
import type { DHT, RecordPolicy, RoleRegistry } from '@chorus-dht/types'
import type { PrivateKey } from '@libp2p/interface'

/** Namespace of the harness's own raw DHT records (`/harness/<name>`). */
export const HARNESS_NAMESPACE = 'harness'

const HARNESS_VALUE_PREFIX = 'harness:'
const MAX_HARNESS_VALUE = 4096

/**
 * The policy of raw harness records: a value is text starting with
 * `harness:`, at most 4 KiB; the selector picks the greatest text, so a
 * writer that puts `harness:<counter>:…` with a growing counter wins.
 */
export const harnessRecordPolicy: Required<RecordPolicy> = {
  validators: {
    [HARNESS_NAMESPACE]: (_key, value) => {
      if (value.byteLength > MAX_HARNESS_VALUE) throw new Error(`harness record larger than ${MAX_HARNESS_VALUE} bytes`)
      if (!new TextDecoder().decode(value).startsWith(HARNESS_VALUE_PREFIX)) throw new Error('not a harness record')
    }
  },
  selectors: {
    [HARNESS_NAMESPACE]: (_key, values) => {
      const texts = values.map(v => new TextDecoder().decode(v))
      let best = 0
      for (let i = 1; i < texts.length; i++) if (texts[i] > texts[best]) best = i
      return best
    }
  },
  // a harness record replaces the one held only when the selector prefers it (the DHTs' default rule)
  replacers: {}
}

/** The validators, selectors and replacement rules every harness node installs: chorus records, the hybrid's probe and raw harness records. */
export function harnessPolicy (): Required<RecordPolicy> {
  return mergePolicies(chorusRecordPolicy(), probeRecordPolicy, harnessRecordPolicy) as Required<RecordPolicy>
}

/** One age key pair per built-in role, shared by every node of a run. */
export interface RoleKeys {
  roles: RoleRegistry
  recipients: Record<string, string>
  identities: Record<string, string>
}

/** Generates a real age X25519 key pair for every built-in role. */
export async function createRoleKeys (): Promise<RoleKeys> {
  const roles = createRoleRegistry()
  const keygen = createAgeCrypto({ roles, keys: {} })
  const recipients: Record<string, string> = {}
  const identities: Record<string, string> = {}
  for (const role of BUILTIN_ROLES) {
    const pair = await keygen.generateAgeKeyPair()
    recipients[role.name] = pair.publicKey
    identities[role.name] = pair.privateKey
  }
  return { roles, recipients, identities }
}

/** Options of {@link createCluster}. */
export interface ClusterInit {
  nodes: number
  seed: number
  /** The role whose identity node `i` holds. */
  roleOf(index: number): string
  /** kad-dht bucket size: how many closest peers a put reaches. @default 20 (kad-dht's) */
  kBucketSize?: number
  /** Init of every node's encrypted storage. @default { reconcileInterval: 0 } */
  storage?: EncryptedStorageInit
  /** @default min(nodes - 1, 20), or kBucketSize when smaller */
  minRoutingTableSize?: number
  /** @default 300000 */
  formationTimeout?: number
  /**
   * The DHT node `i`'s storage runs on, given its dht-core node (e.g. a
   * HybridDHT over it). The caller starts what it returns.
   * @default the dht-core node itself
   */
  storageDHT?(index: number, dht: ChorusDHT): DHT
}

/** A storage node of a cluster: dht-core, age crypto for one role, encrypted storage, an audit sink. */
export interface ClusterNode {
  index: number
  role: string
  peerId: string
  privateKey: PrivateKey
  dht: ChorusDHT
  /** The DHT the storage uses: `dht`, or what `storageDHT` returned. */
  storageDHT: DHT
  storage: EncryptedStorage
  audit: MemoryAuditSinkHandle
}

/** N started storage nodes over one dht-core memory network. */
export interface Cluster {
  nodes: ClusterNode[]
  keys: RoleKeys
  network: TestNetwork
  /** ms from creating the first node to every routing table filled. */
  formationMs: number
  /** Stops every storage service and every node (idempotent). */
  stop(): Promise<void>
}

/**
 * Builds a cluster: seeded Ed25519 node keys, a dht-core memory network with
 * the chorus record policy, and encrypted storage on every node, holding the
 * identity of `roleOf(i)` and the recipients of every role.
 */
export async function createCluster (init: ClusterInit): Promise<Cluster> {
  const keys = await createRoleKeys()
  const privateKeys = await Promise.all(Array.from({ length: init.nodes }, async (_, i) => nodeKey(init.seed, i)))
  const policy = harnessPolicy()
  const dhtInit: ChorusDHTInit = {
    ...policy,
    ...(init.kBucketSize != null ? { kadDHT: { kBucketSize: init.kBucketSize } } : {})
  }
  const minSize = init.minRoutingTableSize ?? Math.min(init.nodes - 1, 20, init.kBucketSize ?? 20)
  const network = await formNetwork(init.nodes, {
    init: dhtInit,
    minRoutingTableSize: minSize,
    timeout: init.formationTimeout ?? DEFAULT_FORMATION_TIMEOUT,
    components: i => ({ privateKey: privateKeys[i] }),
    random: randomFor(init.seed, 'cluster/dials')
  })
  if (network.formationError != null) {
    await network.stop()
    throw new Error(`the network did not form: ${network.formationError}`)
  }
  const formationMs = network.formationMs
  const nodes = network.nodes.map((dht, index): ClusterNode => {
    const role = init.roleOf(index)
    const crypto = createAgeCrypto({ roles: keys.roles, keys: { recipients: keys.recipients, identities: { [role]: keys.identities[role] } } })
    const audit = memoryAuditSink()
    const storageDHT = init.storageDHT?.(index, dht) ?? dht
    const storage = createEncryptedStorage({
      dht: storageDHT,
      crypto,
      roles: keys.roles,
      signer: signerFromPrivateKey(privateKeys[index]),
      datastore: new MemoryDatastore(),
      audit
    }, { reconcileInterval: 0, ...init.storage })
    storage.start()
    return { index, role, peerId: dht.peerId, privateKey: privateKeys[index], dht, storageDHT, storage, audit }
  })
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      for (const node of nodes) await node.storage.stop()
      await network.stop()
    })()
    return stopping
  }
  return { nodes, keys, network, formationMs, stop }
}
