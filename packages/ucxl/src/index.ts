/**
 * @packageDocumentation
 *
 * UCXL address parsing, validation, matching and DHT keys.
 */

export * from './constants.js'
