/** Prefix of every UCXL DHT key. */
export const DHT_KEY_PREFIX = '/CHORUS/ucxl/'
/** Longest address accepted, checked before any pattern runs. */
export const MAX_ADDRESS_LENGTH = 2048
