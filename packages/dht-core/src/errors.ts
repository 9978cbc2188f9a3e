export { InvalidParametersError } from '@chorus-dht/types'
