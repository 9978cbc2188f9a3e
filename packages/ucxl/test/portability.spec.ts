import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// The package must run in browsers: its sources may import only the declared
// dependencies and each other, and use no Node-only globals.
const SRC = join(import.meta.dirname, '..', 'src')
const sources = readdirSync(SRC).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(SRC, f), 'utf8'))

describe('browser portability', () => {
  it('sources import only @chorus-dht/types, @noble/hashes and each other', () => {
    // Statements only (lines starting with import/export/}), not the doc example in comments.
    const specifiers = sources.flatMap((text) => [...text.matchAll(/^(?:import|export|\})[^\n]* from '([^']+)'/gm)].map((m) => m[1]))
    expect(specifiers).toContain('@noble/hashes/sha2.js')
    const foreign = specifiers.filter((s) => !s.startsWith('./') && s !== '@chorus-dht/types' && !s.startsWith('@noble/hashes/'))
    expect(foreign).toEqual([])
  })

  it('sources use no Node-only globals', () => {
    for (const text of sources) expect(text).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|\bimport\(/)
  })
})
