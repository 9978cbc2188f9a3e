/**
 * @packageDocumentation
 *
 * The chorus-dht test harness: many nodes, scenarios, benchmarks, reports.
 */

export * from './constants.js'
