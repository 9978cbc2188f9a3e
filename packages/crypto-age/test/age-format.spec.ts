// The age format code (src/age) at its edges: every way a header, armor or
// payload is refused and the message that says why, the STREAM chunking and
// its progress checkpoints, the armor detection, key parsing and its cache.
import { bech32 } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { dearmor, isArmored } from '../src/age/armor.js'
import { encodeBase64 } from '../src/age/base64.js'
import { AgeFormatError, CHUNK_SIZE, decryptFile, encryptFile, openFileKey, parseHeader, unwrap } from '../src/age/format.js'
import type { Identity, Progress, Recipient, Stanza } from '../src/age/format.js'
import { identityProblem, parseIdentity, parseRecipient, recipientOf, recipientProblem } from '../src/age/keys.js'
import { ScryptIdentity, ScryptRecipient } from '../src/age/scrypt.js'
import { decodeX25519Identity, decodeX25519Recipient, generateX25519KeyPair, X25519Identity, X25519Recipient } from '../src/age/x25519.js'

const idle: Progress = { check: () => {}, yield: async () => {} }
const bytes = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill)
const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'))
const MAC = encodeBase64(bytes(32, 1))

async function failure (p: Promise<unknown> | (() => unknown)): Promise<AgeFormatError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).toBeInstanceOf(AgeFormatError)
    return err as AgeFormatError
  }
  return expect.unreachable('it did not fail') as never
}

function keyPair (): { recipient: Recipient, identity: Identity, publicKey: string, privateKey: string } {
  const { publicKey, privateKey } = generateX25519KeyPair()
  return { recipient: parseRecipient(publicKey), identity: parseIdentity(privateKey), publicKey, privateKey }
}

/** A recipient type of its own: the file key in the clear, in a body of `size` bytes. */
function plainRecipient (size: number): Recipient {
  return { wrapFileKey: (fileKey) => [{ args: ['plain'], body: Buffer.concat([fileKey, Buffer.alloc(size - 16)]) }] }
}
const plainIdentity: Identity = {
  unwrapFileKey: (stanzas) => {
    const s = stanzas.find(st => st.args[0] === 'plain')
    return s === undefined ? null : s.body.subarray(0, 16)
  }
}

describe('parseHeader refuses', () => {
  it.each([
    ['bytes without a newline', 'no newline at all', 'malformed age header: not an age file'],
    ['another format', 'hello\n', 'malformed age header: not an age file'],
    ['another age version', 'age-encryption.org/v2\n', 'malformed age header: unsupported version "age-encryption.org/v2"'],
    ['a header cut after the version', 'age-encryption.org/v1\n-> a\nAA', 'malformed age header: truncated'],
    ['a control byte', 'age-encryption.org/v1\n-> a\x01\n', 'malformed age header: invalid byte 0x1 at offset 26'],
    ['DEL', 'age-encryption.org/v1\n-> a\x7f\n', 'malformed age header: invalid byte 0x7f at offset 26'],
    ['a byte above ASCII', 'age-encryption.org/v1\n-> a\xe9\n', 'malformed age header: invalid byte 0xe9 at offset 26'],
    ['a short MAC', 'age-encryption.org/v1\n-> a\nAA\n--- AAAA\n', 'malformed age header: invalid MAC line'],
    ['a line that is no stanza', `age-encryption.org/v1\n${'x'.repeat(40)}\n`, `malformed age header: unexpected line "${'x'.repeat(32)}"`],
    ['an empty stanza argument', 'age-encryption.org/v1\n-> a  b\nAA\n', 'malformed age header: empty stanza argument'],
    ['a body line of 65 columns', `age-encryption.org/v1\n-> a\n${'A'.repeat(65)}\n`, 'malformed age header: stanza body line longer than 64 columns'],
    ['a body that is not canonical base64', 'age-encryption.org/v1\n-> a\nAB\n', 'malformed age header: stanza body is not canonical base64']
  ])('%s', async (_name, text, message) => {
    const err = await failure(() => parseHeader(latin1(text)))
    expect([err.failure, err.message]).toEqual(['header', message])
  })

  it('takes the printable range 0x20-0x7e in a header line', () => {
    const h = parseHeader(latin1(`age-encryption.org/v1\n-> !~ x\nAA\n--- ${MAC}\n`))
    expect(h.stanzas.map(st => [st.args, Buffer.from(st.body)])).toEqual([[['!~', 'x'], Buffer.from([0])]])
  })
})

