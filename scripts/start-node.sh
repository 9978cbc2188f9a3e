#!/usr/bin/env bash
# Sets up everything on a fresh machine with Node.js >= 20.19 and npm, builds
# the reference node and starts it with defaults (data in ./.chorus-dht).
# Extra arguments go to `chorus-dht start`, e.g. --bootstrap <multiaddr>.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  npm install --global --save-exact --no-audit --no-fund "pnpm@$PNPM_VERSION"
fi
pnpm install --frozen-lockfile
pnpm turbo run build --filter=@chorus-dht/node...
if [ ! -f apps/node/dist/cli.js ]; then
  echo "chorus-dht: the reference node (apps/node) cannot start a node yet; see issue 'apps/node' in the tracker." >&2
  exit 1
fi
exec node --import @chorus-dht/dht-core/polyfill apps/node/dist/cli.js start "$@"
