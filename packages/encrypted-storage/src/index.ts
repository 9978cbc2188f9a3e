/**
 * @packageDocumentation
 *
 * Encrypted, signed, versioned UCXL content over any DHT.
 */

export * from './constants.js'
