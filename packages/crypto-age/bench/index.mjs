// Encrypt/decrypt timings of plain age-encryption, this package's AgeCrypto
// and the reference `age` CLI on the same inputs, plus X25519 ops/s.
// Prints figures; never asserts. Run: pnpm --filter @chorus-dht/crypto-age bench
import { spawnSync } from 'node:child_process'
import { diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { x25519 } from '@noble/curves/ed25519.js'
import { Decrypter, Encrypter } from 'age-encryption'
import { createAgeCrypto, createRoleRegistry } from '../dist/index.js'

const KiB = 1024
const MiB = 1024 * KiB
const SIZES = [KiB, MiB, 16 * MiB]
const COUNTS = [1, 5]
const ROLE_NAMES = ['admin', 'senior_architect', 'devops_engineer', 'qa_engineer', 'backend_developer']

const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

/**
 * Runs fn until `budget` ms or `max` runs have passed (after one warm-up);
 * returns the median ms per run, which resists the noise of a shared machine.
 */
async function time (fn, { budget = 400, max = 2000, min = 3 } = {}) {
  await fn()
  const runs = []
  const start = performance.now()
  while (runs.length < min || (performance.now() - start < budget && runs.length < max)) {
    const t = performance.now()
    await fn()
    runs.push(performance.now() - t)
  }
  return median(runs)
}

function cli (args) {
  const r = spawnSync('age', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.status !== 0) throw new Error(`age ${args.join(' ')} failed: ${r.stderr}`)
}

/** Median wall time of `runs` whole `age` processes. */
function cliTime (args, runs) {
  cli(args)
  const times = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    cli(args)
    times.push(performance.now() - t)
  }
  return median(times)
}

const hasCli = spawnSync('age', ['--version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'crypto-age-bench-'))
const roles = createRoleRegistry()
const pairs = []
for (let i = 0; i < 5; i++) pairs.push(await createAgeCrypto({ roles, keys: {} }).generateAgeKeyPair())
const idFile = join(dir, 'id.txt')

const fmtMs = ms => ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`
const rate = (bytes, ms) => bytes < MiB ? '' : `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`
const rows = []

console.log(`Medians. Node ${process.version}, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).availableParallelism()} CPUs, age CLI ${hasCli ? spawnSync('age', ['--version']).stdout.toString().trim() : 'no age CLI'}`)
let startup = 0
if (hasCli) {
  writeFileSync(join(dir, 'empty'), '')
  startup = cliTime(['-r', pairs[0].publicKey, '-o', join(dir, 'empty.age'), join(dir, 'empty')], 20)
  console.log(`age CLI start-up (encrypt an empty file to 1 recipient, whole process): ${fmtMs(startup)}`)
}

try {
  for (const size of SIZES) {
    const plaintext = randomBytes(size)
    const ptFile = join(dir, `pt-${size}`)
    writeFileSync(ptFile, plaintext)
    for (const n of COUNTS) {
      const used = pairs.slice(0, n)
      // The reader holds the key of the last stanza: the worst case for trying stanzas.
      const reader = used[n - 1]
      writeFileSync(idFile, `${reader.privateKey}\n`, { mode: 0o600 })

      const enc = new Encrypter()
      for (const p of used) enc.addRecipient(p.publicKey)
      const dec = new Decrypter()
      dec.addIdentity(reader.privateKey)
      const sealedRef = await enc.encrypt(plaintext)
      const opts = size >= 16 * MiB ? { budget: 1500, max: 7, min: 5 } : {}
      const refEnc = await time(() => enc.encrypt(plaintext), opts)
      const refDec = await time(() => dec.decrypt(sealedRef), opts)

      const crypto = createAgeCrypto({
        roles,
        keys: {
          recipients: Object.fromEntries(used.map((p, i) => [ROLE_NAMES[i], p.publicKey])),
          identities: { [ROLE_NAMES[n - 1]]: reader.privateKey }
        }
      })
      const names = ROLE_NAMES.slice(0, n)
      const sealed = await crypto.encryptForMultipleRoles(plaintext, names)
      const ourEnc = await time(() => crypto.encryptForMultipleRoles(plaintext, names), opts)
      const ourDec = await time(() => crypto.decryptWithRole(sealed, ROLE_NAMES[n - 1]), opts)

      let cliEnc = NaN
      let cliDec = NaN
      if (hasCli) {
        const ctFile = join(dir, `ct-${size}-${n}`)
        writeFileSync(ctFile, sealed)
        const runs = size >= 16 * MiB ? 5 : 15
        cliEnc = cliTime([...used.flatMap(p => ['-r', p.publicKey]), '-o', join(dir, 'out.age'), ptFile], runs)
        cliDec = cliTime(['-d', '-i', idFile, '-o', join(dir, 'out'), ctFile], runs)
      }
      rows.push({ size, n, refEnc, refDec, ourEnc, ourDec, cliEnc, cliDec })
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const label = s => s >= MiB ? `${s / MiB} MiB` : `${s / KiB} KiB`
const cell = (size, ms) => Number.isNaN(ms) ? 'n/a' : `${fmtMs(ms)}${size >= MiB ? ` (${rate(size, ms)})` : ''}`
console.log('\n| size | recipients | op | age-encryption 0.3 | AgeCrypto | age CLI (whole process) |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(`| ${label(r.size)} | ${r.n} | encrypt | ${cell(r.size, r.refEnc)} | ${cell(r.size, r.ourEnc)} | ${cell(r.size, r.cliEnc)} |`)
  console.log(`| ${label(r.size)} | ${r.n} | decrypt | ${cell(r.size, r.refDec)} | ${cell(r.size, r.ourDec)} | ${cell(r.size, r.cliDec)} |`)
}
if (hasCli) console.log(`\nage CLI figures include its start-up of ≈ ${fmtMs(startup)} per run.`)

// X25519 scalar multiplications per second.
const scalar = randomBytes(32)
const peer = x25519.getPublicKey(randomBytes(32))
const nobleMs = await time(() => x25519.getSharedSecret(scalar, peer), { budget: 500, max: 5000 })
const a = generateKeyPairSync('x25519')
const b = generateKeyPairSync('x25519')
const nodeMs = await time(() => diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }), { budget: 500, max: 50000 })
const genMs = await time(() => generateKeyPairSync('x25519'), { budget: 500, max: 50000 })
console.log('\n| X25519 | ops/s |')
console.log('|---|---|')
console.log(`| @noble/curves scalar mult (age-encryption's fallback) | ${Math.round(1000 / nobleMs)} |`)
console.log(`| node:crypto diffieHellman | ${Math.round(1000 / nodeMs)} |`)
console.log(`| node:crypto generateKeyPair (ephemeral key) | ${Math.round(1000 / genMs)} |`)
