/**
 * @packageDocumentation
 *
 * Role keys and multi-recipient age encryption for chorus-dht: the CHORUS
 * role table, a key store of role identities (passphrase-protected at rest),
 * and a `CryptoProvider` writing standard age v1 files that the `age` CLI
 * reads, and reading the files it writes.
 *
 * The age format (header, MAC, ChaCha20-Poly1305 STREAM) and the X25519 and
 * scrypt recipient types run on `node:crypto`; post-quantum hybrid keys
 * (`age1pq1…`) use `age-encryption`'s implementation.
 *
 * @example
 *
 * ```ts
 * import { createAgeCrypto, createKeyStore, createRoleRegistry } from '@chorus-dht/crypto-age'
 *
 * const roles = createRoleRegistry()
 * const keys = createKeyStore({}, { directory: './keys', passphrase: 'correct horse battery staple' })
 * await keys.init()
 * for (const role of ['backend_developer', 'admin']) {
 *   if (keys.getRecipient(role) === undefined) await keys.generateRoleKey(role)
 * }
 * const crypto = createAgeCrypto({ roles, keys })
 * const sealed = await crypto.encryptUCXLContent(new TextEncoder().encode('hello'), 'backend_developer')
 * const opened = await crypto.decryptWithRole(sealed, 'admin')
 * ```
 */

export * from './constants.js'
export { BUILTIN_ROLES, createRoleRegistry, isAuthorityLevel, loadRolesFile, parseRolesFile, validateRoleName } from './roles.js'
export type { RoleRegistryInit } from './roles.js'
export { createKeyStore } from './key-store.js'
export type { KeyStore, KeyStoreComponents, KeyStoreInit, RoleKeyInfo } from './key-store.js'
export { staticKeySource } from './key-source.js'
export type { KeySource, StaticKeys } from './key-source.js'
export { createAgeCrypto } from './age-crypto.js'
export type { AgeCrypto, AgeCryptoComponents, AgeCryptoInit } from './age-crypto.js'
