import { describe, expect, it } from 'vitest'
import {
  AccessDeniedError,
  IntegrityError,
  InvalidAuthorityKeyError,
  InvalidAuthorityRecordError,
  InvalidParametersError,
  UnroutedKeyError,
  WrongPassphraseError
} from '../src/index.js'

describe('error classes', () => {
  it('carry their names, on the class and on the instance', () => {
    const cases: Array<[{ name: string }, Error, string]> = [
      [InvalidAuthorityRecordError, new InvalidAuthorityRecordError('future', 'x'), 'InvalidAuthorityRecordError'],
      [WrongPassphraseError, new WrongPassphraseError(), 'WrongPassphraseError'],
      [InvalidAuthorityKeyError, new InvalidAuthorityKeyError(), 'InvalidAuthorityKeyError'],
      [UnroutedKeyError, new UnroutedKeyError('/x'), 'UnroutedKeyError'],
      [InvalidParametersError, new InvalidParametersError('x'), 'InvalidParametersError'],
      [AccessDeniedError, new AccessDeniedError('x'), 'AccessDeniedError'],
      [IntegrityError, new IntegrityError('x'), 'IntegrityError']
    ]
    for (const [cls, err, name] of cases) {
      expect(cls.name).toBe(name)
      expect(err.name).toBe(name)
      expect(err).toBeInstanceOf(Error)
    }
  })

  it('InvalidAuthorityRecordError puts the reason in the message and on the error', () => {
    const cause = new Error('inner')
    const err = new InvalidAuthorityRecordError('bad-field', 'generation must be a positive integer', { cause })
    expect(err.reason).toBe('bad-field')
    expect(err.message).toBe('invalid authority record (bad-field): generation must be a positive integer')
    expect(err.cause).toBe(cause)
  })

  it('WrongPassphraseError and InvalidAuthorityKeyError have default messages', () => {
    expect(new WrongPassphraseError().message).toBe('the passphrase does not open this authority key file')
    expect(new InvalidAuthorityKeyError().message).toBe('not an authority key file')
    expect(new WrongPassphraseError('m').message).toBe('m')
    expect(new InvalidAuthorityKeyError('m', { cause: 1 }).cause).toBe(1)
  })

  it('UnroutedKeyError keeps the key and cuts a long one in the message', () => {
    const short = 'k'.repeat(200)
    expect(new UnroutedKeyError(short).message).toBe(`no record policy for key ${short}`)
    const long = `${'a'.repeat(200)}${'b'.repeat(50)}`
    const err = new UnroutedKeyError(long)
    expect(err.key).toBe(long)
    expect(err.message).toBe(`no record policy for key ${'a'.repeat(200)}…`)
  })
})
