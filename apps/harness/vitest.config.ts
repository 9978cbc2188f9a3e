import { chorusVitest } from '@chorus-dht/vitest-config'

// the scenarios are CPU-bound networks: one file at a time
export default chorusVitest({ fileParallelism: false })
