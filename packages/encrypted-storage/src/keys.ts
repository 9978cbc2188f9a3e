import { headKey, versionKey } from '@chorus-dht/ucxl'

interface AddressKeys {
  head: string
  versions: Map<number, string>
}

const MAX_ADDRESSES = 1024
const MAX_VERSIONS = 64
const byAddress = new Map<string, AddressKeys>()

function keysOf (logical: string): AddressKeys {
  let keys = byAddress.get(logical)
  // Stryker disable next-line ConditionalExpression: a memo; recomputing gives the same keys
  if (keys == null) {
    keys = { head: headKey(logical), versions: new Map() }
    byAddress.set(logical, keys)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the bound only limits memory; any entry dropped is recomputed alike
    if (byAddress.size > MAX_ADDRESSES) byAddress.delete(byAddress.keys().next().value!)
  }
  return keys
}

/**
 * The head key of a canonical logical address (temporal `*^`), as
 * `@chorus-dht/ucxl`'s `headKey` computes it, remembered: one store asks
 * for the keys of its address many times (the publisher, the fetcher, the
 * facade's events), and each computation parses the address and hashes it.
 * Bounded to the most recently used addresses.
 */
export function headKeyOf (logical: string): string {
  return keysOf(logical).head
}

/** The key of version `n` of a canonical logical address; see {@link headKeyOf}. */
export function versionKeyOf (logical: string, n: number): string {
  const { versions } = keysOf(logical)
  let key = versions.get(n)
  // Stryker disable next-line ConditionalExpression: a memo; recomputing gives the same key
  if (key == null) {
    key = versionKey(logical, n)
    versions.set(n, key)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the bound only limits memory; any entry dropped is recomputed alike
    if (versions.size > MAX_VERSIONS) versions.delete(versions.keys().next().value!)
  }
  return key
}
