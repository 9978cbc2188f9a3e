import type { ChorusErrorOptions } from '@chorus-dht/types'
import { MAX_ADDRESS_LENGTH } from './constants.js'

export { InvalidParametersError } from '@chorus-dht/types'

/**
 * The part of a UCXL address an {@link InvalidUcxlAddressError} is about.
 * `scheme` also covers problems with the address as a whole: not a string,
 * longer than `MAX_ADDRESS_LENGTH`, not an object where one was expected.
 */
export type UcxlField = 'scheme' | 'agent' | 'role' | 'project' | 'task' | 'temporal_segment' | 'path'

/**
 * The longest `raw` kept in an error: every address of legal length is kept
 * whole, and a huge input never ends up in logs whole.
 */
const MAX_RAW_IN_ERROR = MAX_ADDRESS_LENGTH

function clip (raw: string): string {
  return raw.length > MAX_RAW_IN_ERROR ? `${raw.slice(0, MAX_RAW_IN_ERROR)}…` : raw
}

/**
 * A UCXL address (or a temporal segment, or an address object) is malformed.
 *
 * The message has CHORUS's exact shape:
 * `UCXL address validation error in <field>: <reason> (address: <raw>)`.
 * Branch on `err.name === 'InvalidUcxlAddressError'` and read `err.field`.
 */
export class InvalidUcxlAddressError extends Error {
  static override name = 'InvalidUcxlAddressError'
  override name = 'InvalidUcxlAddressError'

  /** The part of the address that is wrong. */
  readonly field: UcxlField
  /** What is wrong with it, without the surrounding text. */
  readonly reason: string
  /** The offending input (clipped to `MAX_ADDRESS_LENGTH` characters plus `…` when longer). */
  readonly raw: string

  constructor (field: UcxlField, reason: string, raw: string, options?: ChorusErrorOptions) {
    const clipped = clip(raw)
    super(`UCXL address validation error in ${field}: ${reason} (address: ${clipped})`, options)
    this.field = field
    this.reason = reason
    this.raw = clipped
  }
}
