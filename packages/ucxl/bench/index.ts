// Prints operations per second for the hot paths of @chorus-dht/ucxl.
// Plain loops timed with performance.now(); run with `pnpm --filter @chorus-dht/ucxl bench`.
// Figures are indicative only: the machine is shared.
import { dhtKey, format, headKey, matches, parse, parseLenient, validate } from '../src/index.js'

const ADDRESSES = [
  'ucxl://agent1:backend_developer@proj:task1/*^/decisions/api',
  'ucxl://agent001:backend_developer@project123:task456/*~42/decision',
  'ucxl://alice:architect@chorus:design/^^10/docs/readme.md',
  'ucxl://any:admin@chorus:any/*~',
  'ucxl://a-b:c_d@E:F/~~2/x.y/z/deeper/still/file.json'
]
const SLASH = ADDRESSES.map((a) => {
  const p = parse(a)
  return `ucxl://${p.agent}/${p.role}/${p.project}/${p.task}${p.path === '' ? '' : `/${p.path}`}`
})
const PARSED = ADDRESSES.map((a) => parse(a))
const PATTERN = parse('ucxl://any:backend_developer@any:any/*~/decisions/api')
const BAD = ['ucxl://a:b@c:d/*^/x/../y', 'ucxl://agent*:b@c:d/*^', 'ucxl://a:b@c:d/*~007', `ucxl://${'a'.repeat(3000)}`, 42 as unknown as string]

let sink = 0

function bench (name: string, fn: (i: number) => unknown, durationMs = 700): void {
  // Warm up so the JIT has compiled the path being measured.
  for (let i = 0; i < 20_000; i++) fn(i)
  let ops = 0
  const start = performance.now()
  let now = start
  while (now - start < durationMs) {
    for (let i = 0; i < 5_000; i++) {
      const r = fn(ops + i)
      if (r !== undefined) sink++
    }
    ops += 5_000
    now = performance.now()
  }
  const perSec = ops / ((now - start) / 1000)
  console.log(`${name.padEnd(34)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} ops/s  ${(1e6 / perSec).toFixed(2).padStart(8)} µs/op`)
}

console.log(`@chorus-dht/ucxl bench (node ${process.version}, ${ADDRESSES.length} sample addresses)`)
bench('parses/sec (strict)', (i) => parse(ADDRESSES[i % ADDRESSES.length]))
bench('parses/sec (lenient, slash form)', (i) => parseLenient(SLASH[i % SLASH.length]))
bench('formats/sec', (i) => format(PARSED[i % PARSED.length]))
bench('dhtKeys/sec (from object)', (i) => dhtKey(PARSED[i % PARSED.length]))
bench('dhtKeys/sec (from string)', (i) => dhtKey(ADDRESSES[i % ADDRESSES.length]))
bench('headKeys/sec', (i) => headKey(PARSED[i % PARSED.length]))
bench('matches/sec', (i) => matches(PATTERN, PARSED[i % PARSED.length]))
bench('rejections/sec (validate, bad input)', (i) => validate(BAD[i % BAD.length]))
if (sink === 0) console.log('(no results)')
