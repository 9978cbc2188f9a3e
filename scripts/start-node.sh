#!/usr/bin/env bash
# Sets up everything on a fresh machine with Node.js >= 20.19 and npm, builds
# the reference node and starts it with defaults (data in ./.chorus-dht, API on
# http://127.0.0.1:8080, libp2p on TCP 9000). Extra arguments go to
# `chorus-dht start`, e.g. --bootstrap <multiaddr> or --api-port 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
. scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm turbo run build --filter=@chorus-dht/node...
# The polyfill (Promise.withResolvers for libp2p on Node 20) is a dependency of
# apps/node, not of the repository root: resolve it from there.
POLYFILL="$(cd apps/node && node --input-type=module -e "process.stdout.write(import.meta.resolve('@chorus-dht/dht-core/polyfill'))")"
exec node --import "$POLYFILL" apps/node/dist/cli.js start "$@"
