import { InvalidParametersError, NotFoundError, NotStartedError } from '@chorus-dht/types'
import { logWarning, positiveInteger } from '@chorus-dht/utils'
import { defaultLogger } from '@libp2p/logger'
import { Announcer } from './announcer.js'
import { keyPoint } from './distance.js'
import { ReplicationLoops } from './loops.js'
import { resolveOptions } from './options.js'
import { PriorityQueue } from './priority-queue.js'
import { compareProviders, newCounters, ProviderBook, providerInfo } from './provider-book.js'
import { RepairScheduler } from './repair-scheduler.js'
import { ReplicaMeter } from './replica-meter.js'
import { Tasks } from './tasks.js'
import type { ReplicationManager, ReplicationManagerComponents, ReplicationManagerInit } from './index.js'
import type { ReplicationOptions } from './options.js'
import type { ContentEntry, Counters } from './provider-book.js'
import type { AbortOptions, Clock, DHT, Logger, ProviderInfo, ReplicationMetrics, ReplicationStatus, ServiceStatus } from '@chorus-dht/types'

function checkKey (key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidParametersError(`key must be a non-empty string, got ${typeof key === 'string' ? '""' : String(key)}`)
  }
}

/**
 * The facade: checks arguments, holds the lifecycle and wires the parts,
 * each with only what it uses: the provider book (bookkeeping), the replica
 * meter (asking peers), the repair scheduler (back-off, rate limit, repair
 * attempts), the announcer and the background loops. None of them calls back
 * into this class.
 */
export class ReplicationManagerImpl implements ReplicationManager {
  private readonly dht: DHT
  private readonly log: Logger
  private readonly clock: Clock
  private readonly opts: ReplicationOptions
  private readonly counters: Counters = newCounters()
  private readonly book: ProviderBook
  private readonly tasks: Tasks
  private readonly queue: PriorityQueue
  private readonly announcer: Announcer
  private readonly scheduler: RepairScheduler
  private readonly loops: ReplicationLoops
  private _status: ServiceStatus = 'stopped'

  constructor (components: ReplicationManagerComponents, init: ReplicationManagerInit) {
    if (components?.dht == null) {
      throw new InvalidParametersError('components.dht is required')
    }
    this.opts = resolveOptions(init)
    const o = this.opts
    const logger = components.logger ?? defaultLogger()
    const clock = components.clock ?? { now: () => Date.now() }
    this.clock = clock
    this.dht = components.dht
    this.log = logger.forComponent(o.logPrefix)
    this.book = new ProviderBook({ replicationFactor: o.replicationFactor, maxProvidersPerKey: o.maxProvidersPerKey })
    this.tasks = new Tasks(this.log)
    this.queue = new PriorityQueue(o.maxConcurrentReplications)
    this.announcer = new Announcer({ dht: this.dht, clock, counters: this.counters, stopping: () => this.tasks.stopping() })
    const meter = new ReplicaMeter({ dht: this.dht, book: this.book, clock, logger }, {
      maxProvidersPerKey: o.maxProvidersPerKey, qualityWindow: o.qualityWindow, peerQueryTimeout: o.peerQueryTimeout, logPrefix: o.logPrefix
    })
    this.scheduler = new RepairScheduler({ dht: this.dht, book: this.book, meter, queue: this.queue, tasks: this.tasks, clock, counters: this.counters, logger }, {
      enableAutoReplication: o.enableAutoReplication,
      repairBackoff: o.repairBackoff,
      maxRepairBackoff: o.maxRepairBackoff,
      repairRateLimit: o.repairRateLimit,
      repairRateInterval: o.repairRateInterval,
      operationTimeout: o.operationTimeout,
      logPrefix: o.logPrefix
    })
    this.loops = new ReplicationLoops({ book: this.book, queue: this.queue, tasks: this.tasks, announcer: this.announcer, checker: this.scheduler, clock, counters: this.counters, logger }, {
      enableReprovide: o.enableReprovide,
      reprovideInterval: o.reprovideInterval,
      cleanupInterval: o.cleanupInterval,
      checkInterval: o.checkInterval,
      providerTTL: o.providerTTL,
      operationTimeout: o.operationTimeout,
      logPrefix: o.logPrefix
    })
  }

  get status (): ServiceStatus {
    return this._status
  }

  start (): void {
    if (this._status === 'started' || this._status === 'starting') {
      return
    }
    this._status = 'starting'
    this.tasks.open()
    this.loops.start()
    this._status = 'started'
    this.scheduler.start()
    this.log('started with factor %d, %d keys tracked', this.opts.replicationFactor, this.book.size)
  }

  async stop (): Promise<void> {
    if (this._status === 'stopped' || this._status === 'stopping') {
      return
    }
    this._status = 'stopping'
    this.loops.stop()
    this.scheduler.stop()
    this.queue.clear()
    await this.tasks.close()
    this._status = 'stopped'
    this.log('stopped')
  }

