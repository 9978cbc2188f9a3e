# Sourced by the setup scripts: installs the pinned pnpm when it is missing
# or another version. corepack cannot fetch pnpm from the npm registry
# mirror these machines reach; npm can.
PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  npm install --global --save-exact --no-audit --no-fund "pnpm@$PNPM_VERSION"
fi
