import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DATA_LAYOUT } from './constants.js'
import type { PrivateKey } from '@libp2p/interface'

/** The paths of a data directory. */
export interface DataDirLayout {
  root: string
  datastore: string
  peerKey: string
  keys: string
  nodeKey: string
  authorityState: string
  audit: string
  runtime: string
}

/** Paths of the data directory rooted at `root`. */
export function dataDirLayout (root: string): DataDirLayout {
  return {
    root,
    datastore: join(root, DATA_LAYOUT.datastore),
    peerKey: join(root, DATA_LAYOUT.peerKey),
    keys: join(root, DATA_LAYOUT.keys),
    nodeKey: join(root, DATA_LAYOUT.nodeKey),
    authorityState: join(root, DATA_LAYOUT.authorityState),
    audit: join(root, DATA_LAYOUT.audit),
    runtime: join(root, DATA_LAYOUT.runtime)
  }
}

/** Creates the data directory (mode 0700) when missing. */
export async function ensureDataDir (layout: DataDirLayout): Promise<void> {
  await mkdir(layout.root, { recursive: true, mode: 0o700 })
}

/** Writes a file atomically (temp file, fsync, rename) with `mode`. */
export async function writeFileAtomic (path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(tmp, mode)
  await rename(tmp, path)
}

/**
 * Loads the node's libp2p private key, or creates an Ed25519 one (mode
 * 0600) on first start, so the peer id stays the same across restarts.
 * Refuses a key file that group or others can read.
 */
export async function loadOrCreatePeerKey (path: string): Promise<{ privateKey: PrivateKey, peerId: string, created: boolean }> {
  let bytes: Uint8Array | undefined
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new Error(`the peer key ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
    }
    bytes = await readFile(path)
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  if (bytes != null) {
    const privateKey = privateKeyFromProtobuf(bytes)
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: false }
  }
  const privateKey = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(privateKey), 0o600)
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: true }
}

/** What a running node writes to `node.json` for client commands. */
export interface RuntimeInfo {
  pid: number
  peerId: string
  multiaddrs: string[]
  api: string
  startedAt: string
}

/** Writes `node.json`. */
export async function writeRuntimeInfo (layout: DataDirLayout, info: RuntimeInfo): Promise<void> {
  await writeFileAtomic(layout.runtime, `${JSON.stringify(info, null, 2)}\n`, 0o600)
}

/** Reads `node.json`, or `undefined` when missing or unreadable. */
export async function readRuntimeInfo (layout: DataDirLayout): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(layout.runtime, 'utf8'))
  } catch {
    return undefined
  }
}

/** Removes `node.json`. */
export async function removeRuntimeInfo (layout: DataDirLayout): Promise<void> {
  await rm(layout.runtime, { force: true })
}

