import { setMaxListeners } from 'node:events'
import { BackendUnavailableError, InvalidParametersError, NotFoundError, NotStartedError } from '@chorus-dht/types'
import { MAX_TIMER_DELAY, positiveInteger, timerDelay } from '@chorus-dht/utils'
import { defaultLogger } from '@libp2p/logger'
import * as c from './constants.js'
import { withDeadline } from './deadline.js'
import { keyPoint, peerPoint, xorHex } from './distance.js'
import { PriorityQueue } from './priority-queue.js'
import type { ReplicationManager, ReplicationManagerComponents, ReplicationManagerInit } from './index.js'
import type { AbortOptions, Clock, DHT, Logger, ProviderInfo, ReplicationHealth, ReplicationMetrics, ReplicationStatus, ServiceStatus } from '@chorus-dht/types'


interface ProviderRecord {
  peerId: string
  addedAt: number
  /** 0 until the peer first answered yes. */
  lastSeen: number
  /** Most recent check outcomes, oldest first, at most `qualityWindow`. */
  outcomes: boolean[]
  /** The answer of the latest check that asked this peer. */
  lastAnswer?: boolean
  distance: string
}

interface ContentEntry {
  key: string
  /** sha-256 of the key, for XOR distances. */
  point: Uint8Array
  size: number
  priority: number
  lastReplication: number
  lastChecked: number
  /** Peers that answered yes at the latest measurement, closest first. */
  replicas: string[]
  providers: Map<string, ProviderRecord>
  needsRepair: boolean
  /** Repairs of this key in progress (background or `repairContent`). */
  repairing: number
  repairAttempts: number
  nextRepairAt: number
}

interface Options {
  replicationFactor: number
  reprovideInterval: number
  cleanupInterval: number
  providerTTL: number
  maxProvidersPerKey: number
  enableAutoReplication: boolean
  enableReprovide: boolean
  maxConcurrentReplications: number
  checkInterval: number
  repairBackoff: number
  maxRepairBackoff: number
  repairRateLimit: number
  repairRateInterval: number
  peerQueryTimeout: number
  operationTimeout: number
  qualityWindow: number
}

type Counters = Pick<ReplicationMetrics, 'reprovideOperations' | 'successfulReplications' | 'failedReplications' | 'repairs' | 'lastReprovideTime' | 'lastCleanupTime'>

function positiveInt (name: string, value: number | undefined, fallback: number): number {
  return positiveInteger(name, value ?? fallback)
}

function positiveMs (name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  return timerDelay(name, value ?? fallback, max)
}

function bool (name: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback
  if (typeof v !== 'boolean') {
    throw new InvalidParametersError(`${name} must be a boolean, got ${String(value)}`)
  }
  return v
}

function checkKey (key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidParametersError(`key must be a non-empty string, got ${typeof key === 'string' ? '""' : String(key)}`)
  }
}

function isAbort (err: any): boolean {
  return err?.name === 'AbortError' || err?.name === 'TimeoutError'
}

export class ReplicationManagerImpl implements ReplicationManager {
  private readonly dht: DHT
  private readonly log: Logger
  private readonly clock: Clock
  private readonly opts: Options
  private readonly entries = new Map<string, ContentEntry>()
  private readonly peerPoints = new Map<string, Uint8Array>()
  private readonly counters: Counters = {
    reprovideOperations: 0,
    successfulReplications: 0,
    failedReplications: 0,
    repairs: 0,
    lastReprovideTime: 0,
    lastCleanupTime: 0
  }

  private readonly queue: PriorityQueue
  private readonly inflight = new Set<Promise<unknown>>()
  /** Start times of recent repair attempts, for the rate limit. */
  private repairStarts: number[] = []
  private shutdown?: AbortController
  private timers: Array<ReturnType<typeof setInterval>> = []
  private repairTimer?: ReturnType<typeof setTimeout>
  private reproviding = false
  private checking = false
  private _status: ServiceStatus = 'stopped'

