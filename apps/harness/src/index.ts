/**
 * @packageDocumentation
 *
 * The chorus-dht test harness: scenarios that run many nodes of the real
 * packages in one process (dht-core over the libp2p memory transport,
 * crypto-age, encrypted-storage, replication, hybrid-mock), inject faults,
 * check invariants and report figures. Each scenario is a function taking
 * `{ nodes, seed, … }` and resolving a {@link ScenarioResult}; the
 * `chorus-harness` CLI runs them and writes JSON and Markdown reports.
 *
 * @example
 *
 * ```ts
 * import '@chorus-dht/dht-core/polyfill'
 * import { storeRetrieve, writeReports } from '@chorus-dht/harness'
 *
 * const result = await storeRetrieve({ nodes: 8, seed: 7 })
 * console.info(result.passed, result.timings.store)
 * await writeReports(result, 'reports')
 * ```
 */

// Must run before any libp2p code: Node 20 lacks Promise.withResolvers.
import '@chorus-dht/dht-core/polyfill'

export * from './constants.js'
export * from './errors.js'
export type { Scenario, ScenarioOptions, ScenarioParam } from './scenario.js'
export type { InvariantResult, ResultTable, RunEnvironment, ScenarioResult, TimingSummary } from './result.js'
export { percentile, summarize } from './result.js'
export { renderMarkdown, writeReports } from './report.js'
export type { ReportFiles } from './report.js'
export { evictUnreachable, isolate, partition } from './faults.js'
export { formNetwork } from './network.js'
export type { FormNetworkOptions, FormedNetwork } from './network.js'
export type { Fault, HealOptions } from './faults.js'
export { HARNESS_NAMESPACE, createCluster, createRoleKeys, harnessPolicy, harnessRecordPolicy } from './cluster.js'
export type { Cluster, ClusterInit, ClusterNode, RoleKeys } from './cluster.js'
export { findScenario, scenarios } from './scenarios/index.js'
export { STORE_RETRIEVE_ROLES, storeRetrieve, storeRetrieveScenario } from './scenarios/store-retrieve.js'
export type { StoreRetrieveOptions } from './scenarios/store-retrieve.js'
export { partitionHeal, partitionHealScenario } from './scenarios/partition-heal.js'
export type { PartitionHealOptions } from './scenarios/partition-heal.js'
export { churnRepair, churnRepairScenario } from './scenarios/churn-repair.js'
export type { ChurnRepairOptions } from './scenarios/churn-repair.js'
export { hybridOutage, hybridOutageScenario } from './scenarios/hybrid-outage.js'
export type { HybridOutageOptions, OutageFault } from './scenarios/hybrid-outage.js'
export { scale, scaleScenario } from './scenarios/scale.js'
export type { ScaleOptions } from './scenarios/scale.js'
