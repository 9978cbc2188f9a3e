import { MAX_TIMER_DELAY } from './constants.js'
import { InvalidParametersError } from './errors.js'

/**
 * Option checkers, one set for every package. Each returns the value when it
 * is valid and otherwise throws an `InvalidParametersError` that names the
 * option and the value: `<name> must be a positive number, got <value>`.
 */

/** How a number option may look besides its sign. */
export interface NumberCheckInit {
  /**
   * Accept `Infinity` (a limit that is off); the message then says `or Infinity`.
   *
   * @default false
   */
  allowInfinity?: boolean
  /**
   * The unit the message names: `must be a positive number of <unit>`.
   *
   * @default none
   */
  unit?: string
}

function check (ok: boolean, name: string, value: unknown, what: string, init: NumberCheckInit): void {
  if (!ok) {
    const unit = init.unit != null ? ` of ${init.unit}` : ''
    const inf = init.allowInfinity === true ? ' or Infinity' : ''
    throw new InvalidParametersError(`${name} must be a ${what}${unit}${inf}, got ${String(value)}`)
  }
}

function isNumber (value: unknown, init: NumberCheckInit): value is number {
  return typeof value === 'number' && (Number.isFinite(value) || (init.allowInfinity === true && value === Infinity))
}

/** A number > 0 (finite unless `allowInfinity`). */
export function positiveNumber (name: string, value: unknown, init: NumberCheckInit = {}): number {
  check(isNumber(value, init) && value > 0, name, value, 'positive number', init)
  return value as number
}

/** A number ≥ 0 (finite unless `allowInfinity`). */
export function nonNegativeNumber (name: string, value: unknown, init: NumberCheckInit = {}): number {
  check(isNumber(value, init) && value >= 0, name, value, 'non-negative number', init)
  return value as number
}

/** A safe integer ≥ 1 (or `Infinity` when `allowInfinity`). */
export function positiveInteger (name: string, value: unknown, init: NumberCheckInit = {}): number {
  check((Number.isSafeInteger(value) && (value as number) >= 1) || (init.allowInfinity === true && value === Infinity), name, value, 'positive integer', init)
  return value as number
}

/** A safe integer ≥ 0 (or `Infinity` when `allowInfinity`). */
export function nonNegativeInteger (name: string, value: unknown, init: NumberCheckInit = {}): number {
  check((Number.isSafeInteger(value) && (value as number) >= 0) || (init.allowInfinity === true && value === Infinity), name, value, 'non-negative integer', init)
  return value as number
}

/**
 * A delay a timer can wait: a finite number of ms in `(0, max]`. Longer
 * delays than `MAX_TIMER_DELAY` fire at once in Node.
 */
export function timerDelay (name: string, value: unknown, max: number = MAX_TIMER_DELAY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidParametersError(`${name} must be a number of milliseconds in (0, ${max}], got ${String(value)}`)
  }
  return value
}
