import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, describe, expect, it } from 'vitest'
import { killAll, startNode, stopNode, waitFor } from './helpers.js'

/** A loopback TCP port nothing listens on (bound, then released). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

describe('an unreachable bootstrap peer', () => {
  afterAll(async () => { await killAll() })

  it('is logged at warn while the node starts, not left silent until a timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-bootwarn-'))
    try {
      const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      const bootstrap = `/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${peer}`
      const node = await startNode(join(dir, 'data'), ['--bootstrap', bootstrap, '--log-format', 'json'])
      const warned = (): boolean => `${node.stdout()}\n${node.stderr()}`.split('\n').some(line => {
        if (!line.startsWith('{')) return false
        const entry = JSON.parse(line)
        return entry.level === 40 && JSON.stringify(entry).includes(peer)
      })
      // the refused dial is answered at once on loopback: the warning comes
      // well before the 30 s bootstrap timeout
      await waitFor(warned, 'a warn line naming the bootstrap peer', 20_000)
      expect(await stopNode(node)).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
