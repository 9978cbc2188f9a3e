import { BackendUnavailableError, NotFoundError } from '@chorus-dht/types'
import type { ApiOperations, BackendState, KeyReplication } from './api.js'
import type { DhtLayer } from './dht-layer.js'
import type { ReplicationTracker } from './tracking.js'
import type { ChorusDHT } from '@chorus-dht/dht-core'
import type { EncryptedStorage } from '@chorus-dht/encrypted-storage'
import type { ReplicationManager } from '@chorus-dht/replication'
import type { ReplicationStatus } from '@chorus-dht/types'

/** The running parts the operations use; each is read when a request comes. */
export interface NodeOperationsComponents {
  dht(): DhtLayer | undefined
  storage(): EncryptedStorage | undefined
  replication(): ReplicationManager | undefined
  tracker(): ReplicationTracker | undefined
  /** The `dht.*` settings the backend state reports. */
  settings: { useRealDHT: boolean, fallbackOnError: boolean }
}

type KeyOf = Pick<KeyReplication, 'key' | 'kind' | 'version'>

/**
 * The library operations the HTTP API offers beyond store and retrieve:
 * roles and discovery (dht-core), per-key replication status and repair
 * (replication), the hybrid's backend, and forget (storage). A part that is
 * off on this node is a `BackendUnavailableError` (503).
 */
export function nodeOperations (c: NodeOperationsComponents): ApiOperations {
  const storageOrFail = (): EncryptedStorage => {
    const storage = c.storage()
    if (storage == null) throw new BackendUnavailableError('storage is not running')
    return storage
  }
  const replicationOrFail = (): ReplicationManager => {
    const replication = c.replication()
    if (replication == null) throw new BackendUnavailableError('replication is off on this node (replication.enabled)')
    return replication
  }
  const realOrFail = (): ChorusDHT => {
    const real = c.dht()?.realNode()
    if (real == null) throw new BackendUnavailableError('the real DHT is not running on this node (dht.useRealDHT, or it failed to start)')
    return real
  }
  const dhtOrFail = (): DhtLayer => {
    const dht = c.dht()
    if (dht == null) throw new BackendUnavailableError('the DHT is not running')
    return dht
  }

  /** The DHT keys of an address: its head and each version the history knows. */
  const keysOf = async (address: string, signal: AbortSignal): Promise<KeyOf[]> => {
    const storage = storageOrFail()
    // the key scheme is the storage's
    const keys = storage.recordKeys(address)
    const versions = await storage.history(address, { signal }).catch((err: any) => {
      if (err?.name === 'NotFoundError') return []
      throw err
    })
    return [
      { key: keys.head, kind: 'head' as const, version: null },
      ...versions.map(v => ({ key: keys.version(v.version), kind: 'version' as const, version: v.version }))
    ]
  }

  /** The replication status and providers of one key. */
  const keyReplication = async (k: KeyOf, providers: number, signal: AbortSignal, status?: ReplicationStatus, error?: string): Promise<KeyReplication> => {
    const replication = replicationOrFail()
    let s: ReplicationStatus | null = status ?? null
    if (s == null) {
      try {
        s = replication.getReplicationStatus(k.key)
      } catch (err: any) {
        if (err?.name !== 'NotFoundError') throw err
      }
    }
    const found = providers > 0 ? await replication.findProviders(k.key, providers, { signal }) : []
    return { ...k, tracked: s != null, status: s, providers: found, ...(error != null ? { error } : {}) }
  }

  const backendState = (): BackendState => {
    const dht = dhtOrFail()
    return {
      active_backend: dht.dht.activeBackend,
      use_real_dht: c.settings.useRealDHT,
      fallback_on_error: c.settings.fallbackOnError,
      pending_writes: dht.dht.pendingWrites,
      backends: dht.dht.getBackendHealth() as unknown as BackendState['backends']
    }
  }

  return {
    findPeersByRole: async (role, options) => await realOrFail().findPeersByRole(role, options),
    announce: async (input, options) => {
      const real = realOrFail()
      if (input.role != null) await real.announceRole(input.role, options)
      for (const cap of input.capabilities ?? []) await real.announceCapability(cap, options)
      // the periodic re-announcement (registerPeer) carries what was announced
      return real.getAgentInfo()
    },
    discoveredPeers: () => realOrFail().getDiscoveredPeers(),
    replication: async (address, options) => {
      replicationOrFail()
      const keys = await keysOf(address, options.signal)
      const out = await Promise.all(keys.map(async k => await keyReplication(k, options.providers, options.signal)))
      if (!out.some(k => k.tracked) && out.length === 1) throw new NotFoundError(`this node stores nothing at ${address}`)
      return out
    },
    repair: async (address, action, options) => {
      const replication = replicationOrFail()
      const keys = await keysOf(address, options.signal)
      const tracked = new Set(replication.listContent().map(s => s.key))
      const mine = keys.filter(k => tracked.has(k.key))
      if (mine.length === 0) throw new NotFoundError(`replication tracks no key of ${address} on this node`)
      return await Promise.all(mine.map(async k => {
        try {
          const status = action === 'check'
            ? await replication.checkReplication(k.key, options)
            : await replication.repairContent(k.key, options)
          return await keyReplication(k, 0, options.signal, status)
        } catch (err: any) {
          if (options.signal.aborted) throw err
          return await keyReplication(k, 0, options.signal, undefined, `${err.name}: ${err.message}`)
        }
      }))
    },
    backend: () => backendState(),
    switchBackend: async (kind, options) => {
      await dhtOrFail().dht.switchBackend(kind, options)
      return backendState()
    },
    forget: async (address, options) => {
      const keys = await keysOf(address, options.signal)
      const forgotten = await storageOrFail().forget(address, options)
      const replication = c.replication()
      let untrackedKeys = 0
      for (const k of keys) {
        c.tracker()?.untrack(k.key)
        try {
          replication?.removeContent(k.key)
          if (replication != null) untrackedKeys++
        } catch (err: any) {
          if (err?.name !== 'NotFoundError') throw err
        }
      }
      return { forgotten, untrackedKeys }
    }
  }
}