  constructor (components: ReplicationManagerComponents, init: ReplicationManagerInit) {
    if (components?.dht == null) {
      throw new InvalidParametersError('components.dht is required')
    }
    this.dht = components.dht
    this.log = (components.logger ?? defaultLogger()).forComponent(init.logPrefix ?? c.DEFAULT_LOG_PREFIX)
    this.clock = components.clock ?? { now: () => Date.now() }
    this.opts = {
      replicationFactor: positiveInt('replicationFactor', init.replicationFactor, c.DEFAULT_REPLICATION_FACTOR),
      reprovideInterval: positiveMs('reprovideInterval', init.reprovideInterval, c.DEFAULT_REPROVIDE_INTERVAL, MAX_TIMER_DELAY),
      cleanupInterval: positiveMs('cleanupInterval', init.cleanupInterval, c.DEFAULT_CLEANUP_INTERVAL, MAX_TIMER_DELAY),
      providerTTL: positiveMs('providerTTL', init.providerTTL, c.DEFAULT_PROVIDER_TTL),
      maxProvidersPerKey: positiveInt('maxProvidersPerKey', init.maxProvidersPerKey, c.DEFAULT_MAX_PROVIDERS_PER_KEY),
      enableAutoReplication: bool('enableAutoReplication', init.enableAutoReplication, c.DEFAULT_ENABLE_AUTO_REPLICATION),
      enableReprovide: bool('enableReprovide', init.enableReprovide, c.DEFAULT_ENABLE_REPROVIDE),
      maxConcurrentReplications: positiveInt('maxConcurrentReplications', init.maxConcurrentReplications, c.DEFAULT_MAX_CONCURRENT_REPLICATIONS),
      checkInterval: positiveMs('checkInterval', init.checkInterval, c.DEFAULT_CHECK_INTERVAL, MAX_TIMER_DELAY),
      repairBackoff: positiveMs('repairBackoff', init.repairBackoff, c.DEFAULT_REPAIR_BACKOFF, MAX_TIMER_DELAY),
      maxRepairBackoff: positiveMs('maxRepairBackoff', init.maxRepairBackoff, c.DEFAULT_MAX_REPAIR_BACKOFF, MAX_TIMER_DELAY),
      repairRateLimit: positiveInt('repairRateLimit', init.repairRateLimit, c.DEFAULT_REPAIR_RATE_LIMIT),
      repairRateInterval: positiveMs('repairRateInterval', init.repairRateInterval, c.DEFAULT_REPAIR_RATE_INTERVAL, MAX_TIMER_DELAY),
      peerQueryTimeout: positiveMs('peerQueryTimeout', init.peerQueryTimeout, c.DEFAULT_PEER_QUERY_TIMEOUT, MAX_TIMER_DELAY),
      operationTimeout: positiveMs('operationTimeout', init.operationTimeout, c.DEFAULT_OPERATION_TIMEOUT, MAX_TIMER_DELAY),
      qualityWindow: positiveInt('qualityWindow', init.qualityWindow, c.DEFAULT_QUALITY_WINDOW)
    }
    if (this.opts.maxRepairBackoff < this.opts.repairBackoff) {
      throw new InvalidParametersError(`maxRepairBackoff (${this.opts.maxRepairBackoff}) must not be below repairBackoff (${this.opts.repairBackoff})`)
    }
    this.queue = new PriorityQueue(this.opts.maxConcurrentReplications)
  }

  get status (): ServiceStatus {
    return this._status
  }

  start (): void {
    if (this._status === 'started' || this._status === 'starting') {
      return
    }
    this._status = 'starting'
    this.shutdown = new AbortController()
    // every operation in flight links a listener to the lifecycle signal
    setMaxListeners(Number.POSITIVE_INFINITY, this.shutdown.signal)
    if (this.opts.enableReprovide) {
      this.timers.push(setInterval(() => { this.background(this.reprovideAll()) }, this.opts.reprovideInterval))
    }
    this.timers.push(setInterval(() => { this.background(this.cleanup()) }, this.opts.cleanupInterval))
    this.timers.push(setInterval(() => { this.background(this.checkAll()) }, this.opts.checkInterval))
    this._status = 'started'
    this.armRepairTimer()
    this.log('started with factor %d, %d keys tracked', this.opts.replicationFactor, this.entries.size)
  }

