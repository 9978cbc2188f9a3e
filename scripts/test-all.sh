#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine with Node.js >= 20.19
# and npm, then builds, lints, typechecks and tests every package, and checks
# that published packages work when installed alone from their tarballs.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

# The Node.js line the README's support statement names (20.19 or later);
# printed so a CI log says which one the suite ran on.
node -e '
const [major, minor] = process.versions.node.split(".").map(Number)
console.log(`node ${process.version}`)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node.js 20.19 or later is needed (README: Supported Node.js versions); this is ${process.version}`)
  process.exit(1)
}'

. scripts/ensure-pnpm.sh

# The reference age CLI, for the interoperability tests of crypto-age, and
# Prometheus' promtool (Debian's prometheus package), which checks the node's
# /metrics exposition.
APT=()
command -v age >/dev/null 2>&1 || APT+=(age)
command -v promtool >/dev/null 2>&1 || APT+=(prometheus)
if [ ${#APT[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT[@]}"
fi

pnpm install --frozen-lockfile
node --test scripts/test/test-summary.test.mjs
node scripts/test-summary.mjs --begin
# A failed check still prints the summary, whose FAILED lines name each failed
# test and its first message at the end of the log, where a CI excerpt shows it.
if ! pnpm run check; then
  node scripts/test-summary.mjs || true
  echo "pnpm run check failed: a failed test is named in a FAILED line above; if there is none, a build, lint, typecheck or publint task failed (turbo's \"Failed:\" line earlier in the log names it)"
  exit 1
fi
# Quick mutation runs (Stryker), each failing below an 80 % score: the UCXL
# parser (address.ts, temporal.ts; ~2 min), the age format (format, armor,
# base64, keys; ~2 min) and the record format and validator (record.ts;
# ~3.5 min). The full runs are `pnpm mutate` (see the READMEs).
for pkg in ucxl crypto-age encrypted-storage; do
  (cd "packages/$pkg" && pnpm exec stryker run stryker.quick.config.mjs --concurrency 2)
done
# Each published package packed, installed alone and imported; then each README's
# every example run as written (or marked not runnable, with the reason) with
# only what its Install line names.
node scripts/check-pack.mjs \
  @chorus-dht/types=NotFoundError,InvalidParametersError,AccessDeniedError,IntegrityError,RecordTooLargeError,BackendUnavailableError,NotStartedError,TimeoutError \
  @chorus-dht/utils=operationSignal,withDeadline,throwIfAborted,pause,checkpoint,positiveNumber,positiveInteger,timerDelay,namespaceOf,xorHex,compareXorDistance,parseDuration \
  @chorus-dht/ucxl=parse,format,parseLenient,validate,dhtKey,headKey,versionKey,matches,resolveVersion,InvalidUcxlAddressError \
  @chorus-dht/crypto-age=createRoleRegistry,createKeyStore,createAgeCrypto,BUILTIN_ROLES,parseRolesFile \
  @chorus-dht/hybrid-mock=mockDHT,createMockNetwork,hybridDHT,hybridConfigFromEnv,seededRandom \
  @chorus-dht/replication=replicationManager,xorDistance,DEFAULT_REPLICATION_FACTOR \
  @chorus-dht/dht-core=createChorusDHT,providerKeyToCID \
  @chorus-dht/encrypted-storage=createEncryptedStorage,chorusRecordPolicy,fileAuditSink,memoryAuditSink,recordValidator,recordSelector \
  @chorus-dht/authority=generateAuthority,exportAuthorityKey,importAuthorityKey,signDirectory,signGrant,decodeAuthorityRecord,authorityRecordPolicy,routeByPrefix,encryptGrantIdentities,InvalidAuthorityRecordError
# last: the one closing line, N passed, N failed, N skipped
node scripts/test-summary.mjs
