#!/usr/bin/env bash
# npm run bench:outbound: builds, starts the local stack if needed, runs bench/outbound.ts (see its header).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
bash scripts/stack.sh up >/dev/null
eval "$(bash scripts/stack.sh env)"
exec node dist/bench/outbound.js