  async stop (): Promise<void> {
    if (this._status === 'stopped' || this._status === 'stopping') {
      return
    }
    this._status = 'stopping'
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    clearTimeout(this.repairTimer)
    this.repairTimer = undefined
    this.shutdown?.abort()
    this.queue.clear()
    await Promise.allSettled([...this.inflight])
    this.reproviding = false
    this.checking = false
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
    let entry = this.entries.get(key)
    if (entry == null) {
      entry = {
        key,
        point: keyPoint(key),
        size,
        priority,
        lastReplication: 0,
        lastChecked: 0,
        replicas: [],
        providers: new Map(),
        needsRepair: false,
        repairing: 0,
        repairAttempts: 0,
        nextRepairAt: 0
      }
      this.entries.set(key, entry)
      this.log('tracking %s (%d bytes, priority %d)', key, size, priority)
    } else {
      entry.size = size
      entry.priority = priority
    }
    const e = entry
    return this.track(withDeadline(this.opts.operationTimeout, [options.signal, this.shutdown?.signal], `addContent(${key})`, async (signal) => {
      if (this.opts.enableReprovide) {
        try {
          await this.queue.add(e.priority, async () => { await this.provideOne(e, signal, false) })
        } catch (err) {
          if (signal.aborted) throw err
          // counted as a failed replication; the measurement below says what holds
          this.log.error('announcing %s failed - %e', key, err)
        }
      }
      return this.measure(e, signal)
    }))
  }

  removeContent (key: string): void {
    checkKey(key)
    if (!this.entries.delete(key)) {
      throw new NotFoundError(`key ${key} is not tracked`)
    }
    this.log('no longer tracking %s', key)
    this.armRepairTimer()
  }

  async provideContent (key: string, options: AbortOptions = {}): Promise<void> {
    const e = this.entry(key)
    this.requireStarted('provideContent')
    await this.track(withDeadline(this.opts.operationTimeout, [options.signal, this.shutdown?.signal], `provideContent(${key})`, async (signal) => {
      await this.queue.add(e.priority, async () => { await this.provideOne(e, signal, false) })
    }))
  }

  async findProviders (key: string, limit: number = this.opts.maxProvidersPerKey, options: AbortOptions = {}): Promise<ProviderInfo[]> {
    checkKey(key)
    positiveInteger('limit', limit)
    this.requireStarted('findProviders')
    const e = this.entries.get(key)
    const point = e?.point ?? keyPoint(key)
    const announced = await this.track(withDeadline(this.opts.operationTimeout, [options.signal, this.shutdown?.signal], `findProviders(${key})`, async (signal) => {
      try {
        return await this.dht.findProviders(key, { signal, limit })
      } catch (err) {
        // known providers still answer the question when the DHT cannot be asked
        if (signal.aborted || e == null || e.providers.size === 0) throw err
        this.log.error('finding providers of %s failed, answering from known providers - %e', key, err)
        return []
      }
    }))
    const now = this.clock.now()
    const out = new Map<string, ProviderInfo>()
    for (const rec of e?.providers.values() ?? []) {
      out.set(rec.peerId, this.providerInfo(rec))
    }
    for (const peer of announced) {
      if (out.has(peer.id)) continue
      const rec: ProviderRecord = { peerId: peer.id, addedAt: now, lastSeen: 0, outcomes: [], distance: this.distance(point, peer.id) }
      if (e != null && this.entries.get(key) === e) {
        e.providers.set(peer.id, rec)
      }
      out.set(peer.id, this.providerInfo(rec))
    }
    if (e != null) this.trimProviders(e)
    return [...out.values()].sort(compareProviders).slice(0, limit)
  }

  getReplicationStatus (key: string): ReplicationStatus {
    return this.statusOf(this.entry(key))
  }

  async checkReplication (key: string, options: AbortOptions = {}): Promise<ReplicationStatus> {
    const e = this.entry(key)
    this.requireStarted('checkReplication')
    return this.track(withDeadline(this.opts.operationTimeout, [options.signal, this.shutdown?.signal], `checkReplication(${key})`, async (signal) => this.measure(e, signal)))
  }

  async repairContent (key: string, options: AbortOptions = {}): Promise<ReplicationStatus> {
    const e = this.entry(key)
    this.requireStarted('repairContent')
    this.repairStarts.push(this.clock.now())
    return this.track(withDeadline(this.opts.operationTimeout, [options.signal, this.shutdown?.signal], `repairContent(${key})`, async (signal) => {
      e.repairing++
      try {
        return await this.queue.add(e.priority, async () => this.repairOnce(e, signal))
      } finally {
        e.repairing--
        this.armRepairTimer()
      }
    }))
  }

  listContent (): ReplicationStatus[] {
    return this.byPriority().map(e => this.statusOf(e))
  }

