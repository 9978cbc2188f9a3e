/** Authority levels, highest first. */
export const AUTHORITY_LEVELS = ['master', 'decision', 'coordination', 'suggestion', 'read_only'] as const

/** Default deadline of one encrypt or decrypt call, in milliseconds. */
export const DEFAULT_OPERATION_TIMEOUT = 60_000

/** Default deadline of one key store call (disk and scrypt), in milliseconds. */
export const DEFAULT_KEY_STORE_TIMEOUT = 60_000

/**
 * Default scrypt work factor (log2 N) for passphrase-protected identity
 * files. 18 is what the `age` CLI and `age-encryption` use.
 */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18

/**
 * Highest scrypt work factor accepted when opening a passphrase-protected
 * file. The `age` CLI accepts up to 22.
 */
export const MAX_SCRYPT_WORK_FACTOR = 22

/** Default for `AgeCryptoInit.requireAllRecipients`. */
export const DEFAULT_REQUIRE_ALL_RECIPIENTS = false

/** Role names: what is safe as a file name on every platform. */
export const ROLE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

/** The prefix of crypto-age's log component names. */
export const DEFAULT_LOG_PREFIX = 'chorus-dht:crypto-age'
