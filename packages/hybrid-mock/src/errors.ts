export {
  AbortError,
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError,
  RecordConflictError,
  TimeoutError
} from '@chorus-dht/types'
