import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

it('runs the README example', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(example).toBeDefined()
  const file = join(root, 'test', `readme-example-${process.pid}.tmp.ts`)
  await writeFile(file, example!.replace("from '@chorus-dht/encrypted-storage'", "from '../src/index.js'"))
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 })
    expect(stdout).toContain('stored version 1 for admin, backend_developer, devops_engineer, qa_engineer, senior_architect')
    expect(stdout).toContain('use postgres 16 | was: use postgres')
    expect(stdout).toMatch(/history: v1 by 12D3KooW.*, v2 by 12D3KooW/)
    expect(stdout).toContain('audit trail valid: true')
  } finally {
    await rm(file, { force: true })
  }
})
