// Tests of scripts/test-summary.mjs on vitest JSON reports that vitest itself
// writes: real vitest runs on fixture packages in a temp dir (a test file that
// throws at import, a describe whose beforeAll throws, a good file).
// Run: node --test scripts/test/test-summary.test.mjs (scripts/test-all.sh does).
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'

const repo = resolve(import.meta.dirname, '../..')
const summary = join(repo, 'scripts/test-summary.mjs')
// vitest as every package runs it: the peer of the shared vitest config
const vitest = join(dirname(createRequire(join(repo, 'tooling/vitest-config/package.json')).resolve('vitest/package.json')), 'vitest.mjs')

const FINAL_LINE = /^(\d+) passed, (\d+) failed, (\d+) skipped$/

const FIXTURES = {
  good: {
    'test/fine.spec.mjs': `
      describe('fine', () => {
        it('adds', () => { expect(1 + 1).toBe(2) })
        it('subtracts', () => { expect(2 - 1).toBe(1) })
        it.skip('is skipped on purpose', () => {})
      })`
  },
  broken: {
    'test/import-throws.spec.mjs': `
      throw new Error('boom at import')`,
    'test/hook-throws.spec.mjs': `
      describe('a suite with a broken setup', () => {
        beforeAll(() => { throw new Error('beforeAll exploded') })
        it('never runs', () => { expect(1).toBe(1) })
        it('never runs either', () => { expect(2).toBe(2) })
      })
      describe('a healthy neighbour', () => {
        it('passes', () => { expect(true).toBe(true) })
      })`
  }
}

let root
/** Fresh reports, copied aside so each case can put them back. */
const reports = {}

function writePackage (name) {
  const dir = join(root, 'packages', name)
  mkdirSync(join(dir, 'test'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }))
  // the shape of tooling/vitest-config: test/**/*.spec, a JSON report in test-results/
  writeFileSync(join(dir, 'vitest.config.mjs'), `export default { test: { include: ['test/**/*.spec.mjs'], globals: true, pool: 'forks', reporters: [['json', { outputFile: 'test-results/vitest.json' }]] } }\n`)
  for (const [file, text] of Object.entries(FIXTURES[name])) writeFileSync(join(dir, file), `${text.trim()}\n`)
  return dir
}

