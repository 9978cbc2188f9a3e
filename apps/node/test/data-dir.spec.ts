import { chmod, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataDirLayout, ensureDataDir, loadOrCreatePeerKey, readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from '../src/data-dir.js'

describe('the data directory', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-datadir-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates the peer key once, mode 0600, and keeps the peer id', async () => {
    const layout = dataDirLayout(join(dir, 'node'))
    await ensureDataDir(layout)
    expect((await stat(layout.root)).mode & 0o777).toBe(0o700)
    const first = await loadOrCreatePeerKey(layout.peerKey)
    expect(first.created).toBe(true)
    expect(first.peerId).toMatch(/^12D3KooW/)
    expect((await stat(layout.peerKey)).mode & 0o777).toBe(0o600)
    const again = await loadOrCreatePeerKey(layout.peerKey)
    expect(again.created).toBe(false)
    expect(again.peerId).toBe(first.peerId)
  })

  it('refuses a peer key that others can read', async () => {
    const layout = dataDirLayout(dir)
    await loadOrCreatePeerKey(layout.peerKey)
    await chmod(layout.peerKey, 0o644)
    await expect(loadOrCreatePeerKey(layout.peerKey)).rejects.toThrow(/chmod 600/)
  })

  it('writes and removes the runtime info of a running node', async () => {
    const layout = dataDirLayout(dir)
    expect(await readRuntimeInfo(layout)).toBeUndefined()
    const info = { pid: 1, peerId: 'p', multiaddrs: [], api: 'http://127.0.0.1:1', startedAt: 'now' }
    await writeRuntimeInfo(layout, info)
    expect(await readRuntimeInfo(layout)).toEqual(info)
    await removeRuntimeInfo(layout)
    expect(await readRuntimeInfo(layout)).toBeUndefined()
  })
})
