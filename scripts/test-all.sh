#!/usr/bin/env bash
# `npm test`: every test tier against the real local stack, which it starts (and stops again if it started it).
#   contracts check → lint → typecheck → build → unit → integration → end-to-end (built apps as processes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

[[ -d node_modules ]] || { step "dependencies"; npm ci --no-audit --no-fund; }

step "contracts";  npm run -s contracts:check
step "lint";       npm run -s lint
step "typecheck";  npm run -s typecheck
step "build";      npm run -s build

step "local stack"
was_running="$(bash scripts/stack.sh status | grep -c running || true)"
bash scripts/stack.sh up
if [[ "$was_running" == "0" && "${KEEP_STACK:-}" != "1" ]]; then
  trap 'printf "\n== stopping the local stack\n"; bash scripts/stack.sh down' EXIT
fi
eval "$(bash scripts/stack.sh env)"

step "tests: unit, integration, end-to-end"
mkdir -p .cache
status=0
# --forceExit: a failed test that leaves a client open must fail the run, not hang it (the failure is reported).
npx jest --runInBand --forceExit --json --outputFile=.cache/jest-results.json || status=$?

# One closing line any CI can read, whatever the runner prints above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/jest-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit "$status"
