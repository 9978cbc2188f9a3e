import { expect, it } from 'vitest'
import * as c from '../src/index.js'

it('has the SPEC (CHORUS) defaults', () => {
  expect({
    factor: c.DEFAULT_REPLICATION_FACTOR,
    reprovide: c.DEFAULT_REPROVIDE_INTERVAL,
    cleanup: c.DEFAULT_CLEANUP_INTERVAL,
    ttl: c.DEFAULT_PROVIDER_TTL,
    providers: c.DEFAULT_MAX_PROVIDERS_PER_KEY,
    auto: c.DEFAULT_ENABLE_AUTO_REPLICATION,
    reprovideOn: c.DEFAULT_ENABLE_REPROVIDE,
    concurrent: c.DEFAULT_MAX_CONCURRENT_REPLICATIONS
  }).toEqual({ factor: 3, reprovide: 12 * 3600_000, cleanup: 3600_000, ttl: 24 * 3600_000, providers: 10, auto: true, reprovideOn: true, concurrent: 5 })
})
