/**
 * @packageDocumentation
 *
 * The chorus-dht reference node: CLI, HTTP API, persistence.
 */

export * from './constants.js'
