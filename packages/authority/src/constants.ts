/** The DHT namespace (first key segment) authority records live in. */
export const AUTHORITY_NAMESPACE = 'CHORUS'
/** Every authority record key starts with this, then the authority id. */
export const AUTHORITY_KEY_PREFIX = '/CHORUS/authority/'
/**
 * Prepended to the body bytes before signing, so an authority signature can
 * never be replayed as a signature of another protocol (or vice versa).
 */
export const AUTHORITY_SIGNING_DOMAIN = 'chorus-dht/authority/v1\n'
/** The first byte of every envelope. */
export const AUTHORITY_ENVELOPE_VERSION = 1
/** Length of the envelope header: version byte and 4-byte body length. */
export const AUTHORITY_ENVELOPE_HEADER_LENGTH = 5
/** Length of an Ed25519 signature, the last bytes of every envelope. */
export const AUTHORITY_SIGNATURE_LENGTH = 64
/** Default largest accepted record, bytes (64 KiB). */
export const DEFAULT_MAX_RECORD_SIZE = 64 * 1024
/** Default largest accepted distance of `issuedAt` ahead of the clock, ms (5 min). */
export const DEFAULT_MAX_CLOCK_SKEW = 5 * 60_000
/**
 * Default scrypt work factor (log2 N) of an exported authority key: the
 * age default. `age-encryption` refuses to open files above 20.
 */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18
/** Lowest scrypt work factor `exportAuthorityKey` accepts. */
export const MIN_SCRYPT_WORK_FACTOR = 10
/** Highest scrypt work factor `exportAuthorityKey` accepts (the highest `age-encryption` opens). */
export const MAX_SCRYPT_WORK_FACTOR = 20
/** Longest role name accepted in a record. */
export const MAX_ROLE_NAME_LENGTH = 64
/** The characters of a role name (the SPEC's role charset). */
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/
/** An age X25519 recipient: `age1` and 58 bech32 characters. */
export const AGE_X25519_RECIPIENT_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/
/** An age X25519 identity: `AGE-SECRET-KEY-1` and 58 upper-case bech32 characters. */
export const AGE_X25519_IDENTITY_PATTERN = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/
/** The first line of an armored age file, the form grant identities travel in. */
export const AGE_ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----'
