import { resolveVersion } from '@chorus-dht/ucxl'
import { versionKeyOf } from './keys.js'
import { NotFoundError } from './errors.js'
import { throwIfAborted } from './deadline.js'
import type { DecodedRecord } from './record.js'
import type { RecordFetcher } from './record-fetcher.js'
import type { Logger, UCXLAddress, UCXLMetadata } from '@chorus-dht/types'

export interface ReaderComponents {
  fetcher: RecordFetcher
  log: Logger
}

export interface ReaderInit {
  historyLimit: number
  historyConcurrency: number
  timeout: number
}

/** Resolves temporal addresses to records, and lists an address's versions. */
export class Reader {
  private readonly components: ReaderComponents
  private readonly init: ReaderInit

  constructor (components: ReaderComponents, init: ReaderInit) {
    this.components = components
    this.init = init
  }

  /** The record a (possibly temporal) address names: `*~N` on the first valid answer, the rest through the head. */
  async resolve (logical: string, parsed: UCXLAddress, signal: AbortSignal): Promise<DecodedRecord> {
    const { fetcher } = this.components
    const segment = parsed.temporal_segment
    if (segment.type === 'specific') {
      return fetcher.fetch(versionKeyOf(logical, segment.count!), logical, 1, signal)
    }
    const head = await fetcher.fetchHead(logical, signal)
    if (head == null) throw new NotFoundError(`no content at ${logical}`)
    const version = resolveVersion(segment, { first: 1, latest: head.metadata.version })
    if (version === head.metadata.version) return head
    return fetcher.fetch(versionKeyOf(logical, version), logical, 1, signal)
  }

  /** Metadata of the newest `historyLimit` versions, oldest first; versions no peer can serve are left out. */
  async history (logical: string, signal: AbortSignal): Promise<UCXLMetadata[]> {
    const { fetcher, log } = this.components
    const head = await fetcher.fetchHead(logical, signal)
    if (head == null) throw new NotFoundError(`no content at ${logical}`)
    const latest = head.metadata.version
    // the newest `historyLimit` versions only: a head is signed by whoever
    // wrote it, and a huge version number must not make us fetch forever
    const first = Math.max(1, latest - this.init.historyLimit + 1)
    const found: Array<UCXLMetadata | undefined> = new Array(latest - first + 1)
    found[latest - first] = head.metadata
    let next = first
    const worker = async (): Promise<void> => {
      while (next < latest) {
        const v = next++
        try {
          found[v - first] = (await fetcher.fetch(versionKeyOf(logical, v), logical, 1, signal)).metadata
        } catch (err) {
          if (signal.aborted) throw err
          log('version %d of %s unavailable - %e', v, logical, err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.init.historyConcurrency, latest - first + 1) }, worker))
    throwIfAborted(signal, this.init.timeout)
    return found.filter((m): m is UCXLMetadata => m != null)
  }
}
