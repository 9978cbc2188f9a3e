/** Kademlia protocol id. */
export const DEFAULT_PROTOCOL = '/CHORUS/kad/1.0.0'
/** Bootstrap timeout, ms. */
export const DEFAULT_BOOTSTRAP_TIMEOUT = 30_000
/** Discovery interval, ms. */
export const DEFAULT_DISCOVERY_INTERVAL = 60_000
