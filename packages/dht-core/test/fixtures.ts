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

/** A peer that never answers PUT_VALUE for one key: its validator (run before the answer) waits until `release()`. */
export interface SilentPeer {
  /** The node init that makes a node silent for the key. */
  init: Pick<ChorusDHTInit, 'validators'>
  /** True once the silent node received the record. */
  asked: () => boolean
  /** Lets the pending validation finish (call it in cleanup). */
  release: () => void
}

export function silentPeer (key: string): SilentPeer {
  let asked = false
  let release = (): void => {}
  const never = new Promise<void>(resolve => { release = resolve })
  return {
    init: {
      validators: {
        CHORUS: async (k, value) => {
          if (k === key) {
            asked = true
            await never
          }
          await policy.validators!.CHORUS(k, value)
        }
      }
    },
    asked: () => asked,
    release: () => { release() }
  }
}