describe('encryptFile and decryptFile', () => {
  it('ends a body of exactly 64 columns with an empty line, and reads it back', async () => {
    // 48 bytes are 64 base64 columns; 96 bytes are two full lines
    for (const size of [47, 48, 49, 96]) {
      const file = await encryptFile(bytes(10), [plainRecipient(size)], idle)
      const h = parseHeader(file)
      expect(h.stanzas[0].body.length).toBe(size)
      expect(Buffer.from(await decryptFile(file, [plainIdentity], idle))).toEqual(Buffer.from(bytes(10)))
    }
  })

  it('refuses to encrypt to nobody', async () => {
    await expect(encryptFile(bytes(1), [], idle)).rejects.toThrow('no recipients')
  })

  it('checks progress and yields once every 64 chunks, both ways', async () => {
    const { recipient, identity } = keyPair()
    // 129 chunks: 128 full ones and one byte
    const plaintext = bytes(128 * CHUNK_SIZE + 1, 3)
    const counts = { check: 0, yield: 0 }
    const counting: Progress = { check: () => { counts.check++ }, yield: async () => { counts.yield++ } }
    const file = await encryptFile(plaintext, [recipient], counting)
    expect(counts).toEqual({ check: 3, yield: 2 })
    counts.check = 0
    counts.yield = 0
    const back = await decryptFile(file, [identity], counting)
    expect(counts).toEqual({ check: 3, yield: 2 })
    expect(Buffer.compare(Buffer.from(back), Buffer.from(plaintext))).toBe(0)
  })

  it('stops at a checkpoint that throws', async () => {
    const { recipient } = keyPair()
    let checks = 0
    const stopping: Progress = { check: () => { if (++checks === 2) throw new Error('stop') }, yield: async () => {} }
    await expect(encryptFile(bytes(65 * CHUNK_SIZE), [recipient], stopping)).rejects.toThrow('stop')
  })

  it('reads an armored file, after any whitespace, by itself', async () => {
    const { recipient, identity } = keyPair()
    const file = await encryptFile(bytes(100, 5), [recipient], idle)
    const b64 = Buffer.from(file).toString('base64')
    const body = b64.match(/.{1,64}/g)!.join('\n')
    const armored = `-----BEGIN AGE ENCRYPTED FILE-----\n${body}\n-----END AGE ENCRYPTED FILE-----\n`
    for (const ws of ['', ' ', '\t', '\n', '\r\n', '\v', '\f', ' \t\n\r\v\f']) {
      const text = latin1(ws + armored)
      expect(isArmored(text)).toBe(true)
      expect(Buffer.from(await decryptFile(text, [identity], idle))).toEqual(Buffer.from(bytes(100, 5)))
    }
    expect(Buffer.from(await decryptFile(latin1(armored.replaceAll('\n', '\r\n')), [identity], idle))).toEqual(Buffer.from(bytes(100, 5)))
  })

  it('skips at most 1024 bytes of whitespace looking for armor, and wants five dashes', () => {
    const armor = '-----BEGIN AGE ENCRYPTED FILE-----'
    expect(isArmored(latin1(' '.repeat(1024) + armor))).toBe(true)
    expect(isArmored(latin1(' '.repeat(1025) + armor))).toBe(false)
    expect(isArmored(latin1('x-----'))).toBe(false)
    expect(isArmored(latin1('----x'))).toBe(false)
    expect(isArmored(latin1('  ----'))).toBe(false)
    expect(isArmored(latin1('age-encryption.org/v1\n'))).toBe(false)
    expect(isArmored(new Uint8Array(0))).toBe(false)
    // a view into a larger buffer is read from its own start
    const big = latin1(`xxxxx-----`)
    expect(isArmored(big.subarray(5))).toBe(true)
    expect(isArmored(big.subarray(0, 5))).toBe(false)
  })
})

