export { InvalidParametersError } from '@chorus-dht/types'

/** A condition a scenario waits for did not hold before its deadline. */
export class ConditionTimeoutError extends Error {
  static override name = 'ConditionTimeoutError'
  override name = 'ConditionTimeoutError'

  constructor (what: string, timeout: number) {
    super(`timed out after ${timeout} ms waiting for ${what}`)
  }
}
