/**
 * Authority levels, highest first: `master`, `decision`, `coordination`,
 * `suggestion`, `read_only`.
 */
export type AuthorityLevel = 'master' | 'decision' | 'coordination' | 'suggestion' | 'read_only'

/** One role of the CHORUS role table. */
export interface RoleDefinition {
  /** The role name, e.g. `backend_developer`. */
  name: string
  /** What the role may do. A `read_only` role may not store. */
  authority: AuthorityLevel
  /**
   * The roles whose content this role may read. `*` means every role.
   * A role can always read its own content.
   */
  canDecrypt: string[]
  /** Free text for people. */
  description?: string
}

/**
 * The role table and the rules derived from it.
 */
export interface RoleRegistry {
  /** Returns the role, or `undefined` when it is not defined. */
  get(role: string): RoleDefinition | undefined
  has(role: string): boolean
  /** Every defined role. */
  list(): RoleDefinition[]
  /**
   * The roles new content by `creatorRole` is encrypted for: the creator's
   * role plus every role whose `canDecrypt` names it or `*`. Sorted, unique.
   * Throws `AccessDeniedError` for an unknown role.
   */
  recipientsFor(creatorRole: string): string[]
  /** Whether `reader` may read content created by `creator`. */
  canDecrypt(reader: string, creator: string): boolean
  /** `master` or `decision` authority. */
  canMakeDecisions(role: string): boolean
  /** `master` authority. */
  isAdminRole(role: string): boolean
  /** Any defined role that is not `read_only`. */
  canStore(role: string): boolean
}
