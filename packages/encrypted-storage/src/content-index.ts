import { Key } from 'interface-datastore'
import { parse } from '@chorus-dht/ucxl'
import type { AbortOptions, SearchQuery, UCXLAddress, UCXLMetadata } from '@chorus-dht/types'
import type { Datastore } from 'interface-datastore'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function toBase64Url (text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

/**
 * The local index of content this node stored or retrieved: the newest
 * known metadata of each logical address, kept in the datastore under
 * `<prefix>/<base64url(address)>` as JSON so it survives restarts, and
 * mirrored in memory after the first read.
 */
export class ContentIndex {
  private readonly datastore: Datastore
  private readonly prefix: string
  private entries?: Map<string, UCXLMetadata>
  private loading?: Promise<Map<string, UCXLMetadata>>

  constructor (datastore: Datastore, prefix: string) {
    this.datastore = datastore
    this.prefix = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  }

  private key (address: string): Key {
    return new Key(`${this.prefix}/${toBase64Url(address)}`)
  }

  private async load (options?: AbortOptions): Promise<Map<string, UCXLMetadata>> {
    if (this.entries != null) return this.entries
    this.loading ??= (async () => {
      const entries = new Map<string, UCXLMetadata>()
      for await (const { value } of this.datastore.query({ prefix: this.prefix }, options)) {
        try {
          const metadata = JSON.parse(decoder.decode(value)) as UCXLMetadata
          entries.set(metadata.address, metadata)
        } catch {
          // a corrupt entry is skipped; the next store or retrieve rewrites it
        }
      }
      this.entries = entries
      return entries
    })()
    try {
      return await this.loading
    } finally {
      this.loading = undefined
    }
  }

  /** Records `metadata` unless a newer version of the address is already indexed. */
  async put (metadata: UCXLMetadata, options?: AbortOptions): Promise<void> {
    const entries = await this.load(options)
    const current = entries.get(metadata.address)
    if (current != null && (current.version > metadata.version ||
      (current.version === metadata.version && current.hash === metadata.hash && current.dhtPeers.length >= metadata.dhtPeers.length))) {
      return
    }
    entries.set(metadata.address, metadata)
    await this.datastore.put(this.key(metadata.address), encoder.encode(JSON.stringify(metadata)), options)
  }

  async get (address: string, options?: AbortOptions): Promise<UCXLMetadata | undefined> {
    return (await this.load(options)).get(address)
  }

  async delete (address: string, options?: AbortOptions): Promise<boolean> {
    const entries = await this.load(options)
    const had = entries.delete(address)
    await this.datastore.delete(this.key(address), options)
    return had
  }

  /** Entries matching `query`, newest first, at most `limit`. */
  async search (query: SearchQuery & { creatorRole?: string }, limit: number, options?: AbortOptions): Promise<UCXLMetadata[]> {
    const entries = await this.load(options)
    const matches: UCXLMetadata[] = []
    for (const metadata of entries.values()) {
      if (query.creatorRole != null && metadata.creatorRole !== query.creatorRole) continue
      if (query.contentType != null && metadata.contentType !== query.contentType) continue
      if (query.createdAfter != null && metadata.timestamp < query.createdAfter) continue
      if (query.createdBefore != null && metadata.timestamp > query.createdBefore) continue
      if (query.agent != null || query.role != null || query.project != null || query.task != null) {
        let address: UCXLAddress
        try {
          address = parse(metadata.address)
        } catch {
          continue
        }
        if (!componentMatches(query.agent, address.agent) ||
          !componentMatches(query.role, address.role) ||
          !componentMatches(query.project, address.project) ||
          !componentMatches(query.task, address.task)) continue
      }
      matches.push(metadata)
    }
    matches.sort((a, b) => b.timestamp - a.timestamp || (a.address < b.address ? -1 : 1))
    return matches.slice(0, Math.max(0, limit)).map(m => ({ ...m, encryptedFor: [...m.encryptedFor], dhtPeers: [...m.dhtPeers] }))
  }
}

/** A query component `any` (or none) matches anything; otherwise exact, case-sensitive. */
function componentMatches (wanted: string | undefined, actual: string): boolean {
  return wanted == null || wanted === '' || wanted === 'any' || wanted === actual
}
