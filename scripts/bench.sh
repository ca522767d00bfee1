#!/usr/bin/env bash
# npm run bench:<name>: builds, starts the local stack if needed, runs bench/<name>.ts (see its header).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bench.sh <ingest|outbound>}"
npm run -s build
bash scripts/stack.sh up >/dev/null
eval "$(bash scripts/stack.sh env)"
exec node "dist/bench/$name.js"
