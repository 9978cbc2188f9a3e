#!/usr/bin/env node
// Packs published packages as npm would publish them, installs the tarballs
// into a scratch project outside the workspace (with only their declared
// dependencies, fetched from the registry), and imports the named exports.
// This proves each package works à la carte. Then, for each named package,
// runs the first js/ts example of its README as written, in a project of its
// own holding only what the README's Install line (`pnpm add …`) names: a
// package the example imports but the Install line omits fails the check.
// TypeScript examples run as `.ts` files under tsx, as a user would run them.
//
// usage: node scripts/check-pack.mjs @chorus-dht/types=NotFoundError,IntegrityError [@chorus-dht/ucxl=parse ...]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
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

// The packages to pack: the named ones and their internal runtime deps.
const toPack = new Set()
const visit = (name) => {
  if (toPack.has(name)) return
  const entry = dirs.get(name)
  if (entry == null) throw new Error(`unknown workspace package ${name}`)
  if (entry.pkg.private) throw new Error(`${name} is private and is never published`)
  toPack.add(name)
  for (const dep of Object.keys(entry.pkg.dependencies ?? {})) {
    if (dirs.has(dep)) visit(dep)
  }
}
specs.forEach((s) => visit(s.name))

const scratch = mkdtempSync(join(tmpdir(), 'chorus-pack-'))
try {
  const tarballOf = new Map()
  const tarballs = [...toPack].map((name) => packOne(name, tarballOf))
  checkTarballs(tarballOf)
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: scratch, stdio: 'inherit' })
  const script = specs.map((s) => `{
    const m = await import(${JSON.stringify(s.name)})
    for (const e of ${JSON.stringify(s.exports)}) {
      if (m[e] === undefined) { console.error('${s.name} does not export ' + e); process.exit(1) }
    }
    console.log('ok ${s.name}: ' + ${JSON.stringify(s.exports.join(', '))})
  }`).join('\n')
  writeFileSync(join(scratch, 'smoke.mjs'), script)
  execFileSync('node', ['smoke.mjs'], { cwd: scratch, stdio: 'inherit' })
  for (const s of specs) runReadmeExample(s.name, tarballOf)
} finally {
  rmSync(scratch, { recursive: true, force: true })
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

/** The README's Install line (`pnpm add a b c`) and its first js/ts example. */
function readmeExample (name) {
  const text = readFileSync(join(dirs.get(name).dir, 'README.md'), 'utf8')
  const install = /^## Install\s+```console\s*\n(?:\$ )?pnpm add ([^\n]+)\n```/m.exec(text)
  if (install == null) throw new Error(`${name}: README has no "## Install" section with a \`pnpm add …\` line`)
  const example = /^```(js|ts)\n([\s\S]*?)^```/m.exec(text)
  if (example == null) throw new Error(`${name}: README has no js or ts example`)
  return { packages: install[1].trim().split(/\s+/), lang: example[1], code: example[2] }
}

/** Runs a README example as written in a project holding only its Install line. */
function runReadmeExample (name, tarballOf) {
  const { packages, lang, code } = readmeExample(name)
  if (!packages.includes(name)) throw new Error(`${name}: the README's Install line does not install ${name}`)
  const dir = mkdtempSync(join(scratch, 'example-'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'example', private: true, type: 'module' }))
  // the workspace's packages are not on the registry: each one named comes from
  // its tarball, with the tarballs of its own chorus-dht dependencies
  // an example written as a test (it imports vitest) runs under vitest
  const isTest = /from 'vitest'/.test(code)
  const specsToInstall = new Set([...(lang === 'ts' && !isTest ? ['tsx'] : []), ...(isTest ? ['vitest'] : [])])
  const addInternal = (n) => {
    const tgz = tarballOf.get(n) ?? packOne(n, tarballOf)
    if (specsToInstall.has(tgz)) return
    specsToInstall.add(tgz)
    for (const dep of Object.keys(dirs.get(n).pkg.dependencies ?? {})) if (dirs.has(dep)) addInternal(dep)
  }
  for (const p of packages) {
    if (dirs.has(p)) addInternal(p)
    else specsToInstall.add(p)
  }
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specsToInstall], { cwd: dir, stdio: 'inherit' })
  const file = isTest ? `example.test.${lang}` : `example.${lang === 'ts' ? 'ts' : 'mjs'}`
  writeFileSync(join(dir, file), code)
  const [cmd, args] = isTest
    ? ['npx', ['--no-install', 'vitest', 'run', file]]
    : lang === 'ts' ? ['npx', ['--no-install', 'tsx', file]] : ['node', [file]]
  try {
    execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000, encoding: 'utf8' })
  } catch (err) {
    throw new Error(`${name}: the README example failed as written (${lang}, installed: ${packages.join(' ')}): ${err.message}`)
  }
  console.log(`ok ${name}: README example runs as written with \`pnpm add ${packages.join(' ')}\``)
}

function packOne (name, tarballOf) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: dirs.get(name).dir, encoding: 'utf8' })
  const tgz = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop()
  const path = tgz.startsWith('/') ? tgz : join(scratch, tgz.split('/').pop())
  tarballOf.set(name, path)
  return path
}