describe('dearmor refuses', () => {
  const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
  const END = '-----END AGE ENCRYPTED FILE-----'
  const full = 'A'.repeat(64)
  it.each([
    ['no BEGIN line', `${full}\n${END}`, 'missing BEGIN line'],
    ['no END line', `${BEGIN}\nAAAA\n`, 'missing END line'],
    ['a short inner line', `${BEGIN}\nAAAA\nAAAA\n${END}`, 'line 2 has a wrong length'],
    ['a long last line', `${BEGIN}\n${full}A\n${END}`, 'line 2 has a wrong length'],
    ['a last line that is not whole base64 groups', `${BEGIN}\n${full}\nAAA\n${END}`, 'line 3 has a wrong length'],
    ['an empty last line', `${BEGIN}\n${full}\n\n${END}`, 'line 3 has a wrong length'],
    ['a line outside the alphabet', `${BEGIN}\n${full}\nAA-A\n${END}`, 'line 3 is not base64'],
    ['a line with a character after the data', `${BEGIN}\nAAA!\n${END}`, 'line 2 is not base64'],
    ['a line with a character before the data', `${BEGIN}\n!AAA\n${END}`, 'line 2 is not base64'],
    ['padding in the middle', `${BEGIN}\nAA==AAAA\n${END}`, 'padding inside the data'],
    ['padding followed by data', `${BEGIN}\nAAA=\nAAAA\n${END}`.replace('AAA=\nAAAA', `${'A'.repeat(63)}=\nAAAA`), 'padding inside the data'],
    ['three padding characters', `${BEGIN}\nA===\n${END}`, 'padding inside the data'],
    ['non-canonical trailing bits', `${BEGIN}\nAB==\n${END}`, 'base64 is not canonical']
  ])('%s', async (_name, text, why) => {
    const err = await failure(() => dearmor(latin1(text)))
    expect([err.failure, err.message]).toEqual(['armor', `malformed age armor: ${why}`])
  })

  it('takes one last line of 4 to 64 columns, padded or not', () => {
    expect(Buffer.from(dearmor(latin1(`${BEGIN}\nAAAA\n${END}`)))).toEqual(Buffer.alloc(3))
    expect(Buffer.from(dearmor(latin1(`${BEGIN}\nAA==\n${END}`)))).toEqual(Buffer.alloc(1))
    expect(Buffer.from(dearmor(latin1(`${BEGIN}\nAAA=\n${END}`)))).toEqual(Buffer.alloc(2))
    expect(dearmor(latin1(`${BEGIN}\n${full}\n${full}\n${END}`))).toHaveLength(96)
  })
})

describe('unwrap', () => {
  it('refuses a scrypt stanza beside others, before any identity sees it', async () => {
    const { recipient, identity } = keyPair()
    const stanzas: Stanza[] = [...await recipient.wrapFileKey(bytes(16)), { args: ['scrypt', encodeBase64(bytes(16)), '10'], body: bytes(32) }]
    const err = await failure(unwrap(stanzas, [identity]))
    expect([err.failure, err.message]).toEqual(['header', 'malformed age header: a scrypt stanza must be the only stanza'])
    // two stanzas of other types are fine
    const two = [...await recipient.wrapFileKey(bytes(16, 9)), ...await keyPair().recipient.wrapFileKey(bytes(16, 9))]
    expect(Buffer.from(await unwrap(two, [identity]))).toEqual(Buffer.from(bytes(16, 9)))
  })

  it('names a malformed stanza and keeps the cause', async () => {
    const { identity } = keyPair()
    const err = await failure(unwrap([{ args: ['X25519'], body: bytes(32) }], [identity]))
    expect([err.failure, err.message]).toEqual(['header', 'malformed recipient stanza: X25519 stanza must have exactly one argument'])
    expect((err.cause as Error).message).toBe('X25519 stanza must have exactly one argument')
  })

  it('refuses a file key that is not 16 bytes, and says when no identity matches', async () => {
    const short: Identity = { unwrapFileKey: () => bytes(15) }
    const err = await failure(unwrap([{ args: ['x'], body: bytes(1) }], [short]))
    expect([err.failure, err.message]).toEqual(['header', 'malformed age header: wrapped file key is not 16 bytes'])
    const none = await failure(unwrap([{ args: ['x'], body: bytes(1) }], [plainIdentity]))
    expect([none.failure, none.message]).toEqual(['no match', 'no identity matches any recipient of this file'])
    const empty = await failure(unwrap([], [plainIdentity]))
    expect([empty.failure, empty.message]).toEqual(['header', 'malformed age header: no recipient stanzas'])
  })

  it('openFileKey refuses a body that is not 32 bytes', () => {
    expect(openFileKey(bytes(32), bytes(31))).toBeNull()
    expect(openFileKey(bytes(32), bytes(33))).toBeNull()
  })
})

