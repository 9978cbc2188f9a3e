/**
 * The errors of `@chorus-dht/dht-core`. All are the shared classes of
 * `@chorus-dht/types`; branch on `err.name`.
 *
 * @packageDocumentation
 */
export {
  AbortError,
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError,
  RecordConflictError,
  TimeoutError
} from '@chorus-dht/types'
