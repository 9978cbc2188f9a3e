#!/usr/bin/env node
// Must run before any libp2p code: Node 20 lacks Promise.withResolvers.
import '@chorus-dht/dht-core/polyfill'
import { main, processIO } from './cli-main.js'

const code = await main(process.argv.slice(2), processIO())
process.exitCode = code
// every node is stopped by now; should a library leave a handle open, do
// not keep the process alive for it
setTimeout(() => process.exit(code), 2_000).unref()
