import { churnRepairScenario } from './churn-repair.js'
import { hybridOutageScenario } from './hybrid-outage.js'
import { partitionHealScenario } from './partition-heal.js'
import { scaleScenario } from './scale.js'
import { storeRetrieveScenario } from './store-retrieve.js'
import type { Scenario } from '../scenario.js'

/** Every registered scenario, in the order `chorus-harness list` prints them. */
export const scenarios: readonly Scenario[] = Object.freeze([
  storeRetrieveScenario,
  partitionHealScenario,
  churnRepairScenario,
  hybridOutageScenario,
  scaleScenario
])

/** The scenario called `name`, or `undefined`. */
export function findScenario (name: string): Scenario | undefined {
  return scenarios.find(s => s.name === name)
}
