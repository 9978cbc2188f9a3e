import type { ViteUserConfig } from 'vitest/config'
export declare function chorusVitest (overrides?: ViteUserConfig['test']): ViteUserConfig
declare const config: ViteUserConfig
export default config
