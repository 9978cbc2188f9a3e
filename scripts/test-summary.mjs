#!/usr/bin/env node
// Sums the vitest JSON reports of every package into one closing line,
// `N passed, N failed, N skipped`, and fails if any package ran no test.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
let passed = 0
let failed = 0
let skipped = 0
const empty = []
for (const zone of ['packages', 'apps']) {
  for (const dir of readdirSync(join(root, zone))) {
    const file = join(root, zone, dir, 'test-results', 'vitest.json')
    if (!existsSync(file)) {
      empty.push(`${zone}/${dir} (no report)`)
      continue
    }
    const r = JSON.parse(readFileSync(file, 'utf8'))
    passed += r.numPassedTests
    failed += r.numFailedTests
    skipped += r.numPendingTests + (r.numTodoTests ?? 0)
    console.log(`${zone}/${dir}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)
    if (r.numTotalTests === 0) empty.push(`${zone}/${dir}`)
  }
}
if (empty.length > 0) console.log(`packages that ran no test: ${empty.join(', ')}`)
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || empty.length > 0 ? 1 : 0)
