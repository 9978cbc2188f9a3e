import { describe, expect, it } from 'vitest'
import * as types from '../src/index.js'

const names = [
  'NotFoundError',
  'InvalidParametersError',
  'AccessDeniedError',
  'IntegrityError',
  'RecordTooLargeError',
  'BackendUnavailableError',
  'NotStartedError',
  'TimeoutError',
  'AbortError',
  'RecordConflictError',
  'MissingRecipientError'
] as const

describe('shared errors', () => {
  it.each(names)('%s has a stable name on the class and the instance', (name) => {
    const Ctor = types[name]
    const err = new Ctor('boom', { cause: new Error('root') })
    expect(Ctor.name).toBe(name)
    expect(err.name).toBe(name)
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toBe('boom')
    expect((err.cause as Error).message).toBe('root')
  })

  it('gives every error a useful default message', () => {
    for (const name of names) {
      expect(new types[name]().message.length).toBeGreaterThan(3)
    }
  })

  it('keeps size and limit on RecordTooLargeError', () => {
    const err = new types.RecordTooLargeError('too big', { size: 10, limit: 5 })
    expect(err.size).toBe(10)
    expect(err.limit).toBe(5)
  })

  it('keeps the role on MissingRecipientError and the reason on CertificateError', () => {
    expect(new types.MissingRecipientError('no recipient', { role: 'qa_engineer' }).role).toBe('qa_engineer')
    const err = new types.CertificateError('expired', { reason: 'expired' })
    expect(err.name).toBe('CertificateError')
    expect(types.CertificateError.name).toBe('CertificateError')
    expect(err.reason).toBe('expired')
  })

  it('exports nothing at run time but the error classes', () => {
    expect(Object.keys(types).sort()).toEqual([...names, 'CertificateError'].sort())
  })
})
