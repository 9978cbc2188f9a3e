import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { describe, expect, it } from 'vitest'

const here = fileURLToPath(new URL('.', import.meta.url))
// inside the package so that the bundle resolves its dependencies from node_modules
const outDir = fileURLToPath(new URL('../node_modules/.cache/dht-core-exit-test/', import.meta.url))

describe('lifecycle', () => {
  it('leaves no loop, timer, stream or socket behind after stop: the process exits by itself', async () => {
    await build({
      entry: { child: `${here}fixtures/exit-child.ts` },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      config: false,
      silent: true,
      dts: false,
      clean: true
    })
    const child = spawn(process.execPath, [`${outDir}child.js`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    // a hang detector, not a timing assertion: a process kept alive by a handle never exits
    const killer = setTimeout(() => { child.kill('SIGKILL') }, 45_000)
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
    clearTimeout(killer)
    expect(stderr).toBe('')
    expect(stdout).toContain('stopped')
    expect(code).toBe(0)
  })
})
