import { createKeyStore } from '@chorus-dht/crypto-age'
import type { ComponentLogger } from '@chorus-dht/types'

/** The pseudo-role under which the node's own age key is kept in its key store. */
const NODE_ROLE = 'node'

/** The node's own age key pair: grants and offline exports are encrypted to `recipient`. */
export interface NodeIdentity {
  identity: string
  recipient: string
  /** Made now (first start). */
  created: boolean
}

/**
 * Loads the node's own age key pair from `directory` (a crypto-age key store
 * holding one identity, role `node`), or makes it on first start. The
 * identity file is mode 0600 and, with a passphrase, an age scrypt file, as
 * role identities are.
 */
export async function loadOrCreateNodeIdentity (directory: string, passphrase: string | undefined, logger: ComponentLogger): Promise<NodeIdentity> {
  const store = createKeyStore({ logger }, { directory, passphrase })
  await store.init()
  let created = false
  if (store.getIdentities(NODE_ROLE).length === 0) {
    await store.generateRoleKey(NODE_ROLE)
    created = true
  }
  return { identity: store.getIdentities(NODE_ROLE)[0], recipient: store.getRecipient(NODE_ROLE)!, created }
}
