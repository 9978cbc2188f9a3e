/**
 * The node's configuration: one table of settings (`config/settings.ts`)
 * from which the file schema, the `CHORUS_*` variables and the flags come;
 * the environment (`config/env.ts`), the file and the layering
 * (`config/file.ts`, `config/load.ts`), the bootstrap list
 * (`config/bootstrap.ts`) and `init` / `config show` (`config/render.ts`).
 */
export { LOG_LEVELS, LOG_FORMATS, DHT_MODES } from './config/schema.js'
export type { BootstrapSource, NodeConfig, FlagConfig, LoadConfigInit, SettingSpec, SettingKind, LogLevel, LogFormat, DhtMode } from './config/schema.js'
export { SETTINGS, OTHER_VARIABLES, fileConfigSchema, settingOf } from './config/settings.js'
export type { FileConfig } from './config/settings.js'
export { ENV_VARS, checkEnvNames, parseBool, splitList } from './config/env.js'
export type { EnvVarSpec } from './config/env.js'
export { readStructuredFile, readConfigFile } from './config/file.js'
export { readAssignment, resolveBootstrap, reloadBootstrap, envBootstrap } from './config/bootstrap.js'
export type { BootstrapInputs } from './config/bootstrap.js'
export { loadConfig, resolveConfig } from './config/load.js'
export type { ResolvedConfig, SettingSource } from './config/load.js'
export { renderConfigTemplate, renderEffectiveConfig, effectiveSettings, formatDuration } from './config/render.js'
export type { ShownSetting } from './config/render.js'
