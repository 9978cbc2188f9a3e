export { AbortError, InvalidParametersError, TimeoutError } from '@chorus-dht/types'
