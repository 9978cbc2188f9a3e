/** Why an age file could not be read; mapped to chorus errors by the caller. */
export type AgeFailure = 'armor' | 'header' | 'no match' | 'hmac' | 'payload'

/** A decryption failure with the CCTV category it belongs to. */
export class AgeFormatError extends Error {
  readonly failure: AgeFailure
  constructor (failure: AgeFailure, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.failure = failure
  }
}
