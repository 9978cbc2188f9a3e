/** The kind of a UCXL temporal segment. */
export type TemporalType = 'latest' | 'any' | 'specific' | 'relative'

/**
 * A parsed temporal segment in CHORUS's JSON shape:
 * `*^` latest, `*~` any, `*~N` specific (count N), `~~N` relative backward,
 * `^^N` relative forward.
 */
export interface TemporalSegment {
  type: TemporalType
  direction?: 'backward' | 'forward'
  count?: number
}

/** A parsed UCXL address in CHORUS's JSON shape. */
export interface UCXLAddress {
  agent: string
  role: string
  project: string
  task: string
  temporal_segment: TemporalSegment
  path: string
  raw: string
}
