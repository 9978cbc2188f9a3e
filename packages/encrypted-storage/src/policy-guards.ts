// Guards a node puts around the record policy of `chorusRecordPolicy()`:
// a head selector that sets aside a head far ahead of every other answer,
// and a replacer that reports why it refused an incoming record. They live
// with the record format they read (the node composes them, a library user
// may too).
import { MAX_VERSION_JUMP } from './constants.js'
import { decodeRecord } from './record.js'
import type { ChorusRecord } from './record.js'
import type { RecordPolicy, RecordReplacer, RecordSelector } from '@chorus-dht/types'

/** The DHT namespace of content records. */
const NAMESPACE = 'CHORUS'

function decode (value: Uint8Array): ChorusRecord | undefined {
  try {
    return decodeRecord(value)
  } catch {
    return undefined
  }
}

/**
 * A head selector that does not let one answer jump far ahead of the others.
 * Nodes refuse a head more than `MAX_VERSION_JUMP` past the one they hold,
 * but the peer that offers such a head holds it anyway and answers reads
 * with it, and the plain selector picks the highest version. Here, while the
 * highest head is more than `MAX_VERSION_JUMP` past the next highest answer,
 * it is set aside; the selector then chooses among the rest. A single peer
 * cannot end an address with a head at `Number.MAX_SAFE_INTEGER`; peers
 * colluding in one read can still lift it (the repository's SECURITY.md).
 */
export function anchoredHeadSelector (inner: RecordSelector): RecordSelector {
  return (key, values) => {
    const heads: Array<{ i: number, version: number }> = []
    values.forEach((value, i) => {
      const r = decode(value)
      if (r?.kind === 'head') heads.push({ i, version: r.metadata.version })
    })
    if (heads.length < 2) return inner(key, values)
    heads.sort((a, b) => a.version - b.version)
    while (heads.length >= 2 && heads[heads.length - 1].version > heads[heads.length - 2].version + MAX_VERSION_JUMP) heads.pop()
    const kept = new Set(heads.map(h => h.i))
    if (kept.size === values.length) return inner(key, values)
    const indices = values.map((_, i) => i).filter(i => kept.has(i) || decode(values[i])?.kind !== 'head')
    return indices[inner(key, indices.map(i => values[i]))] ?? indices[0]
  }
}

/**
 * The replacement rule, reporting why an incoming record is refused:
 * `head-jump` (more than `MAX_VERSION_JUMP` past the head held), `stale-head`
 * (not newer than the head held: a replay), `version-conflict` (another
 * record for a version this node already holds).
 */
export function reportingReplacer (inner: RecordReplacer, onRefused: (reason: string) => void): RecordReplacer {
  return (key, held, incoming) => {
    const replace = inner(key, held, incoming)
    if (replace) return true
    const h = decode(held)
    const r = decode(incoming)
    if (h == null || r == null) return false
    if (r.kind === 'head' && h.kind === 'head') {
      onRefused(r.metadata.version > h.metadata.version + MAX_VERSION_JUMP ? 'head-jump' : 'stale-head')
    } else {
      onRefused('version-conflict')
    }
    return false
  }
}

/** The content policy with {@link anchoredHeadSelector} and {@link reportingReplacer} in place of its selector and replacer. */
export function guardContentPolicy<P extends RecordPolicy & { replacers?: Record<string, RecordReplacer> }> (policy: P, onRefused: (reason: string) => void): P {
  const selector = policy.selectors?.[NAMESPACE]
  const replacer = policy.replacers?.[NAMESPACE]
  return {
    ...policy,
    ...(selector != null ? { selectors: { ...policy.selectors, [NAMESPACE]: anchoredHeadSelector(selector) } } : {}),
    ...(replacer != null ? { replacers: { ...policy.replacers, [NAMESPACE]: reportingReplacer(replacer, onRefused) } } : {})
  }
}
