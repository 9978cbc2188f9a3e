/** Where a command writes. Injectable for tests. */
export interface CliIO {
  stdout: (text: string | Uint8Array) => void
  stderr: (text: string) => void
  /** Reads all of stdin, or `undefined` when stdin is a terminal. */
  stdin: () => Promise<Uint8Array | undefined>
  env: NodeJS.ProcessEnv
  cwd: string
}

/**
 * A reader that closed the pipe (`chorus-dht help start | head`) has all it
 * wanted: end quietly, as Unix tools do, instead of crashing on EPIPE.
 */
let quiet = false
function quietOnClosedPipe (stream: NodeJS.WriteStream, code: number): void {
  if (quiet) return
  quiet = true
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(code)
    throw err
  })
}

/** The real process's IO. */
export function processIO (): CliIO {
  quietOnClosedPipe(process.stdout, 0)
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
