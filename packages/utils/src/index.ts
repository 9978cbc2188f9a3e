/**
 * @packageDocumentation
 *
 * The primitives every chorus-dht library shares, written once: the signal
 * of an operation with its default deadline, an abortable pause, option
 * checkers, the namespace rule of record keys and the duration grammar of
 * configuration values.
 *
 * @example
 *
 * ```js
 * import { operationSignal, pause, positiveInteger, namespaceOf } from '@chorus-dht/utils'
 *
 * const op = operationSignal(50, undefined, { timeoutMessage: 'lookup timed out after 50 ms' })
 * try {
 *   await pause(1000, op.signal)
 * } catch (err) {
 *   console.log(err.name, op.timedOut) // TimeoutError true
 * } finally {
 *   op.clear()
 * }
 * console.log(positiveInteger('replicationFactor', 3)) // 3
 * console.log(namespaceOf('/CHORUS/ucxl/abc'), namespaceOf('/CHORUS/')) // CHORUS undefined
 * ```
 */

export { operationSignal, throwIfAborted, pause, withDeadline, checkpoint, yieldToEventLoop } from './deadline.js'
export type { OperationSignal, OperationSignalInit, WithDeadlineInit, CheckpointInit } from './deadline.js'
export { positiveNumber, nonNegativeNumber, positiveInteger, nonNegativeInteger, timerDelay } from './options.js'
export type { NumberCheckInit } from './options.js'
export { MAX_TIMER_DELAY } from './constants.js'
export { namespaceOf } from './keys.js'
export { parseDuration } from './duration.js'
export { AbortError, InvalidParametersError, TimeoutError } from './errors.js'
export { xor, xorHex, compareXorDistance } from './xor.js'
export { logWarning } from './log.js'
export type { WarningLogger } from './log.js'
