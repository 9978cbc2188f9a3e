import { describe, expect, it } from 'vitest'
import * as c from '../src/constants.js'
import { replicationManager } from '../src/index.js'
import { resolveOptions } from '../src/options.js'
import type { ReplicationManagerInit } from '../src/index.js'
import type { DHT } from '@chorus-dht/types'

const dht = { peerId: 'x' } as unknown as DHT

describe('options', () => {
  it('resolves every field to its default from constants.ts', () => {
    expect(resolveOptions({})).toEqual({
      logPrefix: 'chorus-dht:replication',
      replicationFactor: c.DEFAULT_REPLICATION_FACTOR,
      reprovideInterval: c.DEFAULT_REPROVIDE_INTERVAL,
      cleanupInterval: c.DEFAULT_CLEANUP_INTERVAL,
      providerTTL: c.DEFAULT_PROVIDER_TTL,
      maxProvidersPerKey: c.DEFAULT_MAX_PROVIDERS_PER_KEY,
      enableAutoReplication: true,
      enableReprovide: true,
      maxConcurrentReplications: c.DEFAULT_MAX_CONCURRENT_REPLICATIONS,
      checkInterval: c.DEFAULT_CHECK_INTERVAL,
      repairBackoff: c.DEFAULT_REPAIR_BACKOFF,
      maxRepairBackoff: c.DEFAULT_MAX_REPAIR_BACKOFF,
      repairRateLimit: c.DEFAULT_REPAIR_RATE_LIMIT,
      repairRateInterval: c.DEFAULT_REPAIR_RATE_INTERVAL,
      peerQueryTimeout: c.DEFAULT_PEER_QUERY_TIMEOUT,
      operationTimeout: c.DEFAULT_OPERATION_TIMEOUT,
      qualityWindow: c.DEFAULT_QUALITY_WINDOW
    })
  })

  it('keeps every given value', () => {
    const init: Required<ReplicationManagerInit> = {
      logPrefix: 'n1:replication',
      replicationFactor: 5,
      reprovideInterval: 1,
      cleanupInterval: 2,
      providerTTL: 2 ** 40,
      maxProvidersPerKey: 3,
      enableAutoReplication: false,
      enableReprovide: false,
      maxConcurrentReplications: 1,
      checkInterval: 2 ** 31 - 1,
      repairBackoff: 4,
      maxRepairBackoff: 4,
      repairRateLimit: 1,
      repairRateInterval: 6,
      peerQueryTimeout: 7,
      operationTimeout: 8,
      qualityWindow: 1
    }
    expect(resolveOptions(init)).toEqual(init)
  })

  // every field, with a value just out of its range
  const bad: Array<[keyof ReplicationManagerInit, unknown]> = [
    ['replicationFactor', 0], ['replicationFactor', 2.5],
    ['reprovideInterval', 0], ['reprovideInterval', 2 ** 31],
    ['cleanupInterval', -1], ['cleanupInterval', 2 ** 31],
    ['providerTTL', 0], ['providerTTL', Number.POSITIVE_INFINITY],
    ['maxProvidersPerKey', 0],
    ['enableAutoReplication', 'yes'], ['enableReprovide', 1],
    ['maxConcurrentReplications', 0],
    ['checkInterval', 0], ['checkInterval', 2 ** 31],
    ['repairBackoff', 0], ['maxRepairBackoff', 2 ** 31],
    ['repairRateLimit', 0], ['repairRateInterval', 0],
    ['peerQueryTimeout', 0], ['peerQueryTimeout', 2 ** 31],
    ['operationTimeout', Number.NaN], ['operationTimeout', 2 ** 31],
    ['qualityWindow', 0],
    ['logPrefix', ''], ['logPrefix', 5]
  ]
  it.each(bad)('refuses %s = %s with InvalidParametersError naming it', (field, value) => {
    const init = { [field]: value } as ReplicationManagerInit
    if (field === 'maxRepairBackoff') init.repairBackoff = 1
    expect(() => replicationManager(init)({ dht })).toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining(field) }))
  })

  it('accepts the largest timer delay and a maxRepairBackoff equal to repairBackoff', () => {
    expect(resolveOptions({ checkInterval: 2 ** 31 - 1, repairBackoff: 9, maxRepairBackoff: 9 })).toMatchObject({ checkInterval: 2 ** 31 - 1, maxRepairBackoff: 9 })
    expect(() => resolveOptions({ repairBackoff: 10, maxRepairBackoff: 9 })).toThrow(/maxRepairBackoff \(9\) must not be below repairBackoff \(10\)/)
  })
})