  getMetrics (): ReplicationMetrics {
    let healthyKeys = 0
    let degradedKeys = 0
    let criticalKeys = 0
    let totalProviders = 0
    let replicas = 0
    for (const e of this.entries.values()) {
      const h = this.health(e)
      if (h === 'healthy') healthyKeys++
      else if (h === 'degraded') degradedKeys++
      else criticalKeys++
      totalProviders += e.providers.size
      replicas += e.replicas.length
    }
    return {
      totalKeys: this.entries.size,
      totalProviders,
      ...this.counters,
      healthyKeys,
      degradedKeys,
      criticalKeys,
      averageReplication: this.entries.size === 0 ? 0 : replicas / this.entries.size
    }
  }

  // ---- measuring ----

  /** Asks this node, the closest peers and every known or announced provider whether they hold the key. */
  private async measure (e: ContentEntry, signal: AbortSignal): Promise<ReplicationStatus> {
    const limit = this.opts.maxProvidersPerKey
    const soft = async <T>(what: string, p: Promise<T>, fallback: T): Promise<T> => {
      try {
        return await p
      } catch (err) {
        if (signal.aborted) throw signal.reason
        this.log('%s of %s failed while measuring - %e', what, e.key, err)
        return fallback
      }
    }
    const [closest, announced] = await Promise.all([
      soft('getClosestPeers', this.dht.getClosestPeers(e.key, { signal, limit }), [] as string[]),
      soft('findProviders', this.dht.findProviders(e.key, { signal, limit }), [])
    ])
    const candidates = new Set<string>([this.dht.peerId, ...closest.slice(0, limit), ...announced.map(p => p.id), ...e.providers.keys()])
    const answers = await Promise.all([...candidates].map(async peer => [peer, await this.holds(peer, e.key, signal)] as const))
    if (signal.aborted) throw signal.reason

    const now = this.clock.now()
    const yes: string[] = []
    for (const [peer, holds] of answers) {
      let rec = e.providers.get(peer)
      if (holds) {
        yes.push(peer)
        if (rec == null) {
          rec = { peerId: peer, addedAt: now, lastSeen: now, outcomes: [], distance: this.distance(e.point, peer) }
          e.providers.set(peer, rec)
        }
        rec.lastSeen = now
      }
      if (rec != null) {
        rec.lastAnswer = holds
        rec.outcomes.push(holds)
        if (rec.outcomes.length > this.opts.qualityWindow) rec.outcomes.shift()
      }
    }
    e.replicas = yes.sort((a, b) => compareHex(this.distance(e.point, a), this.distance(e.point, b)))
    e.lastChecked = now
    this.trimProviders(e)
    const status = this.statusOf(e)
    this.log('%s: %d of %d replicas (%s) after asking %d peers', e.key, status.actualReplicas, status.targetReplicas, status.health, candidates.size)
    this.afterMeasure(e, status.health)
    return status
  }

  /** Whether `peer` answers that it holds a valid copy; unreachable or slow counts as no. */
  private async holds (peer: string, key: string, signal: AbortSignal): Promise<boolean> {
    try {
      const value = await withDeadline(this.opts.peerQueryTimeout, [signal], `asking ${peer} for ${key}`, async (s) => this.dht.getValueFromPeer(peer, key, { signal: s }))
      return value !== undefined
    } catch (err: any) {
      if (signal.aborted) throw signal.reason
      if (peer === this.dht.peerId) {
        // our own store not answering says nothing about the network: no measurement
        throw new BackendUnavailableError(`cannot measure ${key}: this node's DHT did not answer (${err?.name ?? 'Error'}: ${err?.message ?? String(err)})`, { cause: err })
      }
      this.log.trace('%s did not answer for %s - %e', peer, key, err)
      return false
    }
  }

  private afterMeasure (e: ContentEntry, health: ReplicationHealth): void {
    if (health === 'healthy') {
      if (e.needsRepair || e.repairAttempts > 0) this.log('%s is healthy again', e.key)
      e.needsRepair = false
      e.repairAttempts = 0
      e.nextRepairAt = 0
    } else if (this.opts.enableAutoReplication && this.entries.get(e.key) === e) {
      if (!e.needsRepair) {
        e.needsRepair = true
        if (e.repairAttempts === 0) e.nextRepairAt = this.clock.now()
      }
      this.armRepairTimer()
    }
  }

  // ---- replication operations ----

  private async provideOne (e: ContentEntry, signal: AbortSignal, fromReprovideLoop: boolean): Promise<void> {
    if (signal.aborted) throw signal.reason
    if (fromReprovideLoop) this.counters.reprovideOperations++
    try {
      await this.dht.provide(e.key, { signal })
    } catch (err) {
      if (!this.stopping()) this.counters.failedReplications++
      throw err
    }
    this.counters.successfulReplications++
    e.lastReplication = this.clock.now()
  }

