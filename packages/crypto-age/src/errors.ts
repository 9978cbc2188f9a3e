/**
 * The errors this package throws. All are the shared classes of
 * `@chorus-dht/types`; branch on `err.name`.
 *
 * - `InvalidParametersError`: malformed key, roles file, role name, unknown role.
 * - `AccessDeniedError`: no held identity matches, no identity held for a role,
 *   an identity file readable by group or others, a wrong passphrase.
 * - `IntegrityError`: a tampered, truncated or malformed ciphertext.
 * - `TimeoutError` / `AbortError`: deadline passed or caller aborted.
 * - `NotFoundError`: the roles file or key store directory does not exist.
 */
export { AbortError, AccessDeniedError, IntegrityError, InvalidParametersError, NotFoundError, TimeoutError } from '@chorus-dht/types'
