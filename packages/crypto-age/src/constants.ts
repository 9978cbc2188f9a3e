/** Authority levels, highest first. */
export const AUTHORITY_LEVELS = ['master', 'decision', 'coordination', 'suggestion', 'read_only'] as const
