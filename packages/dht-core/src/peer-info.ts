import { InvalidParametersError } from '@chorus-dht/types'
import { lpStream } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAX_PEER_INFO_SIZE } from './constants.js'
import type { AgentInfo } from '@chorus-dht/types'
import type { AbortOptions, Stream } from '@libp2p/interface'

/** Encodes this node's answer on `/CHORUS/peer-info/1.0.0`: one JSON object, then the stream closes. */
export function encodeAgentInfo (info: AgentInfo): Uint8Array {
  return uint8ArrayFromString(JSON.stringify({
    agent: info.agent,
    role: info.role,
    capabilities: info.capabilities
  }))
}

/** Parses and checks a peer-info answer. */
export function decodeAgentInfo (bytes: Uint8Array): AgentInfo {
  let parsed: any
  try {
    parsed = JSON.parse(uint8ArrayToString(bytes))
  } catch (err) {
    throw new InvalidParametersError('peer-info answer is not JSON', { cause: err })
  }
  if (parsed == null || typeof parsed !== 'object') {
    throw new InvalidParametersError('peer-info answer is not an object')
  }
  const agent = typeof parsed.agent === 'string' ? parsed.agent : ''
  const role = typeof parsed.role === 'string' ? parsed.role : ''
  const capabilities = Array.isArray(parsed.capabilities)
    ? parsed.capabilities.filter((c: unknown): c is string => typeof c === 'string')
    : []
  return { agent, role, capabilities }
}

/**
 * Answers one peer-info request: the agent info as one length-prefixed
 * (unsigned varint) JSON message, then the stream closes.
 */
export async function writePeerInfo (stream: Stream, info: AgentInfo, options?: AbortOptions): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_PEER_INFO_SIZE })
  await lp.write(encodeAgentInfo(info), options)
  await stream.close(options)
}

/** Reads a peer-info answer. */
export async function readPeerInfo (stream: Stream, options?: AbortOptions): Promise<AgentInfo> {
  // wrap first: the wrapper buffers what arrives, so an answer that comes
  // (and a remote close) before we read is not lost
  const lp = lpStream(stream, { maxDataLength: MAX_PEER_INFO_SIZE })
  const message = await lp.read(options)
  await stream.close(options)
  return decodeAgentInfo(message.subarray())
}
