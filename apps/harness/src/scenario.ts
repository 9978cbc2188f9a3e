import type { ScenarioResult } from './result.js'

/** Options every scenario takes. Every field is optional. */
export interface ScenarioOptions {
  /** Nodes in the network. @default the scenario's own default */
  nodes?: number
  /** Seeds node keys and every random choice of the run. @default 1 */
  seed?: number
  /** Progress lines (the CLI prints them to stderr). @default silent */
  log?(line: string): void
}

/** A scenario-specific option, settable from the CLI as `--<name> <value>`. */
export interface ScenarioParam {
  /** The option's name in the scenario's options object and on the CLI. */
  name: string
  description: string
  type: 'integer' | 'number' | 'string' | 'boolean'
  /** The default, shown by `--help`. */
  default: string | number | boolean
  /** Allowed values of a `string` option. */
  choices?: string[]
}

/** A registered scenario: a name, what it checks, and the function that runs it. */
export interface Scenario {
  name: string
  /** One sentence: what it does and what it checks. */
  description: string
  /** Nodes when `--nodes` is not given. */
  defaultNodes: number
  /** Fewest nodes the scenario makes sense with. */
  minNodes: number
  /** Options beyond `nodes` and `seed`. */
  params: ScenarioParam[]
  /**
   * Runs the scenario. Resolves a result (also when an invariant failed or
   * the run ended early: `passed` is false then); rejects only for bad options.
   */
  run(options?: ScenarioOptions & Record<string, unknown>): Promise<ScenarioResult>
}
