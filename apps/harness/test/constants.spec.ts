import { expect, it } from 'vitest'
import { DEFAULT_BENCH_SIZES } from '../src/index.js'
it('benchmarks 20, 50 and 100 nodes', () => { expect(DEFAULT_BENCH_SIZES).toEqual([20, 50, 100]) })
