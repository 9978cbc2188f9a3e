#!/usr/bin/env node
// Packs published packages as npm would publish them, installs the tarballs
// into a scratch project outside the workspace (with only their declared
// dependencies, fetched from the registry), and imports the named exports.
// This proves each package works à la carte.
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
  const tarballs = []
  for (const name of toPack) {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: dirs.get(name).dir, encoding: 'utf8' })
    const tgz = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop()
    tarballs.push(tgz.startsWith('/') ? tgz : join(scratch, tgz.split('/').pop()))
  }
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
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
