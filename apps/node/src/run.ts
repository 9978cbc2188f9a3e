import { EXIT } from './constants.js'
import { createLogger } from './logger.js'
import { ChorusNode } from './node.js'
import type { CliIO } from './cli/io.js'
import type { NodeConfig } from './config.js'

/**
 * `chorus-dht start`: starts a node, prints its peer id, multiaddrs and API
 * URL, and runs until SIGINT or SIGTERM. SIGHUP reloads the roles file and
 * the bootstrap list. Resolves the exit status.
 */
export async function runNode (config: NodeConfig, io: CliIO): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format, components: config.log.components })
  const node = new ChorusNode(config, logger)

  let stopping: Promise<number> | undefined
  let starting: Promise<unknown> = Promise.resolve()
  const shutdown = async (signal: string): Promise<number> => {
    logger.info({ signal }, 'shutting down (bound %d ms)', config.shutdownTimeout)
    let timer: NodeJS.Timeout | undefined
    const bounded = await Promise.race([
      // a signal during start stops the node once it is up
      starting.then(async () => { await node.stop() }, () => {}).then(() => true),
      new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), config.shutdownTimeout) })
    ])
    clearTimeout(timer)
    if (!bounded) {
      logger.error('shutdown did not finish within %d ms; exiting', config.shutdownTimeout)
      return EXIT.FAILURE
    }
    logger.info('stopped')
    return EXIT.OK
  }

  let resolveDone!: (code: number) => void
  const done = new Promise<number>(resolve => { resolveDone = resolve })
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping != null) {
      logger.warn({ signal }, 'second signal: exiting now')
      process.exit(EXIT.FAILURE)
    }
    stopping = shutdown(signal)
    void stopping.then(resolveDone)
  }
  const onHup = (): void => {
    logger.info('SIGHUP: reloading the roles file and the bootstrap list')
    node.reload().then(r => {
      logger.info({ roles: r.roles, bootstrap: r.bootstrap, source: r.bootstrapSource, dialed: r.dialed }, 'reloaded')
    }, err => {
      logger.error({ err }, 'reload failed; keeping the previous roles and bootstrap list')
    })
  }
  process.on('SIGINT', onStop)
  process.on('SIGTERM', onStop)
  process.on('SIGHUP', onHup)

  try {
    const pending = node.start()
    starting = pending
    const info = await pending
    io.stdout([
      'chorus-dht node started',
      `peer id:   ${info.peerId}`,
      ...info.multiaddrs.map((a, i) => `${i === 0 ? 'multiaddr:' : '          '} ${a}`),
      `api:       ${info.api}`,
      `data dir:  ${info.dataDir}`,
      `backend:   ${info.backend}`,
      ''
    ].join('\n'))
    logger.info({ peerId: info.peerId, multiaddrs: info.multiaddrs, api: info.api, backend: info.backend }, 'node started')
    if (config.dht.useRealDHT && info.backend !== 'real') {
      logger.warn('the real DHT is not available: serving from the mock DHT; writes are journaled and replayed when it recovers')
    }
  } catch (err: any) {
    process.off('SIGINT', onStop)
    process.off('SIGTERM', onStop)
    process.off('SIGHUP', onHup)
    if (err?.name === 'ConfigError') throw err
    logger.error({ err }, 'start failed')
    io.stderr(`chorus-dht start: ${err?.message ?? String(err)}\n`)
    return EXIT.FAILURE
  }

  const code = await done
  process.off('SIGINT', onStop)
  process.off('SIGTERM', onStop)
  process.off('SIGHUP', onHup)
  return code
}