function runVitest (dir) {
  // vitest exits 1 for the broken package; the report is what matters
  spawnSync(process.execPath, [vitest, 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs')], { cwd: dir, encoding: 'utf8' })
  return readFileSync(join(dir, 'test-results/vitest.json'), 'utf8')
}

/** Puts a report in place as if its tests ran now (or as it is, with `asIs`). */
function place (name, json = reports[name], asIs = false) {
  if (!asIs) json = JSON.stringify({ ...JSON.parse(json), startTime: Date.now() })
  const dir = join(root, 'packages', name, 'test-results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'vitest.json'), json)
  return join(dir, 'vitest.json')
}

function run (args = [], env = {}) {
  const r = spawnSync(process.execPath, [summary, '--root', root, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CHORUS_TEST_RUN_START: '', CHORUS_TEST_REQUIRE_FRESH: '', ...env }
  })
  const lines = r.stdout.trimEnd().split('\n')
  const m = FINAL_LINE.exec(lines.at(-1))
  assert.ok(m, `the last line is the summary line alone, got ${JSON.stringify(lines.at(-1))}\n${r.stdout}${r.stderr}`)
  return { code: r.status, out: r.stdout, passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) }
}

const begin = () => execFileSync(process.execPath, [summary, '--root', root, '--begin'], { encoding: 'utf8' })

before(() => {
  root = mkdtempSync(join(tmpdir(), 'test-summary-'))
  // as scripts/test-all.sh does: mark the start, then run the tests
  for (const name of Object.keys(FIXTURES)) writePackage(name)
  begin()
  for (const name of Object.keys(FIXTURES)) reports[name] = runVitest(writePackage(name))
})

after(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('vitest reports the fixtures as the summary has to read them', () => {
  it('an import error and a beforeAll error fail no test: only the suites fail', () => {
    const r = JSON.parse(reports.broken)
    assert.equal(r.numFailedTests, 0)
    assert.equal(r.numPassedTests, 1)
    assert.ok(r.numFailedTestSuites >= 2, `numFailedTestSuites = ${r.numFailedTestSuites}`)
    assert.equal(r.success, false)
    // the two tests under the broken beforeAll count as skipped
    assert.equal(r.numPendingTests, 2)
  })
})

describe('test-summary', () => {
  it('counts a file that throws at import and a failing beforeAll as failures, names them, exits 1', () => {
    // the reports exactly as vitest wrote them, after --begin
    const r = run()
    assert.equal(r.code, 1, r.out)
    assert.deepEqual([r.passed, r.failed, r.skipped], [3, 2, 3], r.out)
    assert.match(r.out, /FAILED packages\/broken\/test\/import-throws\.spec\.mjs: threw at import: boom at import/)
    assert.match(r.out, /FAILED packages\/broken\/test\/hook-throws\.spec\.mjs: failed outside any test .*tests not run in: 'a suite with a broken setup'/)
    assert.match(r.out, /^packages\/good: 2 passed, 0 failed, 1 skipped$/m)
    assert.doesNotMatch(r.out, /REFUSED/)
  })

  it('passes a run in which every package passed', () => {
    begin()
    rmSync(join(root, 'packages/broken'), { recursive: true })
    try {
      place('good')
      const r = run()
      assert.equal(r.code, 0, r.out)
      assert.deepEqual([r.passed, r.failed, r.skipped], [2, 0, 1])
    } finally {
      writePackage('broken')
    }
  })

  it('--begin removes old reports, so a package whose tests did not run has no report and fails', () => {
    place('good')
    place('broken')
    begin()
    place('good')
    const r = run()
    assert.equal(r.code, 1)
    assert.match(r.out, /REFUSED packages\/broken: no report/)
    assert.deepEqual([r.passed, r.failed], [2, 0])
  })

  it('refuses a report written before the run started (CHORUS_TEST_RUN_START)', () => {
    begin()
    place('broken')
    const file = place('good', reports.good, true)
    const startedAt = Date.now()
    const old = new Date(startedAt - 60_000)
    utimesSync(file, old, old)
    const r = run([], { CHORUS_TEST_RUN_START: String(startedAt) })
    assert.equal(r.code, 1)
    assert.match(r.out, /REFUSED packages\/good: stale report, written .* before this run started/)
  })

  it('marks a report turbo replayed from its cache (written now, tests run before), and --fresh refuses it', () => {
    begin()
    const good = JSON.parse(reports.good)
    good.startTime -= 3_600_000
    place('good', JSON.stringify(good), true)
    // only the good package this time
    rmSync(join(root, 'packages/broken'), { recursive: true })
    try {
      const r = run()
      assert.equal(r.code, 0, r.out)
      assert.match(r.out, /^packages\/good: 2 passed, 0 failed, 1 skipped \(replayed from the turbo cache\)$/m)
      assert.match(r.out, /replayed from the turbo cache, not run now: packages\/good/)
      const strict = run(['--fresh'])
      assert.equal(strict.code, 1)
      assert.match(strict.out, /REFUSED packages\/good: report replayed from the turbo cache/)
      assert.deepEqual([strict.passed, strict.failed], [0, 0])
    } finally {
      writePackage('broken')
    }
  })

  it('refuses to judge without a run start', () => {
    rmSync(join(root, 'test-results'), { recursive: true, force: true })
    place('good')
    place('broken')
    const r = run()
    assert.equal(r.code, 1)
    assert.match(r.out, /REFUSED no run start/)
  })

  it('counts a failed test as failed and names it', () => {
    begin()
    const good = JSON.parse(reports.good)
    const file = good.testResults[0]
    file.status = 'failed'
    file.assertionResults[0].status = 'failed'
    file.assertionResults[0].failureMessages = ['AssertionError: expected 3 to be 2\n    at stack']
    good.numPassedTests -= 1
    good.numFailedTests = 1
    good.success = false
    place('good', JSON.stringify(good))
    place('broken')
    const r = run()
    assert.equal(r.code, 1)
    assert.deepEqual([r.passed, r.failed], [2, 3])
    assert.match(r.out, /FAILED packages\/good\/test\/fine\.spec\.mjs: fine adds: AssertionError: expected 3 to be 2$/m)
  })
})
