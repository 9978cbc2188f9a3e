/**
 * @packageDocumentation
 *
 * Role keys and multi-recipient age encryption.
 */

export * from './constants.js'
