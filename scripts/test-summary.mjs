#!/usr/bin/env node
// Sums the vitest JSON reports of every package (`test-results/vitest.json`,
// written by tooling/vitest-config) into one closing line,
// `N passed, N failed, N skipped`, and exits non-zero when anything failed:
//
// - a failed test;
// - a test file that failed outside any test: it threw at import, or a
//   `describe` callback or a beforeAll/afterAll/beforeEach/afterEach hook
//   threw (vitest then reports the tests under it as skipped, and the JSON
//   report has the file's status and `numFailedTestSuites`, not the tests);
// - a report that says `success: false` for any other reason;
// - a package with no report, or with a report that ran no test;
// - a report older than this run: left over from an earlier run because this
//   run never wrote it (its package's tests did not run).
//
// The run's start comes from `node scripts/test-summary.mjs --begin`, which
// scripts/test-all.sh calls before `pnpm run check`: it records the time in
// test-results/test-run-start.json and deletes every package's old report, so
// a report that exists afterwards was written during this run. Set
// CHORUS_TEST_RUN_START (ms since the epoch) to give the start another way;
// reports whose file is older than it are then refused (without --begin a
// report turbo replays may be refused too: turbo 2 leaves an output that is
// already on disk untouched).
//
// turbo replays a cached test task by restoring its report: the file is
// written now (its mtime is now), but its `startTime` is that of the run
// that produced it. Such a report is counted (turbo only replays a task whose
// inputs did not change) and marked "replayed from the turbo cache"; with
// `--fresh` (or CHORUS_TEST_REQUIRE_FRESH=1) it is refused instead.
//
// Usage: node scripts/test-summary.mjs [--begin] [--fresh] [--root DIR]
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const ZONES = ['packages', 'apps']
const REPORT = join('test-results', 'vitest.json')
const MARKER = join('test-results', 'test-run-start.json')

const args = process.argv.slice(2)
const rootAt = args.indexOf('--root')
const root = rootAt >= 0 ? resolve(args[rootAt + 1]) : resolve(import.meta.dirname, '..')
const requireFresh = args.includes('--fresh') || process.env.CHORUS_TEST_REQUIRE_FRESH === '1'

function packageDirs () {
  const out = []
  for (const zone of ZONES) {
    if (!existsSync(join(root, zone))) continue
    for (const dir of readdirSync(join(root, zone)).sort()) {
      if (existsSync(join(root, zone, dir, 'package.json'))) out.push(`${zone}/${dir}`)
    }
  }
  return out
}

if (args.includes('--begin')) {
  const startTime = Date.now()
  let cleared = 0
  for (const pkg of packageDirs()) {
    const file = join(root, pkg, REPORT)
    if (existsSync(file)) {
      rmSync(file)
      cleared++
    }
  }
  mkdirSync(join(root, 'test-results'), { recursive: true })
  writeFileSync(join(root, MARKER), `${JSON.stringify({ startTime, cleared: true })}\n`)
  console.log(`test run started at ${new Date(startTime).toISOString()}; removed ${cleared} old test reports`)
  process.exit(0)
}

/** The run's start: `{ startTime, cleared }`, or undefined when nothing says. */
function runStart () {
  const env = process.env.CHORUS_TEST_RUN_START
  if (env !== undefined && env !== '') {
    const startTime = Number(env)
    if (!Number.isFinite(startTime) || startTime <= 0) {
      console.log(`CHORUS_TEST_RUN_START must be milliseconds since the epoch, got ${JSON.stringify(env)}`)
      process.exit(2)
    }
    return { startTime, cleared: false }
  }
  const marker = join(root, MARKER)
  if (!existsSync(marker)) return undefined
  const m = JSON.parse(readFileSync(marker, 'utf8'))
  return { startTime: Number(m.startTime), cleared: m.cleared === true }
}

/** A test file's path relative to its package, or absolute when outside it. */
function fileName (pkg, path) {
  const rel = relative(join(root, pkg), path ?? '?')
  return rel === '' || rel.startsWith('..') ? String(path) : rel
}

const oneLine = (s) => String(s).split('\n').find((l) => l.trim() !== '')?.trim() ?? ''

/**
 * What failed in a report outside failed tests: one line per test file that
 * failed with no failed test in it (import error, hook or describe error).
 */
