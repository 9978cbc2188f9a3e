import { createKeyStore } from '@chorus-dht/crypto-age'
import { EXIT } from './constants.js'
import { createLogger, componentLogger } from './logger.js'
import type { CliIO } from './cli-main.js'
import type { NodeConfig } from './config.js'

/** `chorus-dht keys generate|rotate|list`: manages the role keystore of a data directory. */
export async function runKeys (config: NodeConfig, action: 'generate' | 'rotate' | 'list', role: string | undefined, asJson: boolean, io: CliIO): Promise<number> {
  const logger = componentLogger(createLogger(config.log.level === 'info' ? 'warn' : config.log.level))
  const store = createKeyStore({ logger }, { directory: config.keysDir, passphrase: config.keyPassphrase })
  await store.init()
  if (action === 'list') {
    const recipients = store.exportRecipients()
    const held = new Set(store.listRoles().filter(r => store.getIdentities(r).length > 0))
    const rows = Object.keys(recipients).sort().map(r => ({
      role: r,
      recipient: recipients[r],
      held: held.has(r),
      generations: store.getIdentities(r).length
    }))
    if (asJson) {
      io.stdout(`${JSON.stringify({ directory: config.keysDir, roles: rows }, null, 2)}\n`)
    } else if (rows.length === 0) {
      io.stdout(`no role keys in ${config.keysDir}\n`)
    } else {
      for (const row of rows) io.stdout(`${row.role}\t${row.recipient}\t${row.held ? `identity held (${row.generations} generation${row.generations === 1 ? '' : 's'})` : 'recipient only'}\n`)
    }
    return EXIT.OK
  }
  const info = action === 'generate' ? await store.generateRoleKey(role!) : await store.rotateRoleKey(role!)
  if (asJson) {
    io.stdout(`${JSON.stringify(info, null, 2)}\n`)
  } else {
    io.stdout(`${action === 'generate' ? 'generated' : 'rotated'} ${info.role}: generation ${info.generation}, recipient ${info.recipient}\n`)
  }
  if (config.keyPassphrase == null) io.stderr('warning: CHORUS_KEY_PASSPHRASE is not set; the identity is stored unencrypted (mode 0600)\n')
  return EXIT.OK
}
