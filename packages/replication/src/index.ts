/**
 * @packageDocumentation
 *
 * Provider tracking, reprovide, measured replica health and repair.
 */

export * from './constants.js'
