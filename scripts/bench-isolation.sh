#!/usr/bin/env bash
# npm run bench:isolation: the tenant-isolation scenario of test/e2e/tenant-isolation.e2e-spec.ts at full length
# (each fault of tenant A lasts ISOLATION_PHASE_MS, default 2 minutes; tenant B sends ISOLATION_RATE events/s).
# Prints the figures and writes bench/results/isolation.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
bash scripts/stack.sh up >/dev/null
eval "$(bash scripts/stack.sh env)"
export ISOLATION_PHASE_MS="${ISOLATION_PHASE_MS:-120000}" ISOLATION_RATE="${ISOLATION_RATE:-5}" ISOLATION_RESULTS=isolation.json
exec npx jest --selectProjects e2e --runInBand --forceExit test/e2e/tenant-isolation
