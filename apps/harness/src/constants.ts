/** Network sizes the `scale` benchmark is meant for (`--nodes`); 50 is its default. */
export const DEFAULT_BENCH_SIZES = [20, 50, 100] as const

/** Seed of every scenario run without `--seed`. */
export const DEFAULT_SEED = 1

/** Directory reports are written to, relative to the working directory. */
export const DEFAULT_REPORT_DIR = 'reports'

/** Largest network a scenario accepts (`--nodes`). */
export const MAX_NODES = 500

/** How long a network may take to fill its routing tables, ms. */
export const DEFAULT_FORMATION_TIMEOUT = 300_000

/** Deadline of one waited-for condition inside a scenario (a repair, a replay), ms. */
export const DEFAULT_CONDITION_TIMEOUT = 60_000

/** The UCXL project every scenario writes under. */
export const HARNESS_PROJECT = 'harness'
