/**
 * @packageDocumentation
 *
 * The chorus-dht reference node: CLI, HTTP API, persistence. Most people run
 * it as the `chorus-dht` command; this module exposes the same parts for
 * embedding a node in another program.
 *
 * @example
 *
 * ```ts
 * import '@chorus-dht/dht-core/polyfill'
 * import { ChorusNode, createLogger, loadConfig } from '@chorus-dht/node'
 *
 * const config = await loadConfig({ flags: { dataDir: './.my-node', apiPort: '0' } })
 * const node = new ChorusNode(config, createLogger(config.log))
 * const info = await node.start()
 * console.info(info.peerId, info.api)
 * await node.stop()
 * ```
 */

export * from './constants.js'
export * from './errors.js'
export { parseDuration } from '@chorus-dht/utils'
export { loadConfig, resolveConfig, resolveBootstrap, reloadBootstrap, fileConfigSchema, ENV_VARS, SETTINGS, renderConfigTemplate, renderEffectiveConfig } from './config.js'
export type { NodeConfig, FileConfig, FlagConfig, LoadConfigInit, EnvVarSpec, BootstrapSource, BootstrapInputs, SettingSpec, ResolvedConfig, SettingSource } from './config.js'
export { UCXL_CODES, HttpError, classifyError, errorEnvelope, successEnvelope } from './envelope.js'
export type { SuccessEnvelope, ErrorEnvelope, UcxlCode } from './envelope.js'
export { ChorusNode } from './node.js'
export type { NodeInfo, ReloadResult } from './node.js'
export { createLogger, componentLogger, childLogger } from './logger.js'
export type { LoggerInit } from './logger.js'
export { main } from './cli-main.js'
export type { CliIO } from './cli/io.js'
