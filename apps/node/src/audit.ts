import { access } from 'node:fs/promises'
import { fileAuditSink } from '@chorus-dht/encrypted-storage'
import { EXIT } from './constants.js'
import type { CliIO } from './cli/io.js'

/** `chorus-dht audit verify`: checks the hash chain of an audit log. */
export async function runAuditVerify (path: string, asJson: boolean, io: CliIO): Promise<number> {
  try {
    await access(path)
  } catch {
    io.stderr(`chorus-dht audit: no audit log at ${path}\n`)
    return EXIT.FAILURE
  }
  const sink = fileAuditSink(path, { sync: false })
  try {
    const result = await sink.verify()
    if (asJson) {
      io.stdout(`${JSON.stringify({ file: path, ...result }, null, 2)}\n`)
    } else if (result.valid) {
      io.stdout(`audit log ${path}: intact, ${result.entries} entries\n`)
    } else {
      io.stdout(`audit log ${path}: BROKEN at line ${result.line}: ${result.reason}\n`)
    }
    return result.valid ? EXIT.OK : EXIT.FAILURE
  } finally {
    await sink.close()
  }
}