describe('the payload', () => {
  async function sealed (size: number): Promise<{ file: Uint8Array, identity: Identity, payloadStart: number }> {
    const { recipient, identity } = keyPair()
    const file = await encryptFile(bytes(size, 4), [recipient], idle)
    return { file, identity, payloadStart: parseHeader(file).payloadStart }
  }

  it.each([
    ['no nonce', (f: Uint8Array, p: number) => f.subarray(0, p + 15), 'header', 'age file truncated: missing payload nonce'],
    ['a nonce and no chunk', (f: Uint8Array, p: number) => f.subarray(0, p + 16 + 15), 'payload', 'age payload truncated: no chunk'],
    ['a last chunk shorter than its tag', (f: Uint8Array, _p: number) => Buffer.concat([f, bytes(5)]), 'payload', 'age payload truncated: short last chunk'],
    ['a modified chunk', (f: Uint8Array, _p: number) => { const c = Buffer.from(f); c[c.length - 1] ^= 1; return c }, 'payload', 'age payload chunk 0 does not authenticate: the file was modified or truncated']
  ])('refuses %s', async (_name, cut, kind, message) => {
    const { file, identity, payloadStart } = await sealed(CHUNK_SIZE)
    const err = await failure(decryptFile(cut(file, payloadStart), [identity], idle))
    expect([err.failure, err.message]).toEqual([kind, message])
  })

  it('refuses an empty last chunk after a full one', async () => {
    const { file, identity, payloadStart } = await sealed(2 * CHUNK_SIZE)
    // the first chunk as it is (not the last), then only a tag
    const cut = Buffer.concat([file.subarray(0, payloadStart + 16 + CHUNK_SIZE + 16), bytes(16)])
    const err = await failure(decryptFile(cut, [identity], idle))
    expect([err.failure, err.message]).toEqual(['payload', 'age payload: empty last chunk'])
  })

  it('names the chunk that does not authenticate', async () => {
    const { file, identity } = await sealed(3 * CHUNK_SIZE)
    const c = Buffer.from(file)
    c[c.length - (CHUNK_SIZE + 16) - 1] ^= 1
    const err = await failure(decryptFile(c, [identity], idle))
    expect(err.message).toBe('age payload chunk 1 does not authenticate: the file was modified or truncated')
  })
})

describe('scrypt stanzas', () => {
  const salt = encodeBase64(bytes(16))
  it.each([
    ['beside other stanzas', [{ args: ['scrypt', salt, '10'], body: bytes(32) }, { args: ['x'], body: bytes(32) }], 'a scrypt stanza must be the only stanza'],
    ['with one argument', [{ args: ['scrypt', salt], body: bytes(32) }], 'scrypt stanza must have two arguments'],
    ['with a short salt', [{ args: ['scrypt', encodeBase64(bytes(15)), '10'], body: bytes(32) }], 'scrypt salt is not 16 bytes of canonical base64'],
    ['with a salt that is not base64', [{ args: ['scrypt', '!', '10'], body: bytes(32) }], 'scrypt salt is not 16 bytes of canonical base64'],
    ['with a leading zero', [{ args: ['scrypt', salt, '010'], body: bytes(32) }], 'scrypt work factor is not a decimal number without leading zeros'],
    ['with three digits', [{ args: ['scrypt', salt, '100'], body: bytes(32) }], 'scrypt work factor is not a decimal number without leading zeros'],
    ['with a sign', [{ args: ['scrypt', salt, '+9'], body: bytes(32) }], 'scrypt work factor is not a decimal number without leading zeros'],
    ['with a work factor above the limit', [{ args: ['scrypt', salt, '11'], body: bytes(32) }], 'scrypt work factor 11 is above the limit 10'],
    ['with a short body', [{ args: ['scrypt', salt, '10'], body: bytes(31) }], 'scrypt stanza body is not 32 bytes']
  ])('refuses a stanza %s', async (_name, stanzas, message) => {
    await expect(new ScryptIdentity('pw', 10).unwrapFileKey(stanzas)).rejects.toThrow(message)
  })

  it('opens at the work factor limit and not with another passphrase', async () => {
    const stanzas = await new ScryptRecipient('pw', 10).wrapFileKey(bytes(16, 2))
    expect(stanzas[0].args).toEqual(['scrypt', expect.stringMatching(/^[A-Za-z0-9+/]{22}$/), '10'])
    expect(Buffer.from((await new ScryptIdentity('pw', 10).unwrapFileKey(stanzas))!)).toEqual(Buffer.from(bytes(16, 2)))
    expect(await new ScryptIdentity('other', 10).unwrapFileKey(stanzas)).toBeNull()
    expect(await new ScryptIdentity('pw', 10).unwrapFileKey([{ args: ['X25519', 'x'], body: bytes(32) }])).toBeNull()
  })
})

