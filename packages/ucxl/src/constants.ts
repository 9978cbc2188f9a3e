/** Prefix of every UCXL DHT key. */
export const DHT_KEY_PREFIX = '/CHORUS/ucxl/'

/** Longest address accepted, checked before anything else looks at the text. */
export const MAX_ADDRESS_LENGTH = 2048

/** The scheme every UCXL address starts with. */
export const UCXL_SCHEME = 'ucxl://'

/** The wildcard word for agent, role, project and task. */
export const ANY = 'any'

/** Largest count accepted in a temporal segment (`*~N`, `~~N`, `^^N`). */
export const MAX_TEMPORAL_COUNT = Number.MAX_SAFE_INTEGER
