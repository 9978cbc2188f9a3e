// Flood: one stock @libp2p/kad-dht node sends valid records to one chorus-dht node (default limits
// unless --chorus '{...}') as fast as it can, then keeps flooding until it is banned. Usage:
// node bench/flood.mjs [--records 200] [--size 262144] [--width 20] [--ban-deadline 120] [--chorus '{}']. Prints figures; asserts nothing.
import { createChorusDHT } from '../dist/index.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { memory } from '@libp2p/memory'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const args = process.argv.slice(2)
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}
const RECORDS = Number(arg('records', '200'))
const SIZE = Number(arg('size', String(256 * 1024)))
const WIDTH = Number(arg('width', '20'))
const BAN_DEADLINE = Number(arg('ban-deadline', '120')) * 1000
const CHORUS_EXTRA = JSON.parse(arg('chorus', '{}'))

const chorus = await createChorusDHT({
  transports: ['memory'], allowPrivateAddresses: true, joinStagger: 0, autoBootstrap: false,
  validators: { CHORUS: () => {} }, selectors: { CHORUS: () => 0 }, ...CHORUS_EXTRA
})
const stock = await createLibp2p({
  addresses: { listen: [`/memory/flood-${Math.random()}`] },
  transports: [memory()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
  services: {
    identify: identify(), ping: ping(),
    dht: kadDHT({ protocol: '/CHORUS/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper, validators: { CHORUS: async () => {} }, selectors: { CHORUS: () => 0 } })
  }
})
await stock.dial(multiaddr(chorus.getMultiaddrs()[0]))
const table = stock.services.dht.routingTable
while (table.size < 1) await new Promise(resolve => setTimeout(resolve, 25))

let n = 0
const value = new Uint8Array(SIZE).fill(1)
async function put () {
  const key = new TextEncoder().encode(`/CHORUS/flood/${n++}`)
  let answered = false
  try {
    for await (const e of stock.services.dht.put(key, value, { signal: AbortSignal.timeout(10_000) })) {
      if (e.name === 'PEER_RESPONSE' && e.messageName === 'PUT_VALUE') answered = true
    }
  } catch {}
  return answered
}
async function round (count) {
  let accepted = 0
  for (let done = 0; done < count; done += WIDTH) {
    const ok = await Promise.all(Array.from({ length: Math.min(WIDTH, count - done) }, put))
    accepted += ok.filter(Boolean).length
  }
  return accepted
}

const t0 = performance.now()
const accepted = await round(RECORDS)
const burst = (performance.now() - t0) / 1000
const s1 = chorus.getAbuseStats()
console.info(`burst: ${RECORDS} puts of ${SIZE} B in ${burst.toFixed(2)} s (width ${WIDTH}): ${accepted} acknowledged; chorus stored ${s1.accepted}, refused ${JSON.stringify(s1.rejected)}, quota hits ${JSON.stringify(s1.quotaHits)}, strikes ${s1.strikes}`)

const t1 = performance.now()
while (!chorus.getAbuseStats().bannedPeers.includes(stock.peerId.toString()) && performance.now() - t1 < BAN_DEADLINE) {
  await round(WIDTH)
}
const s2 = chorus.getAbuseStats()
console.info(`sustained flood: ${s2.bans > 0 ? `banned after ${((performance.now() - t0) / 1000).toFixed(1)} s` : `not banned within ${BAN_DEADLINE / 1000} s`} and ${n} puts; stored ${s2.accepted} (${(s2.accepted * SIZE / 2 ** 20).toFixed(1)} MiB), refused ${JSON.stringify(s2.rejected)}, quota hits ${JSON.stringify(s2.quotaHits)}, strikes ${s2.strikes}`)
const redial = await stock.dial(multiaddr(chorus.getMultiaddrs()[0]), { signal: AbortSignal.timeout(5_000) }).then(() => 'accepted', (err) => `refused (${err.name})`)
console.info(`redial after the ban: ${redial}; gater refusals ${chorus.getAbuseStats().gaterRefusals}`)
await stock.stop()
await chorus.stop()
