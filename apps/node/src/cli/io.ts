/** Where a command writes. Injectable for tests. */
export interface CliIO {
  stdout: (text: string | Uint8Array) => void
  stderr: (text: string) => void
  /** Reads all of stdin, or `undefined` when stdin is a terminal. */
  stdin: () => Promise<Uint8Array | undefined>
  env: NodeJS.ProcessEnv
  cwd: string
}

/** The real process's IO. */
export function processIO (): CliIO {
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    stdin: async () => {
      if (process.stdin.isTTY === true) return undefined
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk)
      return new Uint8Array(Buffer.concat(chunks))
    },
    env: process.env,
    cwd: process.cwd()
  }
}
