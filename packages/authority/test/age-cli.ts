import { spawn, spawnSync } from 'node:child_process'

/** Whether the reference `age` CLI is on the PATH. */
export function hasAgeCli (): boolean {
  return spawnSync('age', ['--version'], { encoding: 'utf8' }).status === 0
}

export interface RunResult {
  code: number | null
  stdout: Buffer
  stderr: string
}

/** Runs `age` (or `age-keygen`) with `args`, feeding `input` on stdin. */
export async function runAge (cmd: 'age' | 'age-keygen', args: string[], input?: Uint8Array): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout: Buffer.concat(out), stderr: err }) })
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? new Uint8Array(0))
  })
}

/**
 * Runs `age` with `args` inside a pseudo-terminal made by util-linux
 * `script`, because age 1.1 reads passphrases only from a terminal. The
 * passphrase is typed once per prompt, after the prompt appears.
 */
export async function runAgeWithPassphrase (args: string[], passphrase: string): Promise<RunResult> {
  const quoted = ['age', ...args].map(a => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  return await new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let transcript = ''
    let answered = 0
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      transcript += d.toString('latin1')
      const prompts = transcript.match(/passphrase/gi)?.length ?? 0
      while (answered < prompts) {
        child.stdin.write(`${passphrase}\n`)
        answered++
      }
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    // Fail with the transcript rather than hang if the prompt never comes.
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.on('close', code => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({ code, stdout: Buffer.from(transcript, 'latin1'), stderr: err })
    })
    child.stdin.on('error', () => {})
  })
}
