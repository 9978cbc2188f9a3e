#!/usr/bin/env node
// Packs published packages as npm would publish them and checks that each one
// works à la carte, installed from its tarball the way a user gets it:
//
// 1. For each named package, a scratch project outside the workspace holds
//    that package's tarball as its only chorus-dht dependency, and the test
//    imports the named exports. Its @chorus-dht/* dependencies come from the
//    other local tarballs through npm `overrides` (the workspace's packages
//    are not on the registry), so they are never top-level dependencies of
//    the project; everything else is fetched from the registry. npm installs
//    with `--install-strategy=linked` (isolated, nothing hoisted), so a
//    package can load only what its own package.json declares: one that
//    forgot an internal dependency fails here.
// 2. Every js/ts code block of the package's README runs as written, in a
//    project holding only what the README's Install line (`pnpm add …`)
//    names, installed the same way (plus tsx for TypeScript blocks, run as
//    `.ts` files, and vitest for blocks that import it, run as a test file).
//    A package an example imports but the Install line omits fails the check.
//    Each block gets a timeout (60 s, or CHECK_PACK_EXAMPLE_TIMEOUT_MS) and a
//    failure names its README line. The file a block runs from keeps the
//    README's line numbers, so a stack trace points into the README.
//
// README convention, an HTML comment (invisible on GitHub and npm) on the
// line right before the block's fence:
//   <!-- not runnable: <reason> -->   the block is not run; the reason is
//                                     required (a fragment of the example
//                                     above, a type shape, a template…)
//   <!-- continues the example above -->  the block is appended to the
//                                     previous js/ts block and the two run as
//                                     one program (the previous one not alone)
// Every other js/ts block must run on its own. A marker that is not followed
// by a js/ts block is an error, so markers cannot drift from their blocks.
// (Languages: js, mjs, javascript run as `.mjs`; ts, mts, typescript as `.ts`.)
//
// usage: node scripts/check-pack.mjs @chorus-dht/types=NotFoundError,IntegrityError [@chorus-dht/ucxl=parse ...]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const EXAMPLE_TIMEOUT_MS = Number(process.env.CHECK_PACK_EXAMPLE_TIMEOUT_MS ?? 60_000)
const LANGS = { js: 'js', mjs: 'js', javascript: 'js', ts: 'ts', mts: 'ts', typescript: 'ts' }
const INSTALL = ['install', '--no-audit', '--no-fund', '--loglevel=error', '--install-strategy=linked']

const specs = process.argv.slice(2).map((arg) => {
  const [name, names = ''] = arg.split('=')
  return { name, exports: names.split(',').filter(Boolean) }
})
if (specs.length === 0) {
  console.error('usage: node scripts/check-pack.mjs <package>=<export>[,<export>…] …')
  process.exit(2)
}

// Map package names to folders.
const dirs = new Map()
for (const zone of ['packages', 'apps']) {
  for (const d of readdirSync(join(root, zone))) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, zone, d, 'package.json'), 'utf8'))
      dirs.set(pkg.name, { dir: join(root, zone, d), pkg })
    } catch {}
  }
}
const isInternal = (name) => name.startsWith('@chorus-dht/') || dirs.has(name)

// Examples run in their own process group, so a timeout ends every process
// an example started; an interrupted check ends them too.
const running = new Set()
const killGroup = (pid) => { try { process.kill(-pid, 'SIGKILL') } catch {} }
let scratch
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const pid of running) killGroup(pid)
    if (scratch != null) rmSync(scratch, { recursive: true, force: true })
    process.exit(130)
  })
}

try {
  // READMEs first: a malformed marker or Install line fails before anything slow runs.
  const readmes = new Map(specs.map((s) => [s.name, readReadme(s.name)]))

  // The packages to pack: the named ones, those their Install lines name, and
  // their internal runtime deps.
  const toPack = new Set()
  const visit = (name) => {
    if (toPack.has(name)) return
    const entry = dirs.get(name)
    if (entry == null) throw new Error(`unknown workspace package ${name}`)
    if (entry.pkg.private) throw new Error(`${name} is private and is never published`)
    toPack.add(name)
    for (const dep of Object.keys(entry.pkg.dependencies ?? {})) {
      if (isInternal(dep)) visit(dep)
    }
  }
  for (const s of specs) {
    visit(s.name)
    for (const { name } of readmes.get(s.name).install) if (isInternal(name)) visit(name)
  }

  scratch = mkdtempSync(join(tmpdir(), 'chorus-pack-'))
  const tarballOf = new Map([...toPack].map((name) => [name, packOne(name)]))
  checkTarballs(tarballOf)
  // every internal package resolves to its tarball wherever it sits in the tree
  const overrides = Object.fromEntries([...tarballOf].map(([name, tgz]) => [name, `file:${tgz}`]))
  const totals = { run: 0, marked: 0 }
  const failures = []
  for (const s of specs) await checkPackage(s, readmes.get(s.name), overrides, totals, failures)
  if (failures.length > 0) throw new Error(`${failures.length} README example(s) failed:\n\n${failures.join('\n\n')}`)
  console.log(`ok README examples: ${totals.run} run as written, ${totals.marked} marked not runnable`)
} catch (err) {
  console.error(`check-pack: ${err.message}`)
  process.exitCode = 1
} finally {
  if (scratch != null) rmSync(scratch, { recursive: true, force: true })
}

