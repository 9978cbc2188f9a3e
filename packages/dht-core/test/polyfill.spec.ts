import { describe, expect, it } from 'vitest'
import { installPromiseWithResolvers } from '../src/polyfill.js'

describe('Promise.withResolvers shim', () => {
  it('is present after importing the package entry point', async () => {
    await import('../src/index.js')
    expect(typeof (Promise as any).withResolvers).toBe('function')
  })

  it('installs only where missing and behaves like the standard', async () => {
    const original = (Promise as any).withResolvers
    try {
      delete (Promise as any).withResolvers
      expect(installPromiseWithResolvers()).toBe(true)
      expect(installPromiseWithResolvers()).toBe(false)
      const a = (Promise as any).withResolvers()
      a.resolve(42)
      await expect(a.promise).resolves.toBe(42)
      const b = (Promise as any).withResolvers()
      b.reject(new Error('no'))
      await expect(b.promise).rejects.toThrow('no')
      expect(Object.getOwnPropertyDescriptor(Promise, 'withResolvers')?.enumerable).toBe(false)
    } finally {
      if (original != null) {
        Object.defineProperty(Promise, 'withResolvers', { value: original, configurable: true, writable: true, enumerable: false })
      }
    }
  })
})

describe('entry points', () => {
  // Each entry point that runs libp2p must install the shim before any libp2p module:
  // its first import is the polyfill (or the package entry, which imports it first).
  const firstImport = async (path: string): Promise<string | undefined> => {
    const { readFile } = await import('node:fs/promises')
    const text = await readFile(new URL(path, import.meta.url), 'utf8')
    return text.match(/^import\s+(?:[^'"]*from\s+)?['"]([^'"]+)['"]/m)?.[1]
  }

  it('install the shim first', async () => {
    expect(await firstImport('../src/index.ts')).toBe('./polyfill.js')
    expect(await firstImport('../src/testing.ts')).toBe('./polyfill.js')
    // the benches import their shared network module first, which imports the package entry first
    for (const bench of ['../bench/index.mjs', '../bench/profile-idle.mjs']) {
      expect(await firstImport(bench), bench).toBe('./network.mjs')
    }
    expect(await firstImport('../bench/network.mjs')).toBe('../dist/index.js')
  })
})
