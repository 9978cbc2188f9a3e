/**
 * The namespace of a record key, as libp2p's kad-dht reads it: a key
 * `/NS/rest` with a non-empty `NS` and a non-empty `rest` has namespace `NS`.
 * Anything else (`/CHORUS/`, `/CHORUS`, `CHORUS/x`, `//x`) has none.
 */
export function namespaceOf (key: string): string | undefined {
  if (typeof key !== 'string' || key[0] !== '/') return undefined
  const end = key.indexOf('/', 1)
  if (end <= 1 || end === key.length - 1) return undefined
  return key.slice(1, end)
}