/** Imports a package's named exports, then runs every runnable README block. */
async function checkPackage ({ name, exports }, readme, overrides, totals, failures) {
  const { file, install, programs, marked } = readme
  const installLine = `pnpm add ${install.map((p) => p.raw).join(' ')}`
  const tools = {}
  for (const p of programs) {
    if (p.isTest) tools.vitest = 'latest'
    else if (p.lang === 'ts') tools.tsx = 'latest'
  }
  const deps = { ...Object.fromEntries(install.map((p) => [p.name, isInternal(p.name) ? overrides[p.name] : p.spec])), ...tools }
  const examples = installProject(deps, overrides)
  // the exports are imported where the package is the only chorus-dht
  // dependency: the Install line's other packages could hide a missing one
  const alone = install.every((p) => p.name === name || !isInternal(p.name))
    ? examples
    : installProject({ [name]: overrides[name] }, overrides)
  writeFileSync(join(alone, 'smoke.mjs'), `const m = await import(${JSON.stringify(name)})
const missing = ${JSON.stringify(exports)}.filter((e) => m[e] === undefined)
if (missing.length > 0) { console.error('${name} does not export ' + missing.join(', ')); process.exit(1) }
`)
  try {
    execFileSync('node', ['smoke.mjs'], { cwd: alone, stdio: 'inherit' })
  } catch {
    throw new Error(`${name}: installed alone from its tarball, it does not import (see above: a dependency its package.json omits?)`)
  }
  console.log(`ok ${name}: installed alone from its tarball, exports ${exports.join(', ') || '(none named)'}`)

  for (const b of marked) console.log(`skip ${name}: ${file}:${b.line} not runnable: ${b.marker.reason}`)
  totals.marked += marked.length
  let passed = 0
  for (const p of programs) {
    const where = `${file}:${p.blocks.map((b) => b.line).join('+')}`
    const fileName = p.isTest ? `example-${p.blocks[0].line}.test.${p.lang}` : `example-${p.blocks[0].line}.${p.lang === 'ts' ? 'ts' : 'mjs'}`
    writeFileSync(join(examples, fileName), p.source)
    const [cmd, args] = p.isTest
      ? [join(examples, 'node_modules/.bin/vitest'), ['run', fileName]]
      : p.lang === 'ts' ? [join(examples, 'node_modules/.bin/tsx'), [fileName]] : ['node', [fileName]]
    const started = Date.now()
    const r = await runExample(cmd, args, examples, EXAMPLE_TIMEOUT_MS)
    const secs = ((Date.now() - started) / 1000).toFixed(1)
    if (r.timedOut || r.code !== 0) {
      const why = r.timedOut ? `did not end within ${EXAMPLE_TIMEOUT_MS / 1000} s` : `failed (${r.signal ?? `exit code ${r.code}`})`
      failures.push(`${name}: ${where}: the README example ${why} as written (${p.lang}, with \`${installLine}\`)` +
        `\n--- stdout\n${r.stdout.trimEnd()}\n--- stderr\n${r.stderr.trimEnd()}`)
      console.error(`FAIL ${name}: ${where} ${why}`)
      continue
    }
    if (r.stderr.trim() !== '') process.stderr.write(r.stderr)
    console.log(`ok ${name}: ${where} runs as written (${p.lang}${p.isTest ? ', vitest' : ''}, ${secs} s)`)
    passed++
  }
  totals.run += passed
  console.log(`ok ${name}: ${passed} of ${programs.length} README example(s) run with \`${installLine}\`, ${marked.length} marked not runnable`)
}

/** A scratch project holding exactly `dependencies`, internal ones from their tarballs. */
function installProject (dependencies, overrides) {
  const dir = mkdtempSync(join(scratch, 'project-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies, overrides }, null, 2))
  execFileSync('npm', INSTALL, { cwd: dir, stdio: 'inherit' })
  return dir
}

/** Runs one example, killing its whole process group after `timeoutMs`. */
function runExample (cmd, args, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child.pid)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => { timedOut = true; killGroup(child.pid) }, timeoutMs)
    // whatever the example left behind (a grandchild holding a pipe) ends with it
    child.on('exit', () => killGroup(child.pid))
    child.on('error', (err) => { clearTimeout(timer); running.delete(child.pid); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child.pid)
      resolve({ code, signal, timedOut, stdout, stderr })
    })
  })
}