  /** Fetches the best copy, re-puts it, re-announces it and measures again. */
  private async repairOnce (e: ContentEntry, signal: AbortSignal): Promise<ReplicationStatus> {
    if (signal.aborted) throw signal.reason
    try {
      // Ask as many holders as were last measured (the local copy counts as one), so
      // the DHT's selector picks the newest version of a mutable record and a stale
      // local copy is not pushed over a newer one.
      const value = await this.dht.getValue(e.key, { signal, quorum: Math.max(1, e.replicas.length) })
      this.counters.repairs++
      const put = await this.dht.putValue(e.key, value, { signal })
      await this.dht.provide(e.key, { signal })
      this.counters.successfulReplications++
      e.lastReplication = this.clock.now()
      this.log('re-put %s: %d remote peers accepted it', e.key, put.remotePeers)
    } catch (err) {
      if (!this.stopping()) {
        this.counters.failedReplications++
        this.backOff(e)
      }
      throw err
    }
    let status: ReplicationStatus
    try {
      status = await this.measure(e, signal)
    } catch (err) {
      if (!this.stopping()) this.backOff(e)
      throw err
    }
    if (status.health !== 'healthy') this.backOff(e)
    return status
  }

  private backOff (e: ContentEntry): void {
    e.repairAttempts++
    const wait = Math.min(this.opts.repairBackoff * 2 ** (e.repairAttempts - 1), this.opts.maxRepairBackoff)
    e.nextRepairAt = this.clock.now() + wait
    this.log('%s still not healthy after %d repair attempts, next in %d ms', e.key, e.repairAttempts, wait)
    this.armRepairTimer()
  }

  // ---- background loops ----

  private async reprovideAll (): Promise<void> {
    if (this.reproviding || !this.started()) return
    this.reproviding = true
    try {
      const signal = this.shutdown!.signal
      const jobs = this.byPriority().map(async e => this.queue.add(e.priority, async () => {
        if (this.entries.get(e.key) !== e) return
        await withDeadline(this.opts.operationTimeout, [signal], `reprovide(${e.key})`, async (s) => { await this.provideOne(e, s, true) })
      }))
      const results = await Promise.allSettled(jobs)
      const failed = results.filter(r => r.status === 'rejected').length
      this.counters.lastReprovideTime = this.clock.now()
      this.log('reprovided %d keys, %d failed', results.length - failed, failed)
    } finally {
      this.reproviding = false
    }
  }

  private async checkAll (): Promise<void> {
    if (this.checking || !this.started()) return
    this.checking = true
    try {
      const signal = this.shutdown!.signal
      await Promise.allSettled(this.byPriority().map(async e => this.queue.add(e.priority, async () => {
        if (this.entries.get(e.key) !== e) return
        await withDeadline(this.opts.operationTimeout, [signal], `check(${e.key})`, async (s) => this.measure(e, s))
      })))
    } finally {
      this.checking = false
    }
  }

  private async cleanup (): Promise<void> {
    const now = this.clock.now()
    let dropped = 0
    for (const e of this.entries.values()) {
      for (const rec of e.providers.values()) {
        if (now - (rec.lastSeen || rec.addedAt) > this.opts.providerTTL) {
          e.providers.delete(rec.peerId)
          dropped++
        }
      }
      this.trimProviders(e)
    }
    this.counters.lastCleanupTime = now
    this.log('cleanup dropped %d stale provider records', dropped)
  }

  /** Starts every due repair the rate limit allows, then re-arms the timer for the next one. */
  private runDueRepairs (): void {
    this.repairTimer = undefined
    if (!this.started()) return
    const now = this.clock.now()
    const due = this.byPriority().filter(e => e.needsRepair && e.repairing === 0 && e.nextRepairAt <= now)
    for (const e of due) {
      if (this.rateFreeAt(now) > now) {
        this.log('repair rate limit reached, %s waits', e.key)
        break
      }
      this.repairStarts.push(now)
      e.repairing++
      const signal = this.shutdown!.signal
      const job = this.queue.add(e.priority, async () => {
        if (this.entries.get(e.key) !== e) return
        await withDeadline(this.opts.operationTimeout, [signal], `repair(${e.key})`, async (s) => this.repairOnce(e, s))
      })
      this.background(job.finally(() => {
        e.repairing--
        this.armRepairTimer()
      }))
    }
    this.armRepairTimer()
  }

