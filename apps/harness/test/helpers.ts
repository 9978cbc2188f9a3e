import type { InvariantResult, ScenarioResult } from '../src/index.js'

/** The invariant called `name` of a result; fails the test when it was not checked at all. */
export function invariant (result: ScenarioResult, name: string): InvariantResult {
  const found = result.invariants.find(i => i.name === name)
  if (found == null) throw new Error(`invariant ${name} was not checked; checked: ${result.invariants.map(i => i.name).join(', ')}${result.error != null ? `; the run ended early: ${result.error}` : ''}`)
  return found
}

/** A readable line for an assertion message. */
export function explain (result: ScenarioResult): string {
  return [result.error ?? '', ...result.invariants.filter(i => !i.passed).map(i => `${i.name}: ${i.detail}`), ...result.notes].join('\n')
}
