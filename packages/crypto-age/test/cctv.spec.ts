/**
 * The C2SP CCTV age test vectors (npm `cctv-age`): every vector of a kind
 * this package reads is decrypted, and must succeed or fail exactly as the
 * vector says. Armored files are read too, so every vector runs.
 */
import { createHash } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import * as cctv from 'cctv-age'
import { describe, expect, it } from 'vitest'
import { parseIdentity } from '../src/age/keys.js'
import { ScryptIdentity } from '../src/age/scrypt.js'
import type { Identity } from '../src/age/format.js'
import { MAX_SCRYPT_WORK_FACTOR } from '../src/constants.js'
import { dearmor } from '../src/age/armor.js'
import { decryptWith, mapError } from '../src/engine.js'

interface Vector {
  name: string
  expect: string
  payload?: string
  identities: string[]
  passphrases: string[]
  armored: boolean
  file: Uint8Array
}

function parseVector (name: string, data: Uint8Array): Vector {
  const split = Buffer.from(data).indexOf('\n\n')
  const head = Buffer.from(data.subarray(0, split)).toString('utf8')
  let file: Uint8Array = data.subarray(split + 2)
  const v: Vector = { name, expect: '', identities: [], passphrases: [], armored: false, file }
  for (const line of head.split('\n')) {
    const i = line.indexOf(': ')
    const key = line.slice(0, i)
    const value = line.slice(i + 2)
    if (key === 'expect') v.expect = value
    else if (key === 'payload') v.payload = value
    else if (key === 'identity') v.identities.push(value)
    else if (key === 'passphrase') v.passphrases.push(value)
    else if (key === 'armored') v.armored = value === 'yes'
    else if (key === 'compressed') file = inflateSync(file)
  }
  v.file = file
  return v
}

const all = Object.entries((cctv as any).default ?? cctv)
  .filter(([, data]) => data instanceof Uint8Array)
  .map(([name, data]) => parseVector(name, data as Uint8Array))
// Every kind is supported: X25519, hybrid post-quantum, scrypt, armored.
const supported = all
const skipped: Vector[] = []

const EXPECTED: Record<string, { name: string, failure?: string }> = {
  'no match': { name: 'AccessDeniedError' },
  'HMAC failure': { name: 'IntegrityError', failure: 'hmac' },
  'header failure': { name: 'IntegrityError', failure: 'header' },
  'payload failure': { name: 'IntegrityError', failure: 'payload' },
  'armor failure': { name: 'IntegrityError', failure: 'armor' }
}

describe('CCTV age test vectors', () => {
  it('has vectors to run', () => {
    // Printed so CI logs show the count; the suite fails if none ran.
    process.stdout.write(`CCTV age vectors: ${supported.length} run, ${skipped.length} skipped, ${all.length} total\n`)
    expect(supported.length).toBeGreaterThan(140)
  })

  it.each(supported.map(v => [v.name, v] as const))('%s', async (_, v) => {
    const identities: Identity[] = [
      ...v.identities.map(s => parseIdentity(s, 'vector identity')),
      ...v.passphrases.map(p => new ScryptIdentity(p, MAX_SCRYPT_WORK_FACTOR))
    ]
    // An armored vector goes through the armor decoder first, as the CCTV
    // README asks; decrypt() also detects armor by itself.
    const open = async (): Promise<Uint8Array> => {
      let file = v.file
      if (v.armored) {
        try {
          file = dearmor(file)
        } catch (err) {
          throw mapError(err)
        }
      }
      return await decryptWith(file, identities)
    }
    if (v.expect === 'success') {
      const plaintext = await open()
      expect(createHash('sha256').update(plaintext).digest('hex')).toBe(v.payload)
      return
    }
    const want = EXPECTED[v.expect]
    expect(want, `unknown expectation ${v.expect}`).toBeDefined()
    const err: any = await open().then(() => undefined, (e: unknown) => e)
    expect(err, 'decryption should fail').toBeDefined()
    expect({ name: err.name, failure: err.ageFailure }, err.message).toEqual({ name: want.name, failure: want.failure })
  })
})
