/** A peer as the DHT contract reports it. */
export interface PeerInfo {
  /** The libp2p peer id, base58btc (`12D3Koo…`). */
  id: string
  /** The addresses known for the peer, as multiaddr strings. */
  multiaddrs: string[]
}

/**
 * Signs records with the node's libp2p key. The signature is verifiable by
 * anyone from the peer id alone (Ed25519 peer ids embed the public key).
 */
export interface RecordSigner {
  /** The signer's peer id. */
  readonly peerId: string
  sign(data: Uint8Array): Promise<Uint8Array>
}
