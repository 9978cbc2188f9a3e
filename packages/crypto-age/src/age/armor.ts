/** The age ASCII armor (strict PEM subset), decode only. */
import { AgeFormatError } from './format-error.js'

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const END = '-----END AGE ENCRYPTED FILE-----'
const LINE = /^[A-Za-z0-9+/=]+$/

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c
}

/** Whether `file` (after leading whitespace) starts like an armored age file. */
export function isArmored (file: Uint8Array): boolean {
  let i = 0
  while (i < file.length && i < 1024 && isSpace(file[i])) i++
  return Buffer.from(file.buffer, file.byteOffset + i, Math.min(file.length - i, 5)).toString('latin1') === '-----'
}

/**
 * Decodes an armored age file. Whitespace around it is ignored and lines
 * may end in CRLF; otherwise parsed strictly (64-column lines, canonical
 * padded base64).
 */
export function dearmor (file: Uint8Array): Uint8Array {
  const fail = (why: string): AgeFormatError => new AgeFormatError('armor', `malformed age armor: ${why}`)
  const lines = Buffer.from(file.buffer, file.byteOffset, file.length).toString('latin1').trim().replaceAll('\r\n', '\n').split('\n')
  if (lines.shift() !== BEGIN) throw fail('missing BEGIN line')
  if (lines.pop() !== END) throw fail('missing END line')
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
    const ok = i === lines.length - 1 ? l.length > 0 && l.length <= 64 && l.length % 4 === 0 : l.length === 64
    if (!ok) throw fail(`line ${i + 2} has a wrong length`)
    if (!LINE.test(l)) throw fail(`line ${i + 2} is not base64`)
  }
  const b64 = lines.join('')
  const pad = b64.indexOf('=')
  if (pad >= 0 && (pad < b64.length - 2 || !/^=+$/.test(b64.slice(pad)))) throw fail('padding inside the data')
  const bytes = Buffer.from(b64, 'base64')
  if (bytes.toString('base64') !== b64) throw fail('base64 is not canonical')
  return bytes
}
