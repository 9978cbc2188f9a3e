// Measures what AbortSignal.any retains on a long-lived source signal when it
// is combined with many short-lived signals, against linking by listeners
// that are removed when each operation ends (what operationSignal does).
//
//   node --expose-gc bench/abort-signal-any.mjs [operations]
import { getEventListeners, setMaxListeners } from 'node:events'

const N = Number(process.argv[2] ?? 100_000)
if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc')
  process.exit(1)
}

async function settle () {
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setImmediate(resolve))
    globalThis.gc()
  }
}

function mb (bytes) { return (bytes / 1024 / 1024).toFixed(2) }

async function run (name, op) {
  const caller = new AbortController()
  setMaxListeners(Infinity, caller.signal)
  await settle()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < N; i++) {
    op(caller.signal)
    // let the operation end, as a real one would, without waiting out the timeout
    if (i % 1000 === 0) await new Promise(resolve => setImmediate(resolve))
  }
  await settle()
  const after = process.memoryUsage().heapUsed
  const listeners = getEventListeners(caller.signal, 'abort').length
  console.log(`${name.padEnd(34)} ops=${N} heap +${mb(after - before).padStart(7)} MB  listeners on caller=${listeners}`)
  caller.abort()
  return { name, heapMB: mb(after - before), listeners }
}

console.log(`node ${process.version}`)
// AbortSignal.any over the caller and a fresh AbortSignal.timeout per operation
await run('AbortSignal.any([caller, timeout])', (caller) => {
  const s = AbortSignal.any([caller, AbortSignal.timeout(60_000)])
  void s
})
// AbortSignal.any, but the combined signal has a listener (as kad-dht adds)
await run('AbortSignal.any + listener on it', (caller) => {
  const s = AbortSignal.any([caller, AbortSignal.timeout(60_000)])
  s.addEventListener('abort', () => {})
})
// linked by a listener that is removed when the operation ends, timer cleared
await run('listener link + clear()', (caller) => {
  const c = new AbortController()
  const onAbort = () => { c.abort(caller.reason) }
  caller.addEventListener('abort', onAbort, { once: true })
  const t = setTimeout(() => { c.abort() }, 60_000)
  clearTimeout(t)
  caller.removeEventListener('abort', onAbort)
})
// baseline: the timeouts alone
await run('AbortSignal.timeout alone', () => {
  void AbortSignal.timeout(60_000)
})