/** Every tarball carries the license files and says where its source lives. */
function checkTarballs (tarballOf) {
  for (const [name, tgz] of tarballOf) {
    const files = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n')
    for (const f of ['package/LICENSE', 'package/LICENSE-APACHE', 'package/LICENSE-MIT', 'package/README.md']) {
      if (!files.includes(f)) throw new Error(`${name}: the tarball has no ${f.slice('package/'.length)}`)
    }
    const pkg = dirs.get(name).pkg
    if (pkg.repository?.url == null || pkg.repository?.directory == null) throw new Error(`${name}: package.json has no repository { url, directory }`)
    if (pkg.license == null) throw new Error(`${name}: package.json has no license`)
  }
  console.log(`ok tarballs: license files, README and repository in ${[...tarballOf.keys()].join(', ')}`)
}

/**
 * A README's Install line (`pnpm add a b@^2 c`) and its js/ts blocks: the
 * runnable ones grouped into programs (a block and its continuations), and
 * those marked not runnable.
 */
function readReadme (name) {
  const path = join(dirs.get(name).dir, 'README.md')
  const file = relative(root, path)
  const text = readFileSync(path, 'utf8')
  const installMatch = /^## Install\s+```console\s*\n(?:\$ )?pnpm add ([^\n]+)\n```/m.exec(text)
  if (installMatch == null) throw new Error(`${name}: ${file} has no "## Install" section with a \`pnpm add …\` line`)
  const install = installMatch[1].trim().split(/\s+/).map((raw) => {
    const at = raw.lastIndexOf('@')
    return at > 0 ? { raw, name: raw.slice(0, at), spec: raw.slice(at + 1) } : { raw, name: raw, spec: 'latest' }
  })

  const lines = text.split('\n')
  const blocks = []
  let marker
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,})\s*([^\s`]*)/.exec(lines[i])
    if (open != null) {
      const [, indent, fence, info] = open
      const line = i + 1
      const code = []
      const close = new RegExp(`^ {0,3}${fence}\`*\\s*$`)
      for (i++; i < lines.length && !close.test(lines[i]); i++) {
        code.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart())
      }
      if (i === lines.length) throw new Error(`${file}:${line}: the code block is never closed`)
      const lang = LANGS[info.toLowerCase()]
      if (lang != null) blocks.push({ line, lang, code, marker })
      else if (marker != null) throw new Error(`${file}:${marker.line}: "${marker.text}" is followed by a ${info || 'plain'} block, not a js or ts one`)
      marker = undefined
      continue
    }
    const m = /^<!--\s*(not runnable|continues the example above)\b\s*(.*?)\s*-->$/.exec(lines[i].trim())
    if (m != null) {
      if (marker != null) throw new Error(`${file}:${i + 1}: two check-pack markers before one block`)
      const kind = m[1] === 'not runnable' ? 'skip' : 'continues'
      const reason = m[2].replace(/^:\s*/, '')
      if (kind === 'skip' && (!m[2].startsWith(':') || reason === '')) throw new Error(`${file}:${i + 1}: write the reason: <!-- not runnable: <reason> -->`)
      marker = { kind, reason, line: i + 1, text: lines[i].trim() }
    } else if (marker != null && lines[i].trim() !== '') {
      throw new Error(`${file}:${marker.line}: "${marker.text}" must come right before a js or ts block`)
    }
  }
  if (marker != null) throw new Error(`${file}:${marker.line}: "${marker.text}" is followed by no js or ts block`)

  const programs = []
  const marked = []
  blocks.forEach((b, k) => {
    if (b.marker?.kind === 'skip') return marked.push(b)
    if (b.marker?.kind === 'continues') {
      const program = programs.at(-1)
      if (program == null || program.blocks.at(-1) !== blocks[k - 1]) throw new Error(`${file}:${b.line}: the block continues one that is not run`)
      if (program.lang !== b.lang) throw new Error(`${file}:${b.line}: a ${b.lang} block cannot continue a ${program.lang} one`)
      return program.blocks.push(b)
    }
    programs.push({ lang: b.lang, blocks: [b] })
  })
  for (const p of programs) {
    // blank lines in place of the prose keep every code line on its README line
    let source = ''
    let at = 1
    for (const b of p.blocks) {
      source += '\n'.repeat(b.line + 1 - at) + b.code.join('\n')
      at = b.line + Math.max(1, b.code.length)
    }
    p.source = `${source}\n`
    // an example written as a test (it imports vitest) runs under vitest
    p.isTest = /from ['"]vitest['"]/.test(p.source)
  }
  if (!install.some((p) => p.name === name)) throw new Error(`${name}: the Install line of ${file} does not install ${name}`)
  if (programs.length === 0) throw new Error(`${name}: ${file} has no runnable js or ts example`)
  return { file, install, programs, marked }
}

function packOne (name) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: dirs.get(name).dir, encoding: 'utf8' })
  const tgz = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop()
  return tgz.startsWith('/') ? tgz : join(scratch, tgz.split('/').pop())
}