  private armRepairTimer (): void {
    clearTimeout(this.repairTimer)
    this.repairTimer = undefined
    if (!this.started()) return
    const now = this.clock.now()
    let next = Number.POSITIVE_INFINITY
    for (const e of this.entries.values()) {
      if (e.needsRepair && e.repairing === 0) next = Math.min(next, e.nextRepairAt)
    }
    if (next === Number.POSITIVE_INFINITY) return
    next = Math.max(next, this.rateFreeAt(now))
    this.repairTimer = setTimeout(() => { this.runDueRepairs() }, Math.min(Math.max(0, next - now), MAX_TIMER_DELAY))
  }

  /** When the next repair may start under the rate limit. */
  private rateFreeAt (now: number): number {
    this.repairStarts = this.repairStarts.filter(t => t > now - this.opts.repairRateInterval)
    if (this.repairStarts.length < this.opts.repairRateLimit) return now
    return this.repairStarts[this.repairStarts.length - this.opts.repairRateLimit] + this.opts.repairRateInterval
  }

  // ---- helpers ----

  private background (p: Promise<unknown>): void {
    this.track(p).catch((err: unknown) => {
      if (!(isAbort(err) && this.stopping())) this.log.error('background replication task failed - %e', err)
    })
  }

  private track<T> (p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    p.then(() => this.inflight.delete(p), () => this.inflight.delete(p))
    return p
  }

  private started (): boolean {
    return this._status === 'started'
  }

  private stopping (): boolean {
    return this.shutdown?.signal.aborted === true
  }

  private requireStarted (method: string): void {
    if (this._status !== 'started') {
      throw new NotStartedError(`${method} needs the replication manager started (it is ${this._status})`)
    }
  }

  private entry (key: string): ContentEntry {
    checkKey(key)
    const e = this.entries.get(key)
    if (e == null) throw new NotFoundError(`key ${key} is not tracked`)
    return e
  }

  private byPriority (): ContentEntry[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority)
  }

  private health (e: ContentEntry): ReplicationHealth {
    const n = e.replicas.length
    if (n >= this.opts.replicationFactor) return 'healthy'
    return n > 0 ? 'degraded' : 'critical'
  }

  private statusOf (e: ContentEntry): ReplicationStatus {
    let healthyProviders = 0
    for (const rec of e.providers.values()) {
      if (rec.lastAnswer === true && quality(rec) >= c.HEALTHY_PROVIDER_QUALITY) healthyProviders++
    }
    return {
      key: e.key,
      targetReplicas: this.opts.replicationFactor,
      actualReplicas: e.replicas.length,
      healthyProviders,
      lastReplication: e.lastReplication,
      lastChecked: e.lastChecked,
      replicationNodes: [...e.replicas],
      health: this.health(e),
      priority: e.priority,
      size: e.size
    }
  }

  private providerInfo (rec: ProviderRecord): ProviderInfo {
    return { peerId: rec.peerId, addedAt: rec.addedAt, lastSeen: rec.lastSeen, quality: quality(rec), distance: rec.distance }
  }

  /** Keeps the best `maxProvidersPerKey` provider records. */
  private trimProviders (e: ContentEntry): void {
    if (e.providers.size <= this.opts.maxProvidersPerKey) return
    const keep = [...e.providers.values()]
      .sort((a, b) => Number(b.lastAnswer === true) - Number(a.lastAnswer === true) || compareProviders(this.providerInfo(a), this.providerInfo(b)))
      .slice(0, this.opts.maxProvidersPerKey)
    e.providers = new Map(keep.map(r => [r.peerId, r]))
  }

  private distance (keyPt: Uint8Array, peerId: string): string {
    let pt = this.peerPoints.get(peerId)
    if (pt == null) {
      pt = peerPoint(peerId)
      // bounded: peer ids seen while measuring
      if (this.peerPoints.size > 10_000) this.peerPoints.clear()
      this.peerPoints.set(peerId, pt)
    }
    return xorHex(keyPt, pt)
  }
}

function quality (rec: ProviderRecord): number {
  if (rec.outcomes.length === 0) return c.UNKNOWN_PROVIDER_QUALITY
  return rec.outcomes.filter(Boolean).length / rec.outcomes.length
}

function compareHex (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareProviders (a: ProviderInfo, b: ProviderInfo): number {
  return b.quality - a.quality || b.lastSeen - a.lastSeen || compareHex(a.distance, b.distance)
}
