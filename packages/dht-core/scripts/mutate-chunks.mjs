#!/usr/bin/env node
// `pnpm mutate:chunks`: the whole-package mutation run (stryker.config.mjs),
// one group of source files at a time, each with its own report under
// reports/chunks/. The whole run takes hours on a 2-core machine; split this
// way it survives being stopped: a group whose report matches the current
// sources and specs is not run again. At the end it prints the score of
// every file and of the package, from all the groups' reports.
//
// Stryker has no resume of its own (its incremental file is written when a
// run ends), and no way to add up runs against different spec sets, which
// is why this script exists.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))

// Largest first, small files together: every file of src but testing.ts.
// Each group runs against vitest.stryker.config.ts (every spec but the four
// slow network suites) in the main pass.
export const CHUNKS = {
  index: ['src/index.ts'],
  'record-put': ['src/record-put.ts'],
  'chorus-dht': ['src/chorus-dht.ts'],
  records: ['src/records.ts'],
  'role-discovery': ['src/role-discovery.ts'],
  routing: ['src/internals.ts', 'src/content-routing.ts'],
  startup: ['src/init.ts', 'src/bootstrap.ts', 'src/assembly.ts'],
  small: ['src/peer-info.ts', 'src/polyfill.ts', 'src/errors.ts', 'src/keys.ts', 'src/noise-crypto.ts'],
  guards: ['src/abuse-guard.ts', 'src/record-guard.ts', 'src/peer-liveness.ts'],
  peers: ['src/peer-quotas.ts', 'src/peer-gater.ts', 'src/utils.ts', 'src/constants.ts']
}
const EXCLUDED = new Set(['src/testing.ts'])
// Groups run against their unit specs only (vitest.unit.config.ts, a subset
// of the specs: a lower bound). Their code runs in every network spec's
// beforeAll, so against the whole set each mutant reruns whole network
// files: hours for these files, where their own specs take minutes and
// score as high (pnpm mutate:quick).
export const UNIT_ONLY = new Set(['guards', 'peers'])
// A second pass (--pass fast) runs a group against vitest.fast.config.ts:
// the specs of single classes and of a lone node or a small network, a
// subset of the suite. What either pass detects the suite detects, so the
// score counts a mutant detected when either pass detected it.
const FAST_CONFIG = 'vitest.fast.config.ts'

const { values: args } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    only: { type: 'string', multiple: true },
    concurrency: { type: 'string', default: '1' },
    pass: { type: 'string', default: 'main' },
    report: { type: 'boolean' },
    force: { type: 'boolean' }
  }
})
if (args.help) {
  console.log(`Usage: pnpm mutate:chunks [--concurrency N] [--only GROUP]... [--pass main|fast] [--force] [--report]

Runs stryker.config.mjs one group of files at a time; a group whose report in
reports/chunks/ matches the current sources and specs is skipped. At the end
it prints the score of every file from the reports of both passes.
  --concurrency N  Stryker test runners (default 1)
  --only GROUP     run only this group (repeatable): ${Object.keys(CHUNKS).join(', ')}
  --pass main      against vitest.stryker.config.ts (every spec but the four
                   slowest; the guards and peers groups: vitest.unit.config.ts)
  --pass fast      against ${FAST_CONFIG} (fast specs; adds to the main pass)
  --force          run the groups even when their reports are current (after
                   new specs: Stryker's incremental file keeps what was killed
                   and retests the rest)
  --report         run nothing; print the scores of the reports there are`)
  process.exit(0)
}
const PASSES = ['main', 'fast']
if (!PASSES.includes(args.pass)) {
  console.error(`mutate-chunks: --pass is main or fast, got ${args.pass}`)
  process.exit(2)
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

/** The name of a group's reports in one pass. */
const runName = (name, pass) => pass === 'main' ? name : `${name}.${pass}`
const reportPath = (run) => join(root, 'reports', 'chunks', `${run}.json`)
const metaPath = (run) => join(root, 'reports', 'chunks', `${run}.meta.json`)
const readJson = (path) => existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined
const vitestConfigOf = (name, pass) => pass === 'fast' ? FAST_CONFIG : UNIT_ONLY.has(name) ? 'vitest.unit.config.ts' : 'vitest.stryker.config.ts'
const sameSource = (files) => Object.entries(files ?? {}).every(([path, file]) =>
  existsSync(join(root, path)) && readFileSync(join(root, path), 'utf8') === file.source)

/** A report is current when it ran with the group's config and every source and spec it saw is unchanged. */
function isCurrent (name, pass) {
  const report = readJson(reportPath(runName(name, pass)))
  if (report === undefined) return false
  // reports made before the meta file existed ran the main config
  const meta = readJson(metaPath(runName(name, pass))) ?? { vitest: 'vitest.stryker.config.ts' }
  if ((meta.vitest ?? 'vitest.stryker.config.ts') !== vitestConfigOf(name, pass)) return false
  return sameSource(report.files) && sameSource(report.testFiles)
}

if (args.report !== true) {
  const pass = args.pass
  for (const [name, files] of Object.entries(CHUNKS)) {
    if (args.only !== undefined && !args.only.includes(name)) continue
    if (args.force !== true && isCurrent(name, pass)) {
      console.log(`mutate-chunks: ${name} (${pass}): report current, skipped`)
      continue
    }
    console.log(`mutate-chunks: ${name} (${pass}): ${files.join(' ')} against ${vitestConfigOf(name, pass)}`)
    const run = spawnSync('pnpm', ['exec', 'stryker', 'run', 'stryker.config.mjs', '--concurrency', args.concurrency], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, STRYKER_CHUNK: runName(name, pass), STRYKER_CHUNK_FILES: files.join(','), STRYKER_CHUNK_VITEST: vitestConfigOf(name, pass) }
    })
    if (run.status !== 0) {
      console.error(`mutate-chunks: ${name}: stryker exited ${run.status ?? run.signal}`)
      process.exit(1)
    }
    writeFileSync(metaPath(runName(name, pass)), `${JSON.stringify({ files, vitest: vitestConfigOf(name, pass) })}\n`)
  }
}