function suiteFailures (r, pkg) {
  const out = []
  for (const file of r.testResults ?? []) {
    if (file.status !== 'failed') continue
    const tests = file.assertionResults ?? []
    if (tests.some((t) => t.status === 'failed') && !file.message) continue
    const name = fileName(pkg, file.name)
    let why
    if (file.message) {
      why = tests.length === 0 ? `threw at import: ${oneLine(file.message)}` : `failed outside any test: ${oneLine(file.message)}`
    } else {
      // vitest's JSON report keeps no text for an error of a hook or describe
      // callback; the suites whose tests did not run point at it
      const notRun = [...new Set(tests.filter((t) => t.status === 'skipped' || t.status === 'pending').map((t) => t.ancestorTitles.join(' > ')).filter(Boolean))]
      why = 'failed outside any test (a beforeAll/afterAll/beforeEach/afterEach hook or a describe callback threw; its error is in the test log above)'
      if (notRun.length > 0) why += `; tests not run in: ${notRun.map((s) => `'${s}'`).join(', ')}`
    }
    out.push(`${pkg}/${name}: ${why}`)
  }
  if (out.length === 0 && (r.success === false || r.numFailedTestSuites > 0) && !(r.numFailedTests > 0)) {
    out.push(`${pkg}: the report says success=${r.success}, ${r.numFailedTestSuites} failed suites, but names no failed test or file`)
  }
  return out
}

const start = runStart()
let passed = 0
let failed = 0
let skipped = 0
const problems = []
const replayed = []
if (start === undefined) {
  problems.push(`no run start: run \`node scripts/test-summary.mjs --begin\` before the tests (scripts/test-all.sh does), or set CHORUS_TEST_RUN_START; without it an old report cannot be told from a new one`)
}
for (const pkg of packageDirs()) {
  const file = join(root, pkg, REPORT)
  if (!existsSync(file)) {
    problems.push(`${pkg}: no report (${REPORT}); its tests did not run`)
    continue
  }
  let r
  try {
    r = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    problems.push(`${pkg}: ${REPORT} does not parse (${err.message})`)
    continue
  }
  if (start !== undefined) {
    const ranAt = Number(r.startTime)
    const writtenAt = statSync(file).mtimeMs
    const ranBefore = !Number.isFinite(ranAt) || ranAt < start.startTime
    // with `--begin` every report present was written during this run
    const writtenBefore = !start.cleared && writtenAt < start.startTime
    if (writtenBefore) {
      problems.push(`${pkg}: stale report, written ${new Date(writtenAt).toISOString()}, before this run started (${new Date(start.startTime).toISOString()}): its tests did not run now (run \`node scripts/test-summary.mjs --begin\` before the tests so old reports are removed)`)
      continue
    }
    if (ranBefore) {
      const when = Number.isFinite(ranAt) ? new Date(ranAt).toISOString() : 'at an unknown time'
      if (requireFresh) {
        problems.push(`${pkg}: report replayed from the turbo cache (its tests ran ${when}, before this run); --fresh refuses it`)
        continue
      }
      replayed.push(`${pkg} (tests ran ${when})`)
    }
  }
  const broken = suiteFailures(r, pkg)
  const pkgFailed = (r.numFailedTests ?? 0) + broken.length
  const pkgSkipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  passed += r.numPassedTests ?? 0
  failed += pkgFailed
  skipped += pkgSkipped
  console.log(`${pkg}: ${r.numPassedTests ?? 0} passed, ${pkgFailed} failed, ${pkgSkipped} skipped${replayed.at(-1)?.startsWith(`${pkg} `) ? ' (replayed from the turbo cache)' : ''}`)
  for (const b of broken) console.log(`  FAILED ${b}`)
  for (const t of r.testResults ?? []) {
    for (const a of t.assertionResults ?? []) {
      if (a.status === 'failed') console.log(`  FAILED ${pkg}/${fileName(pkg, t.name)}: ${a.fullName}: ${oneLine(a.failureMessages?.[0] ?? '')}`)
    }
  }
  if ((r.numTotalTests ?? 0) === 0) problems.push(`${pkg}: ran no test`)
}
if (replayed.length > 0) console.log(`replayed from the turbo cache, not run now: ${replayed.join(', ')}`)
for (const p of problems) console.log(`REFUSED ${p}`)
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || problems.length > 0 ? 1 : 0)
