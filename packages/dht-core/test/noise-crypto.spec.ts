import '../src/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { yamux } from '@chainsafe/libp2p-yamux'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { noiseCrypto } from '../src/noise-crypto.js'
import type { Libp2p } from '@libp2p/interface'

describe('noiseCrypto', () => {
  it('makes key pairs whose public key is the one libp2p-noise derives from the private key', () => {
    for (let i = 0; i < 20; i++) {
      const pair = noiseCrypto.generateX25519KeyPair()
      expect(pair.privateKey).toHaveLength(32)
      expect(pair.publicKey).toEqual(defaultCrypto.generateX25519KeyPairFromSeed(pair.privateKey).publicKey)
    }
  })

  it('computes the same shared secret as libp2p-noise, both ways and from a Uint8ArrayList', () => {
    for (let i = 0; i < 20; i++) {
      const a = noiseCrypto.generateX25519KeyPair()
      const b = defaultCrypto.generateX25519KeyPair()
      const ours = noiseCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)
      expect(ours).toHaveLength(32)
      expect(ours).toEqual(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey))
      expect(ours).toEqual(defaultCrypto.generateX25519SharedKey(b.privateKey, a.publicKey))
      const split = new Uint8ArrayList(b.publicKey.subarray(0, 7), b.publicKey.subarray(7))
      expect(noiseCrypto.generateX25519SharedKey(a.privateKey, split)).toEqual(ours)
    }
  })

  it('falls back to libp2p-noise for a private key it did not make', () => {
    const seeded = noiseCrypto.generateX25519KeyPairFromSeed(new Uint8Array(32).fill(7))
    const peer = noiseCrypto.generateX25519KeyPair()
    const copy = Uint8Array.from(peer.privateKey)
    expect(noiseCrypto.generateX25519SharedKey(seeded.privateKey, peer.publicKey))
      .toEqual(noiseCrypto.generateX25519SharedKey(peer.privateKey, seeded.publicKey))
    expect(noiseCrypto.generateX25519SharedKey(copy, seeded.publicKey))
      .toEqual(noiseCrypto.generateX25519SharedKey(peer.privateKey, seeded.publicKey))
  })

  it('refuses a public key of the wrong length and a low-order point', () => {
    const pair = noiseCrypto.generateX25519KeyPair()
    expect(() => noiseCrypto.generateX25519SharedKey(pair.privateKey, new Uint8Array(31))).toThrow(/32 bytes, got 31/)
    expect(() => noiseCrypto.generateX25519SharedKey(pair.privateKey, new Uint8Array(33))).toThrow(/32 bytes, got 33/)
    // the all-zero point gives an all-zero secret, which X25519 refuses (as libp2p-noise's DER path does)
    expect(() => noiseCrypto.generateX25519SharedKey(pair.privateKey, new Uint8Array(32))).toThrow()
    expect(() => defaultCrypto.generateX25519SharedKey(pair.privateKey, new Uint8Array(32))).toThrow()
  })

  describe('handshakes with libp2p-noise\'s own crypto', () => {
    const nodes: Libp2p[] = []
    afterEach(async () => { await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() })) })

    const node = async (crypto?: typeof noiseCrypto): Promise<Libp2p<{ ping: ReturnType<ReturnType<typeof ping>> }>> => {
      const n = await createLibp2p({
        addresses: { listen: [`/memory/noise-crypto-${Math.random()}`] },
        transports: [memory()],
        connectionEncrypters: [noise(crypto != null ? { crypto } : {})],
        streamMuxers: [yamux()],
        services: { ping: ping() }
      })
      nodes.push(n)
      return n
    }

    it.each([['initiates', true], ['responds', false]])('%s a connection to a stock noise node and talks over it', async (_, initiates) => {
      const ours = await node(noiseCrypto)
      const stock = await node()
      const [from, to] = initiates ? [ours, stock] : [stock, ours]
      await from.services.ping.ping(to.getMultiaddrs()[0])
      expect(from.getConnections(to.peerId)).toHaveLength(1)
      expect(to.getConnections(from.peerId)).toHaveLength(1)
      expect(from.getConnections(to.peerId)[0].encryption).toBe('/noise')
    })
  })
})
