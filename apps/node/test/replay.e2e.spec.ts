/**
 * A hostile peer with no chorus code in its network stack: a stock
 * `@libp2p/kad-dht` node speaking `/CHORUS/kad/1.0.0` over TCP replays an
 * older, validly signed head and a conflicting version record to every
 * honest node process. No reader may see an older version than the newest
 * acknowledged one, nor other content at an acknowledged version.
 */
// first: the Node 20 shim libp2p needs (Promise.withResolvers)
import '@chorus-dht/dht-core/polyfill'
import { encodeRecord, recordSigningBytes, sha256Hex, signerFromPrivateKey, decodeRecord } from '@chorus-dht/encrypted-storage'
import { headKey, versionKey } from '@chorus-dht/ucxl'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinStockNode, stockGet as sharedStockGet } from './stock-node.js'
import type { StockNode } from './stock-node.js'
import { enc, getJson, killAll, runCli, startNode, } from './helpers.js'
import type { TestNode } from './helpers.js'

const ADDRESS = 'ucxl://agent1:admin@proj:task1/*^/replayed'
const encoder = new TextEncoder()

let root: string
let nodes: TestNode[] = []
let stock: StockNode

const stockGet = async (key: string): Promise<Uint8Array> => await sharedStockGet(stock, key)

/** Sends `value` to every peer the stock node knows, as PUT_VALUE. */
async function stockPut (key: string, value: Uint8Array): Promise<void> {
  for await (const _ of stock.services.dht.put(encoder.encode(key), value, { signal: AbortSignal.timeout(20_000) })) {
    // drain: the put ends once every closest peer answered or failed
  }
}

async function rawVersion (node: TestNode, temporal: string): Promise<{ version: string | null, body: string }> {
  const res = await fetch(`${node.api}/ucxl/${enc(ADDRESS.replace('*^', temporal))}?raw=true`)
  return { version: res.headers.get('x-ucxl-version'), body: await res.text() }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chorus-replay-e2e-'))
  const keys = join(root, 'keys')
  expect((await runCli(['keys', 'generate', 'admin', '--keys-dir', keys])).code).toBe(0)
  const first = await startNode(join(root, 'n0'), ['--keys-dir', keys])
  nodes = [first, ...await Promise.all([1, 2].map(async i => await startNode(join(root, `n${i}`), ['--keys-dir', keys, '--bootstrap', first.multiaddr])))]
  stock = await joinStockNode(nodes)
}, 120_000)

afterAll(async () => {
  await stock?.stop()
  await killAll()
  if (root != null) await rm(root, { recursive: true, force: true })
})

describe('a stock kad-dht node replaying records', { timeout: 120_000 }, () => {
  it('cannot roll the head back nor replace an acknowledged version', async () => {
    const put = async (content: string): Promise<number> => {
      const res = await fetch(`${nodes[0].api}/ucxl/${enc(ADDRESS)}`, { method: 'PUT', body: content, headers: { 'content-type': 'text/plain' } })
      expect(res.status).toBe(201)
      return ((await res.json()) as any).response.data.version
    }
    expect(await put('version one')).toBe(1)
    const oldHead = await stockGet(headKey(ADDRESS))
    expect(decodeRecord(oldHead).metadata.version).toBe(1)
    expect(await put('version two')).toBe(2)
    const genuine = decodeRecord(await stockGet(versionKey(ADDRESS, 2)))

    // a validly signed, conflicting record for version 2, signed by the attacker's own key
    const attackerKey = await generateKeyPair('Ed25519')
    const signer = signerFromPrivateKey(attackerKey)
    const ciphertext = encoder.encode('age-encryption.org/v1 not really')
    const metadata = { ...genuine.metadata, signer: signer.peerId, hash: sha256Hex(ciphertext), timestamp: genuine.metadata.timestamp + 1000, dhtPeers: [] }
    const key = versionKey(ADDRESS, 2)
    const forged = encodeRecord({ kind: 'version', key, metadata, ciphertext, signature: await signer.sign(recordSigningBytes('version', key, metadata)) })

    await stockPut(headKey(ADDRESS), oldHead)
    await stockPut(key, forged)

    // nodes[0] stored the content and answers from its cache; the others read the network
    for (const n of nodes.slice(1)) {
      const head = await rawVersion(n, '*^')
      expect(head, `head on ${n.peerId}`).toEqual({ version: '2', body: 'version two' })
      expect(await rawVersion(n, '*~2'), `version 2 on ${n.peerId}`).toEqual({ version: '2', body: 'version two' })
    }
    for (const n of nodes) {
      const history = (await getJson(`${n.api}/ucxl/${enc(ADDRESS)}/history`)).body.response.data.versions
      expect(history.map((v: any) => [v.version, v.signer]), `history on ${n.peerId}`).toEqual([[1, nodes[0].peerId], [2, nodes[0].peerId]])
    }
  })
})