  async addContent (key: string, size: number, priority = 0, options: AbortOptions = {}): Promise<ReplicationStatus> {
    checkKey(key)
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new InvalidParametersError(`size must be a whole number of bytes >= 0, got ${String(size)}`)
    }
    if (typeof priority !== 'number' || !Number.isFinite(priority)) {
      throw new InvalidParametersError(`priority must be a finite number, got ${String(priority)}`)
    }
    this.requireStarted('addContent')
    const { entry: e, added } = this.book.upsert(key, size, priority)
    if (added) this.log('tracking %s (%d bytes, priority %d)', key, size, priority)
    return this.tasks.run(`addContent(${key})`, this.opts.operationTimeout, [options.signal], async (signal) => {
      if (this.opts.enableReprovide) {
        try {
          await this.queue.add(e.priority, async () => { await this.announcer.announce(e, signal, false) })
        } catch (err) {
          if (signal.aborted) throw err
          // counted as a failed replication; the measurement below says what holds
          logWarning(this.log, 'announcing %s failed - %e', key, err)
        }
      }
      return this.scheduler.check(e, signal)
    })
  }

  removeContent (key: string): void {
    checkKey(key)
    if (!this.book.delete(key)) {
      throw new NotFoundError(`key ${key} is not tracked`)
    }
    this.log('no longer tracking %s', key)
    this.scheduler.arm()
  }

  async provideContent (key: string, options: AbortOptions = {}): Promise<void> {
    const e = this.entry(key)
    this.requireStarted('provideContent')
    await this.tasks.run(`provideContent(${key})`, this.opts.operationTimeout, [options.signal], async (signal) => {
      await this.queue.add(e.priority, async () => { await this.announcer.announce(e, signal, false) })
    })
  }

  async findProviders (key: string, limit: number = this.opts.maxProvidersPerKey, options: AbortOptions = {}): Promise<ProviderInfo[]> {
    checkKey(key)
    positiveInteger('limit', limit)
    this.requireStarted('findProviders')
    const e = this.book.find(key)
    const point = e?.point ?? keyPoint(key)
    const announced = await this.tasks.run(`findProviders(${key})`, this.opts.operationTimeout, [options.signal], async (signal) => {
      try {
        return await this.dht.findProviders(key, { signal, limit })
      } catch (err) {
        // known providers still answer the question when the DHT cannot be asked
        if (signal.aborted || e == null || e.providers.size === 0) throw err
        logWarning(this.log, 'finding providers of %s failed, answering from known providers - %e', key, err)
        return []
      }
    })
    const out = new Map<string, ProviderInfo>()
    for (const rec of e?.providers.values() ?? []) {
      out.set(rec.peerId, providerInfo(rec))
    }
    const now = this.clock.now()
    for (const peer of announced) {
      if (out.has(peer.id)) continue
      const rec = this.book.newRecord(point, peer.id, now, 0)
      if (e != null && this.book.isTracked(e)) {
        e.providers.set(peer.id, rec)
      }
      out.set(peer.id, providerInfo(rec))
    }
    if (e != null) this.book.trim(e)
    return [...out.values()].sort(compareProviders).slice(0, limit)
  }

  getReplicationStatus (key: string): ReplicationStatus {
    return this.book.statusOf(this.entry(key))
  }

  async checkReplication (key: string, options: AbortOptions = {}): Promise<ReplicationStatus> {
    const e = this.entry(key)
    this.requireStarted('checkReplication')
    return this.tasks.run(`checkReplication(${key})`, this.opts.operationTimeout, [options.signal], async (signal) => this.scheduler.check(e, signal))
  }

  async repairContent (key: string, options: AbortOptions = {}): Promise<ReplicationStatus> {
    const e = this.entry(key)
    this.requireStarted('repairContent')
    return this.tasks.run(`repairContent(${key})`, this.opts.operationTimeout, [options.signal], async (signal) => this.scheduler.repairNow(e, signal))
  }

  listContent (): ReplicationStatus[] {
    return this.book.byPriority().map(e => this.book.statusOf(e))
  }

  getMetrics (): ReplicationMetrics {
    const census = this.book.census()
    return {
      totalKeys: census.totalKeys,
      totalProviders: census.totalProviders,
      ...this.counters,
      healthyKeys: census.healthyKeys,
      degradedKeys: census.degradedKeys,
      criticalKeys: census.criticalKeys,
      averageReplication: census.averageReplication
    }
  }

  private requireStarted (method: string): void {
    if (this._status !== 'started') {
      throw new NotStartedError(`${method} needs the replication manager started (it is ${this._status})`)
    }
  }

  private entry (key: string): ContentEntry {
    checkKey(key)
    return this.book.get(key)
  }
}