describe('X25519 stanzas', () => {
  it.each([
    ['two arguments', { args: ['X25519', encodeBase64(bytes(32)), 'x'], body: bytes(32) }, 'X25519 stanza must have exactly one argument'],
    ['a short share', { args: ['X25519', encodeBase64(bytes(31))], body: bytes(32) }, 'X25519 share is not 32 bytes of canonical base64'],
    ['a share that is not base64', { args: ['X25519', '!'], body: bytes(32) }, 'X25519 share is not 32 bytes of canonical base64'],
    ['a short body', { args: ['X25519', encodeBase64(bytes(32, 9))], body: bytes(31) }, 'X25519 stanza body is not 32 bytes'],
    ['a low-order share', { args: ['X25519', encodeBase64(new Uint8Array(32))], body: bytes(32) }, 'X25519 share is invalid: ']
  ])('refuses %s', async (_name, stanza, message) => {
    const { identity } = keyPair()
    expect(() => identity.unwrapFileKey([stanza])).toThrow(message)
  })

  it('keeps the cause of an invalid share', () => {
    const { identity } = keyPair()
    try {
      identity.unwrapFileKey([{ args: ['X25519', encodeBase64(new Uint8Array(32))], body: bytes(32) }])
      expect.unreachable()
    } catch (err: any) {
      expect(err.cause).toBeInstanceOf(Error)
      expect(err.message).toBe(`X25519 share is invalid: ${err.cause.message}`)
    }
  })

  it('decodes only 32-byte keys of its own prefixes', () => {
    const { publicKey, privateKey } = generateX25519KeyPair()
    expect(decodeX25519Recipient(publicKey)).toHaveLength(32)
    expect(decodeX25519Identity(privateKey)).toHaveLength(32)
    expect(decodeX25519Recipient(bech32.encode('age', bech32.toWords(bytes(31)), false))).toBeUndefined()
    expect(decodeX25519Identity(bech32.encode('age-secret-key-', bech32.toWords(bytes(31)), false).toUpperCase())).toBeUndefined()
    expect(decodeX25519Recipient(`x${publicKey}`)).toBeUndefined()
    expect(decodeX25519Identity(`x${privateKey}`)).toBeUndefined()
  })
})

