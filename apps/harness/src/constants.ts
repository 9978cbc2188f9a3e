/** Network sizes the default benchmark runs. */
export const DEFAULT_BENCH_SIZES = [20, 50, 100] as const
