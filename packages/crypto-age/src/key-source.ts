/**
 * Where `AgeCrypto` gets keys: a {@link KeyStore}-like object, or the
 * plain maps of {@link StaticKeys}.
 */
export interface KeySource {
  /** The roles this source holds identities for. */
  listRoles(): string[]
  /** The newest `age1…` recipient of `role`, if known. */
  getRecipient(role: string): string | undefined
  /** The identities held for `role`, newest first (rotated ones included). */
  getIdentities(role: string): string[]
}

/** Keys given as plain maps, e.g. from configuration. */
export interface StaticKeys {
  /** Newest recipient per role. */
  recipients?: Record<string, string>
  /** Identities per role, newest first. */
  identities?: Record<string, string | string[]>
}

/** Wraps plain maps as a {@link KeySource}. */
export function staticKeySource (keys: StaticKeys): KeySource {
  const ids = new Map<string, string[]>()
  for (const [role, v] of Object.entries(keys.identities ?? {})) ids.set(role, Array.isArray(v) ? [...v] : [v])
  const recipients = { ...keys.recipients }
  return {
    listRoles: () => [...ids.keys()].filter(r => ids.get(r)!.length > 0).sort(),
    getRecipient: role => Object.hasOwn(recipients, role) ? recipients[role] : undefined,
    getIdentities: role => [...(ids.get(role) ?? [])]
  }
}
