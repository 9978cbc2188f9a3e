import { PROBE_MAX_SIZE, PROBE_NAMESPACE } from './constants.js'
import type { RecordPolicy } from '@chorus-dht/types'

const PREFIX = `${PROBE_NAMESPACE}:`
const dec = new TextDecoder()

/** The key a node's health probe writes: `/chorus-probe/<peerId>`, fixed per node so probes never pile up records. */
export function probeKey (peerId: string): string {
  return `/${PROBE_NAMESPACE}/${encodeURIComponent(peerId)}`
}

/** A fresh probe value: `chorus-probe:<ms since epoch>:<nonce>`. */
export function probeValue (now: number, nonce: number): Uint8Array {
  return new TextEncoder().encode(`${PREFIX}${Math.floor(now)}:${nonce}`)
}

function probeParts (value: Uint8Array): { time: number, nonce: string } {
  const [, time, nonce = ''] = dec.decode(value).split(':')
  return { time: Number(time), nonce }
}

/** Orders two probe values: later time first, then the greater nonce (numerically when both are numbers). */
function compareProbe (a: Uint8Array, b: Uint8Array): number {
  const x = probeParts(a)
  const y = probeParts(b)
  if (x.time !== y.time) return x.time - y.time
  if (/^\d+$/.test(x.nonce) && /^\d+$/.test(y.nonce)) return Number(x.nonce) - Number(y.nonce)
  return x.nonce < y.nonce ? -1 : x.nonce > y.nonce ? 1 : 0
}

/**
 * The record policy of the probe namespace (`chorus-probe`). Merge it into
 * the policy of every DHT a {@link HybridDHT} uses as a backend (and of
 * every DHT node those reach), or their validators refuse the probe record
 * and the probe reports the backend failed.
 *
 * - validator: at most 128 bytes, text `chorus-probe:<integer ms>:<nonce>`
 * - selector: the latest timestamp wins, ties broken by the greater nonce
 * - replacer: always replace. A probe record is a throwaway: the newest
 *   probe must be stored even when a clock went back or a restarted
 *   process counts nonces from 1 again, or the probe would be refused
 *   (`RecordConflictError`) and report a healthy backend failed.
 */
export const probeRecordPolicy: RecordPolicy = {
  validators: {
    [PROBE_NAMESPACE]: (_key, value) => {
      if (value.byteLength > PROBE_MAX_SIZE) throw new Error(`probe record larger than ${PROBE_MAX_SIZE} bytes`)
      const text = dec.decode(value)
      if (!/^chorus-probe:\d+:[\w-]+$/.test(text)) throw new Error('not a chorus-probe record')
    }
  },
  selectors: {
    [PROBE_NAMESPACE]: (_key, values) => {
      let best = 0
      for (let i = 1; i < values.length; i++) if (compareProbe(values[i], values[best]) > 0) best = i
      return best
    }
  },
  replacers: {
    [PROBE_NAMESPACE]: () => true
  }
}
