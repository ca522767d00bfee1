#!/usr/bin/env bash
# `npm test`: every test tier against the real local stack, which it starts (and stops again if it started it).
#   contracts check → lint → typecheck → build → unit → emulator → integration → end-to-end (built apps as
#   processes, the console in Debian's headless Chromium) → the emulator through Python clients (emulator tier) → the API by schemathesis (e2e tier)
# TEST_TIERS picks tiers (default unit,emulator,integration,e2e); the stack starts only for integration or e2e.
# The counts also go to .cache/test-counts.json, for CI's total across Node.js lines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }
tiers="${TEST_TIERS:-unit,emulator,integration,e2e}"
has_tier() { [[ ",$tiers," == *",$1,"* ]]; }

[[ -d node_modules ]] || { step "dependencies"; npm ci --no-audit --no-fund; }

step "node $(node --version): tiers $tiers"
step "contracts";  npm run -s contracts:check
step "lint";       npm run -s lint
step "typecheck";  npm run -s typecheck
step "build";      npm run -s build

if has_tier integration || has_tier e2e; then
  step "local stack"
  was_running="$(bash scripts/stack.sh status | grep -c running || true)"
  bash scripts/stack.sh up
  if [[ "$was_running" == "0" && "${KEEP_STACK:-}" != "1" ]]; then
    trap 'printf "\n== stopping the local stack\n"; bash scripts/stack.sh down' EXIT
  fi
  eval "$(bash scripts/stack.sh env)"
fi

if has_tier e2e; then
  step "browser (the console's tests)"
  CHROMIUM_PATH="$(bash scripts/browser.sh)"
  export CHROMIUM_PATH
fi

step "tests: ${tiers//,/, }"
mkdir -p .cache
rm -f .cache/jest-results.json .cache/pytest-results.xml .cache/schemathesis-results.xml .cache/test-counts.json
status=0
projects=()
for tier in ${tiers//,/ }; do projects+=(--selectProjects "$tier"); done
# --forceExit: a failed test that leaves a client open must fail the run, not hang it (the failure is reported).
npx jest --runInBand --forceExit --json --outputFile=.cache/jest-results.json "${projects[@]}" || status=$?

if has_tier emulator; then
  step "tests: the emulator through Python clients (simple-salesforce)"
  bash scripts/test-python-clients.sh --junitxml=.cache/pytest-results.xml || status=1
fi

if has_tier e2e; then
  step "tests: the API against its OpenAPI document (schemathesis)"
  bash scripts/test-api-contract.sh || status=1
fi

# One closing line any CI can read, whatever the runner prints above it.
JUNIT="$(has_tier emulator && echo -n .cache/pytest-results.xml),$(has_tier e2e && echo -n .cache/schemathesis-results.xml)" node -e '
  const fs = require("fs");
  const r = fs.existsSync(".cache/jest-results.json") ? JSON.parse(fs.readFileSync(".cache/jest-results.json", "utf8")) : null;
  let passed = r ? r.numPassedTests : 0, failed = r ? r.numFailedTests + r.numRuntimeErrorTestSuites : 1, skipped = r ? r.numPendingTests + r.numTodoTests : 0;
  for (const file of process.env.JUNIT.split(",").filter(Boolean)) {
    // JUnit (pytest, schemathesis): <testsuite ... errors="0" failures="0" skipped="0" tests="9" ...>; missing means the suite never ran.
    const xml = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (!xml) failed += 1;
    else {
      const attr = (name) => Number((new RegExp(`<testsuite[^>]*\\b${name}="(\\d+)"`).exec(xml) ?? [0, 0])[1]);
      const bad = attr("failures") + attr("errors");
      passed += attr("tests") - bad - attr("skipped"); failed += bad; skipped += attr("skipped");
    }
  }
  fs.writeFileSync(".cache/test-counts.json", JSON.stringify({ passed, failed, skipped }));
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (!r || r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit "$status"
