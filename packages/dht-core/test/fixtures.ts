import type { ChorusDHTInit } from '../src/index.js'

/** Test record policy: a CHORUS record is valid when its first byte is not 0; the larger first byte wins. */
export const policy: Pick<ChorusDHTInit, 'validators' | 'selectors'> = {
  validators: {
    CHORUS: (_key, value) => {
      if (value.length === 0 || value[0] === 0) {
        throw new Error('first byte must not be 0')
      }
    }
  },
  selectors: {
    CHORUS: (_key, values) => {
      let best = 0
      values.forEach((v, i) => { if (v[0] > values[best][0]) best = i })
      return best
    }
  }
}

export const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)

/** Polls `check` until it is true or the deadline passes. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeout = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}
