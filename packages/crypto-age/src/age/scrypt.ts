/** The age scrypt (passphrase) recipient type on node:crypto. */
import { randomBytes, scrypt } from 'node:crypto'
import { decodeBase64, encodeBase64 } from './base64.js'
import { openFileKey, sealFileKey } from './format.js'
import type { Identity, Recipient, Stanza } from './format.js'

const LABEL = 'age-encryption.org/v1/scrypt'

async function deriveKey (passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN
  return await new Promise((resolve, reject) => {
    scrypt(passphrase, Buffer.concat([Buffer.from(LABEL), salt]), 32, { N, r: 8, p: 1, maxmem: 128 * 8 * N + 1024 * 1024 }, (err, key) => {
      if (err != null) reject(err)
      else resolve(key)
    })
  })
}

/** Wraps a file key under a passphrase. */
export class ScryptRecipient implements Recipient {
  constructor (private readonly passphrase: string, private readonly logN: number) {}

  async wrapFileKey (fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16)
    const key = await deriveKey(this.passphrase, salt, this.logN)
    return [{ args: ['scrypt', encodeBase64(salt), String(this.logN)], body: sealFileKey(key, fileKey) }]
  }
}

/** Unwraps a file key wrapped under a passphrase. */
export class ScryptIdentity implements Identity {
  constructor (private readonly passphrase: string, private readonly maxLogN: number) {}

  async unwrapFileKey (stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'scrypt') continue
      if (stanzas.length !== 1) throw new Error('a scrypt stanza must be the only stanza')
      if (s.args.length !== 3) throw new Error('scrypt stanza must have two arguments')
      const salt = decodeBase64(s.args[1])
      if (salt?.length !== 16) throw new Error('scrypt salt is not 16 bytes of canonical base64')
      if (!/^[1-9][0-9]?$/.test(s.args[2])) throw new Error('scrypt work factor is not a decimal number without leading zeros')
      const logN = Number(s.args[2])
      if (logN > this.maxLogN) throw new Error(`scrypt work factor ${logN} is above the limit ${this.maxLogN}`)
      if (s.body.length !== 32) throw new Error('scrypt stanza body is not 32 bytes')
      const fileKey = openFileKey(await deriveKey(this.passphrase, salt, logN), s.body)
      if (fileKey !== null) return fileKey
    }
    return null
  }
}
