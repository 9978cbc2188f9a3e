/** Cache entry lifetime, ms. */
export const DEFAULT_CACHE_TTL = 10 * 60_000
/** Cache cleanup interval, ms. */
export const DEFAULT_CACHE_CLEANUP_INTERVAL = 5 * 60_000
/** Most cache entries kept before the least recently used are dropped. */
export const DEFAULT_CACHE_MAX_ENTRIES = 1000
/** Most plaintext bytes kept in the cache before the least recently used entries are dropped. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024
/** Largest record, bytes. */
export const DEFAULT_MAX_RECORD_SIZE = 256 * 1024
/** Valid answers collected before the selector chooses a head record. */
export const DEFAULT_HEAD_QUORUM = 3
/** Replication factor written into metadata; a put needs this many peers (or all known peers, when fewer) to accept it. */
export const DEFAULT_REPLICATION_FACTOR = 3
/** Default deadline of every public async method, ms. */
export const DEFAULT_TIMEOUT = 30_000
/** How far in the future a record's timestamp may be, ms. */
export const DEFAULT_MAX_CLOCK_SKEW = 5 * 60_000
/** Re-publications of a store whose version lost before giving up. */
export const DEFAULT_MAX_REPUBLISH_ATTEMPTS = 8
/** How long this node re-checks its own writes for lost version races, ms. */
export const DEFAULT_CONFLICT_WINDOW = 10 * 60_000
/** Most own writes remembered for conflict checks. */
export const DEFAULT_CONFLICT_MAX_WRITES = 100
/** Closest peers `reconcile` asks for their copy of a record. */
export const DEFAULT_REPAIR_PEERS = 8
/** How often the background loop re-checks own recent writes, ms. */
export const DEFAULT_RECONCILE_INTERVAL = 60_000
/** Version records fetched at once by `history`. */
export const DEFAULT_HISTORY_CONCURRENCY = 8
/** Most versions `history` returns (the newest ones). */
export const DEFAULT_HISTORY_LIMIT = 1000
/** Datastore prefix of the local content index. */
export const DEFAULT_INDEX_PREFIX = '/chorus-dht/encrypted-storage/index'
/** Datastore prefix of the write ledger: own writes not yet acknowledged or still re-checked, and the log of own versions. */
export const DEFAULT_LEDGER_PREFIX = '/chorus-dht/encrypted-storage/ledger'
/** Number of entries `listContentByRole` and `searchContent` return when no limit is given. */
export const DEFAULT_SEARCH_LIMIT = 100

/** The first byte of every record: the envelope format version. */
export const RECORD_FORMAT_VERSION = 1
/** The envelope format of a record that carries its signer's role certificate (written under a network authority). */
export const RECORD_FORMAT_VERSION_CERTIFIED = 2
/** Largest base64 certificate a record may carry. */
export const MAX_CERTIFICATE_BASE64 = 16 * 1024
/** How far past the head a node holds an incoming head's version may be before the node refuses it. */
export const MAX_VERSION_JUMP = 1000
/** Domain separation prefix of the signed bytes. */
export const RECORD_SIGNING_DOMAIN = 'chorus-dht/ucxl-record/v1\n'
/** The DHT namespace the validator and selector are installed for. */
export const RECORD_NAMESPACE = 'CHORUS'
/** Prefix of the UCXL record keys. */
export const UCXL_KEY_PREFIX = '/CHORUS/ucxl/'

/** The prefix of the store's log component names. */
export const DEFAULT_LOG_PREFIX = 'chorus-dht:encrypted-storage'