// Stryker's score: detected (killed, timeout) over valid mutants (detected,
// survived, no coverage); compile and runtime errors and ignored ones are out.
const DETECTED = new Set(['Killed', 'Timeout'])
const VALID = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage'])
const mutantKey = (m) => `${m.mutatorName}|${m.replacement}|${m.location.start.line}:${m.location.start.column}|${m.location.end.line}:${m.location.end.column}`
const rows = []
for (const name of Object.keys(CHUNKS)) {
  for (const path of CHUNKS[name]) {
    // the reports of both passes made on the current source of the file
    const reports = PASSES
      .map((pass) => ({ pass, file: readJson(reportPath(runName(name, pass)))?.files?.[path] }))
      .filter((r) => r.file !== undefined && sameSource({ [path]: r.file }))
    if (reports.length === 0) { rows.push({ path, name, missing: true }); continue }
    const status = new Map()
    for (const { file } of reports) {
      for (const m of file.mutants) {
        if (!VALID.has(m.status)) continue
        const key = mutantKey(m)
        status.set(key, (status.get(key) ?? 'undetected') === 'detected' || DETECTED.has(m.status) ? 'detected' : 'undetected')
      }
    }
    const detected = [...status.values()].filter((s) => s === 'detected').length
    const stale = reports.some(({ pass }) => !isCurrent(name, pass))
    rows.push({ path, name, detected, undetected: status.size - detected, passes: reports.map((r) => r.pass).join(' + '), stale })
  }
}
const pct = (d, u) => d + u === 0 ? 'n/a' : `${(100 * d / (d + u)).toFixed(2)} %`
let detected = 0
let undetected = 0
console.log('\n| file | score | mutants | undetected | passes |\n|---|---|---|---|---|')
for (const r of rows) {
  if (r.missing === true) { console.log(`| \`${r.path}\` | not run (group ${r.name}) | | | |`); continue }
  detected += r.detected
  undetected += r.undetected
  console.log(`| \`${r.path}\`${r.stale ? ' (specs changed since)' : ''} | ${pct(r.detected, r.undetected)} | ${r.detected + r.undetected} | ${r.undetected} | ${r.passes} |`)
}
console.log(`| all run | **${pct(detected, undetected)}** | ${detected + undetected} | ${undetected} | |`)
if (rows.some((r) => r.missing === true)) process.exitCode = 3
