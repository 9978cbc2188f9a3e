import { namespaceOf } from '@chorus-dht/utils'
import { InvalidParametersError } from '@chorus-dht/types'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'

/**
 * The CID a string provider key is announced under: CIDv1, raw codec,
 * sha2-256 of the UTF-8 bytes of the key.
 */
export async function providerKeyToCID (key: string): Promise<CID> {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidParametersError('provider key must be a non-empty string')
  }
  const digest = await sha256.digest(uint8ArrayFromString(key))
  return CID.createV1(raw.code, digest)
}

/**
 * The namespace of a record key: the one rule of `@chorus-dht/utils`. A key
 * `/NS/rest` with a non-empty rest has namespace `NS`; `/CHORUS/` alone has none.
 */
export { namespaceOf }

/** Checks a record key and returns its bytes. */
export function recordKeyBytes (key: string): Uint8Array {
  if (typeof key !== 'string' || namespaceOf(key) == null) {
    throw new InvalidParametersError(`record key must look like /<namespace>/<name>, got ${JSON.stringify(key)}`)
  }
  return uint8ArrayFromString(key)
}
