import { MAX_VERSION_JUMP, chorusRecordPolicy, encodeRecord, guardContentPolicy, recordSigningBytes, sha256Hex, signerFromPrivateKey } from '../src/index.js'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'

const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/policy'

async function record (kind: 'head' | 'version', version: number, later = 0): Promise<Uint8Array> {
  const signer = signerFromPrivateKey(await generateKeyPair('Ed25519'))
  const ciphertext = new TextEncoder().encode(`ciphertext ${version}`)
  const metadata = {
    address: ADDRESS, version, creatorRole: 'admin', encryptedFor: ['admin'], contentType: 'text/plain', timestamp: 1_750_000_000_000 + (version % 1000) + later,
    size: 1, hash: sha256Hex(ciphertext), replicationFactor: 3, signer: signer.peerId, dhtPeers: []
  }
  const key = kind === 'head' ? headKey(ADDRESS) : versionKey(ADDRESS, version)
  return encodeRecord({ kind, key, metadata, ciphertext, signature: await signer.sign(recordSigningBytes(kind, key, metadata)) })
}

describe('the content policy guards', () => {
  it('set aside a head far past every other answer, and keep choosing the newest otherwise', async () => {
    const refused: string[] = []
    const policy = guardContentPolicy(chorusRecordPolicy(), r => refused.push(r))
    const select = policy.selectors.CHORUS
    const key = headKey(ADDRESS)
    const [v2, v3, v900, huge] = await Promise.all([record('head', 2), record('head', 3), record('head', 900), record('head', Number.MAX_SAFE_INTEGER)])
    expect(select(key, [v2, huge, v3])).toBe(2)
    expect(select(key, [huge, v3])).toBe(1)
    expect(select(key, [v2, v900, v3])).toBe(1)
    // alone, nothing to compare with: the plain selector's answer
    expect(select(key, [huge])).toBe(0)
    // two answers agreeing on a huge head: it is within the jump of the next one
    expect(select(key, [v3, huge, huge])).toBe(1)
    expect(select(key, [v3, await record('head', 3 + MAX_VERSION_JUMP + 1)])).toBe(0)
    expect(select(key, [v3, await record('head', 3 + MAX_VERSION_JUMP)])).toBe(1)
    expect(refused).toEqual([])
  })

  it('report why the replacement rule keeps the held record', async () => {
    const refused: string[] = []
    const replace = guardContentPolicy(chorusRecordPolicy(), r => refused.push(r)).replacers.CHORUS
    const [v2, v3, huge] = await Promise.all([record('head', 2), record('head', 3), record('head', Number.MAX_SAFE_INTEGER)])
    expect(replace(headKey(ADDRESS), v2, v3)).toBe(true)
    expect(replace(headKey(ADDRESS), v3, v2)).toBe(false)
    expect(replace(headKey(ADDRESS), v3, huge)).toBe(false)
    // a version record: the first writer (earlier timestamp) keeps it
    const [first, second] = [await record('version', 5), await record('version', 5, 1000)]
    expect(replace(versionKey(ADDRESS, 5), first, second)).toBe(false)
    expect(replace(versionKey(ADDRESS, 5), second, first)).toBe(true)
    expect(refused).toEqual(['stale-head', 'head-jump', 'version-conflict'])
  })
})
