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

function probeTime (value: Uint8Array): number {
  return Number(dec.decode(value).split(':')[1])
}

/**
 * The record policy of the probe namespace (`chorus-probe`). Merge it into
 * the policy of every DHT a {@link HybridDHT} uses as a backend (and of
 * every DHT node those reach), or their validators refuse the probe record
 * and the probe reports the backend failed.
 *
 * - validator: at most 128 bytes, text `chorus-probe:<integer ms>:<nonce>`
 * - selector: the latest timestamp wins, ties broken by the greater text
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
      for (let i = 1; i < values.length; i++) {
        const d = probeTime(values[i]) - probeTime(values[best])
        if (d > 0 || (d === 0 && dec.decode(values[i]) > dec.decode(values[best]))) best = i
      }
      return best
    }
  }
}
