import { AccessDeniedError, IntegrityError, InvalidParametersError } from '@chorus-dht/types'
import type { AbortOptions } from '@chorus-dht/types'
import { DEFAULT_OPERATION_TIMEOUT } from './constants.js'
import { deadline, yieldToEventLoop } from './deadline.js'
import { AgeFormatError, decryptFile, encryptFile } from './age/format.js'
import type { Identity, Progress, Recipient } from './age/format.js'

/** Options of the low-level encrypt/decrypt calls. */
export interface EngineOptions extends AbortOptions {
  /** @default DEFAULT_OPERATION_TIMEOUT */
  timeout?: number
}

function progressFor (options: EngineOptions | undefined, what: string): Progress {
  return {
    check: deadline(options, options?.timeout ?? DEFAULT_OPERATION_TIMEOUT, what),
    yield: yieldToEventLoop
  }
}

function toUint8Array (content: unknown, what: string): Uint8Array {
  if (!(content instanceof Uint8Array)) throw new InvalidParametersError(`${what} must be a Uint8Array`)
  return content
}

/** Encrypts to parsed recipients (one age file). */
export async function encryptTo (content: Uint8Array, recipients: Recipient[], options?: EngineOptions): Promise<Uint8Array> {
  const plaintext = toUint8Array(content, 'content')
  if (recipients.length === 0) throw new InvalidParametersError('no recipients to encrypt to')
  return await encryptFile(plaintext, recipients, progressFor(options, 'age encryption'))
}

/**
 * Decrypts with parsed identities, mapping format failures to the shared
 * errors: no match → `AccessDeniedError`; malformed header, bad MAC,
 * tampered or truncated payload → `IntegrityError`.
 */
export async function decryptWith (ciphertext: Uint8Array, identities: Identity[], options?: EngineOptions): Promise<Uint8Array> {
  const file = toUint8Array(ciphertext, 'ciphertext')
  try {
    return await decryptFile(file, identities, progressFor(options, 'age decryption'))
  } catch (err: any) {
    throw mapError(err)
  }
}

/** Maps an {@link AgeFormatError} to the shared error classes. */
export function mapError (err: unknown): unknown {
  if (!(err instanceof AgeFormatError)) return err
  if (err.failure === 'no match') return new AccessDeniedError(err.message, { cause: err })
  const e = new IntegrityError(err.message, { cause: err })
  // Keeps the CCTV category reachable for conformance tests and diagnostics.
  Object.defineProperty(e, 'ageFailure', { value: err.failure, enumerable: false })
  return e
}
