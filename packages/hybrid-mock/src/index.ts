/**
 * @packageDocumentation
 *
 * An in-memory DHT and a real/mock hybrid DHT with fallback.
 */

export * from './constants.js'
