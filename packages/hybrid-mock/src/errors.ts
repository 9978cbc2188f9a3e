export {
  AbortError,
  BackendUnavailableError,
  InvalidParametersError,
  NotFoundError,
  NotStartedError,
  TimeoutError
} from '@chorus-dht/types'