describe('key strings', () => {
  const pq = (bytesLength: number): string => bech32.encode('age1pq', bech32.toWords(bytes(bytesLength)), false)
  const pqIdentity = (bytesLength: number): string => bech32.encode('age-secret-key-pq-', bech32.toWords(bytes(bytesLength)), false).toUpperCase()

  it('says what is wrong with a recipient', () => {
    const { publicKey } = generateX25519KeyPair()
    expect(recipientProblem(publicKey)).toBeUndefined()
    expect(recipientProblem(7)).toBe('not a string')
    expect(recipientProblem('age2abc')).toBe('does not start with "age1"')
    expect(recipientProblem(`${publicKey.slice(0, -1)}${publicKey.endsWith('q') ? 'p' : 'q'}`)).toBe('not a valid X25519 recipient (bad bech32 checksum, case or length)')
    expect(recipientProblem(bech32.encode('age', bech32.toWords(bytes(31)), false))).toBe('not a valid X25519 recipient (bad bech32 checksum, case or length)')
    expect(recipientProblem('age1pq1x')).toBe('not a valid age1pq1 hybrid recipient (bad bech32 or length)')
    expect(recipientProblem(pq(1215))).toBe('not a valid age1pq1 hybrid recipient (bad bech32 or length)')
    expect(recipientProblem(pq(1216))).toBeUndefined()
  })

  it('says what is wrong with an identity, never showing it', () => {
    const { privateKey } = generateX25519KeyPair()
    expect(identityProblem(privateKey)).toBeUndefined()
    expect(identityProblem(null)).toBe('not a string')
    expect(identityProblem('AGE-SECRET-KEY-2X')).toBe('does not start with "AGE-SECRET-KEY-1"')
    expect(identityProblem(privateKey.toLowerCase())).toBe('does not start with "AGE-SECRET-KEY-1"')
    expect(identityProblem(`${privateKey}Q`)).toBe('not a valid X25519 identity (bad bech32 checksum, case or length)')
    expect(identityProblem('AGE-SECRET-KEY-PQ-1X')).toBe('not a valid AGE-SECRET-KEY-PQ-1 hybrid identity (bad bech32 or length)')
    expect(identityProblem(pqIdentity(31))).toBe('not a valid AGE-SECRET-KEY-PQ-1 hybrid identity (bad bech32 or length)')
    expect(identityProblem(pqIdentity(32))).toBeUndefined()
  })

  it('names the key in parse errors, shortened, and never an identity', () => {
    expect(() => parseRecipient('age2abc')).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: 'recipient "age2abc" is does not start with "age1"' }))
    expect(() => parseRecipient('age2abcdefghijklmnopqrstuvwxyz', 'the backend key')).toThrow('the backend key "age2abcdefgh…" (30 characters) is does not start with "age1"')
    expect(() => parseRecipient(`age2${'x'.repeat(16)}`)).toThrow(`recipient "age2${'x'.repeat(16)}" is`)
    expect(() => parseRecipient(5 as any)).toThrow('recipient number is not a string')
    expect(() => parseIdentity('AGE-SECRET-KEY-2SECRET')).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: 'identity is does not start with "AGE-SECRET-KEY-1"' }))
    expect(() => parseIdentity('AGE-SECRET-KEY-2SECRET', 'the role key')).toThrow('the role key is does not start')
  })

  it('parses X25519 keys on node:crypto and remembers them', async () => {
    const { publicKey, privateKey } = generateX25519KeyPair()
    const r = parseRecipient(publicKey)
    expect(r).toBeInstanceOf(X25519Recipient)
    expect(parseRecipient(publicKey)).toBe(r)
    const id = parseIdentity(privateKey)
    expect(id).toBeInstanceOf(X25519Identity)
    expect(parseIdentity(privateKey)).toBe(id)
    expect(await recipientOf(privateKey)).toBe(publicKey)
  })

  it('reads an X25519 recipient whose data begins with "tag" or "pq" as X25519 (the prefix decides)', () => {
    // 0x5f 0x50 … encodes to age1tag…, 0x08 0x00 … to age1pq…: 1 in 32^3 real keys looks like this
    for (const [start, head] of [['age1tag', [0x5f, 0x50]], ['age1pq', [0x08, 0x00]]] as const) {
      const raw = new Uint8Array(32).fill(7)
      raw.set(head)
      const key = bech32.encode('age', bech32.toWords(raw))
      expect(key.startsWith(start)).toBe(true)
      expect(recipientProblem(key)).toBeUndefined()
      expect(decodeX25519Recipient(key)).toEqual(raw)
      expect(parseRecipient(key)).toBeInstanceOf(X25519Recipient)
    }
  })

  it('forgets the oldest of more than 1024 remembered keys', () => {
    const first = generateX25519KeyPair().publicKey
    const r = parseRecipient(first)
    const next = Array.from({ length: 1024 }, () => generateX25519KeyPair().publicKey)
    const second = parseRecipient(next[0])
    for (const k of next.slice(1)) parseRecipient(k)
    expect(parseRecipient(next[0])).toBe(second)
    expect(parseRecipient(first)).not.toBe(r)
  })
})
