#!/usr/bin/env node
// `pnpm mutate:chunks`: the whole-package mutation run (stryker.config.mjs),
// one group of source files at a time, each with its own report under
// reports/chunks/. The whole run takes hours on a 2-core machine; split this
// way it survives being stopped: a group whose report matches the current
// sources and specs is not run again. At the end it prints the score of
// every file and of the package, from all the groups' reports.
//
// Stryker has no resume of its own (its incremental file is written when a
// run ends), which is why this script exists.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))

// Largest first, small files together: every file of src but testing.ts.
// Each group runs against vitest.stryker.config.ts (every spec but the four
// slow network suites), plus the slow suites named in SPECS for that group:
// the ones that test its files (none so far: record-put.spec tests the put
// alone, where put.spec's networks made a run of record-put.ts take hours).
export const CHUNKS = {
  index: ['src/index.ts'],
  'record-put': ['src/record-put.ts'],
  'chorus-dht': ['src/chorus-dht.ts'],
  records: ['src/records.ts'],
  'role-discovery': ['src/role-discovery.ts'],
  routing: ['src/internals.ts', 'src/content-routing.ts'],
  startup: ['src/init.ts', 'src/bootstrap.ts', 'src/assembly.ts'],
  small: ['src/peer-info.ts', 'src/polyfill.ts', 'src/errors.ts', 'src/keys.ts'],
  guards: ['src/abuse-guard.ts', 'src/record-guard.ts', 'src/peer-liveness.ts'],
  peers: ['src/peer-quotas.ts', 'src/peer-gater.ts', 'src/utils.ts', 'src/constants.ts']
}
const EXCLUDED = new Set(['src/testing.ts'])
export const SPECS = {}
// Groups run against their unit specs only (vitest.unit.config.ts, a subset
// of the specs: a lower bound). Their code runs in every network spec's
// beforeAll, so against the whole set each mutant reruns whole network
// files: hours for these files, where their own specs take minutes and
// score as high (pnpm mutate:quick).
export const UNIT_ONLY = new Set(['guards', 'peers'])

const { values: args } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    only: { type: 'string', multiple: true },
    concurrency: { type: 'string', default: '1' },
    report: { type: 'boolean' },
    force: { type: 'boolean' }
  }
})
if (args.help) {
  console.log(`Usage: pnpm mutate:chunks [--concurrency N] [--only GROUP]... [--report]

Runs stryker.config.mjs one group of files at a time; a group whose report in
reports/chunks/ matches the current sources and specs is skipped.
  --concurrency N  Stryker test runners (default 1)
  --only GROUP     run only this group (repeatable): ${Object.keys(CHUNKS).join(', ')}
  --force          run the groups even when their reports are current (after
                   new specs: Stryker's incremental file keeps what was killed
                   and retests the rest)
  --report         run nothing; print the scores of the reports there are`)
  process.exit(0)
}

const listed = Object.values(CHUNKS).flat()
const missing = readdirSync(join(root, 'src'))
  .map((f) => `src/${f}`)
  .filter((f) => f.endsWith('.ts') && !EXCLUDED.has(f) && !listed.includes(f))
if (missing.length > 0) {
  console.error(`mutate-chunks: not in any group: ${missing.join(', ')}`)
  process.exit(2)
}
for (const name of args.only ?? []) {
  if (!(name in CHUNKS)) {
    console.error(`mutate-chunks: no group ${name}; the groups: ${Object.keys(CHUNKS).join(', ')}`)
    process.exit(2)
  }
}

const reportPath = (name) => join(root, 'reports', 'chunks', `${name}.json`)
const metaPath = (name) => join(root, 'reports', 'chunks', `${name}.meta.json`)
const readReport = (name) => existsSync(reportPath(name)) ? JSON.parse(readFileSync(reportPath(name), 'utf8')) : undefined
const specsOf = (name) => SPECS[name] ?? []
// the slow suites a report was made with (none when it has no meta file)
const metaOf = (name) => existsSync(metaPath(name)) ? JSON.parse(readFileSync(metaPath(name), 'utf8')) : {}
const specsRun = (name) => metaOf(name).specs ?? []
const vitestConfigOf = (name) => UNIT_ONLY.has(name) ? 'vitest.unit.config.ts' : 'vitest.stryker.config.ts'

/** A report is current when it ran with the group's specs and every source and spec it saw is unchanged. */
function isCurrent (name, report) {
  if (report === undefined) return false
  if (JSON.stringify(specsRun(name)) !== JSON.stringify(specsOf(name))) return false
  if ((metaOf(name).vitest ?? 'vitest.stryker.config.ts') !== vitestConfigOf(name)) return false
  const same = (files) => Object.entries(files ?? {}).every(([path, file]) =>
    existsSync(join(root, path)) && readFileSync(join(root, path), 'utf8') === file.source)
  return same(report.files) && same(report.testFiles)
}

if (args.report !== true) {
  for (const [name, files] of Object.entries(CHUNKS)) {
    if (args.only !== undefined && !args.only.includes(name)) continue
    if (args.force !== true && isCurrent(name, readReport(name))) {
      console.log(`mutate-chunks: ${name}: report current, skipped`)
      continue
    }
    console.log(`mutate-chunks: ${name}: ${files.join(' ')} against ${vitestConfigOf(name)}${specsOf(name).length > 0 ? ` with ${specsOf(name).join(' ')}` : ''}`)
    const run = spawnSync('pnpm', ['exec', 'stryker', 'run', 'stryker.config.mjs', '--concurrency', args.concurrency], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, STRYKER_CHUNK: name, STRYKER_CHUNK_FILES: files.join(','), STRYKER_CHUNK_SPECS: specsOf(name).join(','), STRYKER_CHUNK_VITEST: vitestConfigOf(name) }
    })
    if (run.status !== 0) {
      console.error(`mutate-chunks: ${name}: stryker exited ${run.status ?? run.signal}`)
      process.exit(1)
    }
    writeFileSync(metaPath(name), `${JSON.stringify({ files, specs: specsOf(name), vitest: vitestConfigOf(name) })}\n`)
  }
}

// Stryker's score: detected (killed, timeout) over valid mutants (detected,
// survived, no coverage); compile and runtime errors and ignored ones are out.
const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])
const rows = []
for (const name of Object.keys(CHUNKS)) {
  const report = readReport(name)
  for (const path of CHUNKS[name]) {
    const mutants = report?.files?.[path]?.mutants
    if (mutants === undefined) { rows.push({ path, name, missing: true }); continue }
    const detected = mutants.filter((m) => DETECTED.has(m.status)).length
    const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length
    const noCoverage = mutants.filter((m) => m.status === 'NoCoverage').length
    rows.push({ path, name, detected, undetected, noCoverage, stale: !isCurrent(name, report) })
  }
}
const pct = (d, u) => d + u === 0 ? 'n/a' : `${(100 * d / (d + u)).toFixed(2)} %`
let detected = 0
let undetected = 0
console.log('\n| file | score | mutants | survived (no coverage) |\n|---|---|---|---|')
for (const r of rows) {
  if (r.missing === true) { console.log(`| \`${r.path}\` | not run (group ${r.name}) | | |`); continue }
  detected += r.detected
  undetected += r.undetected
  console.log(`| \`${r.path}\`${r.stale ? ' (stale)' : ''} | ${pct(r.detected, r.undetected)} | ${r.detected + r.undetected} | ${r.undetected - r.noCoverage} (${r.noCoverage}) |`)
}
console.log(`| all run | **${pct(detected, undetected)}** | ${detected + undetected} | ${undetected} |`)
if (rows.some((r) => r.missing === true)) process.exitCode = 3
