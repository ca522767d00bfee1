#!/usr/bin/env bash
# `npm run start:local`: the connector on this machine. Starts the local stack (unless .env or the environment
# point at your own Kafka / registry / MongoDB), builds, and runs the three apps until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
LOGS="$ROOT/.cache/logs"

if [[ -f .env ]]; then set -a; source .env; set +a; fi
[[ -d node_modules ]] || npm ci --no-audit --no-fund

bash scripts/stack.sh up
eval "$(bash scripts/stack.sh env)"
# The local run keeps its own database on the local store: the tests' connections (in "connector") stay out of it.
[[ "$MONGODB_URI" == */connector ]] && export MONGODB_URI="${MONGODB_URI%/connector}/connector_local"
npm run -s build

# A local signing key for callers' tokens, kept in .cache so tokens survive restarts (never used in production).
if [[ -z "${JOURNY_JWT_KEY:-}" ]]; then
  [[ -f .cache/local-jwt-key ]] || node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > .cache/local-jwt-key
  export JOURNY_JWT_KEY="$(cat .cache/local-jwt-key)"
fi
# Local-only secrets for token encryption and OAuth state signing (kept in .cache; production sets its own).
for name in TOKEN_ENCRYPTION_KEY OAUTH_STATE_SECRET; do
  [[ -f ".cache/local-$name" ]] || node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > ".cache/local-$name"
done
export TOKEN_ENCRYPTION_KEYS="${TOKEN_ENCRYPTION_KEYS:-local1:$(cat .cache/local-TOKEN_ENCRYPTION_KEY)}"
export OAUTH_STATE_SECRET="${OAUTH_STATE_SECRET:-$(cat .cache/local-OAUTH_STATE_SECRET)}"
export API_PORT="${API_PORT:-3000}" INGEST_PORT="${INGEST_PORT:-3001}" JOURNY_EVENTS_PORT="${JOURNY_EVENTS_PORT:-3002}"
# The console (served by the API at /console/) is where the OAuth callback sends the person back to.
export API_RETURN_URL_ORIGINS="${API_RETURN_URL_ORIGINS:-http://127.0.0.1:$API_PORT}"
mkdir -p "$LOGS"
pids=()
stop_apps() {
  echo "stopping the apps (the stack stays up: npm run stack -- down)…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop_apps INT TERM

# Waits until <url> answers 200; if the process exits or 120 s pass first, stops everything with its log's tail.
wait_healthy() {
  local name="$1" url="$2" pid="$3" log="$4"
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "$url" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      printf '\nstart:local: %s exited during start-up. The end of %s:\n' "$name" "$log" >&2
      tail -n 25 "$log" >&2
      stop_apps; exit 1
    fi
    sleep 0.5
  done
  printf '\nstart:local: %s did not become healthy within 120 s (%s). The end of %s:\n' "$name" "$url" "$log" >&2
  tail -n 25 "$log" >&2
  curl -s "$url" >&2 || true
  stop_apps; exit 1
}

# No Salesforce org configured: run the emulator, seeded with a demo org, as the local Salesforce.
if [[ -z "${SALESFORCE_LOGIN_URL:-}" ]]; then
  # The emulator keeps its org in memory: a new org each run, so the connector's demo database starts empty too
  # (connections, links and offsets of the last run's org would point at records that no longer exist).
  export MONGODB_URI="${MONGODB_URI%/*}/connector_local_demo"
  node scripts/reset-database.js "$MONGODB_URI"
  export SALESFORCE_LOGIN_URL="http://127.0.0.1:${EMULATOR_PORT:-8484}"
  export SALESFORCE_SANDBOX_LOGIN_URL="$SALESFORCE_LOGIN_URL" SALESFORCE_INSECURE_HOSTS="127.0.0.1:${EMULATOR_PORT:-8484}"
  export SALESFORCE_CLIENT_ID="3MVG9emulator.journy.connector.client" SALESFORCE_CLIENT_SECRET="emulator-client-secret"
  export SALESFORCE_REDIRECT_URI="http://127.0.0.1:${API_PORT:-3000}/v1/oauth/salesforce/callback"
  # --auto-approve: the demo org's admin is already logged in, so the OAuth consent needs no browser.
  # --redirect-uri: the API's callback on whatever port it runs (the connected app's allowed callbacks).
  # Its Pub/Sub API (gRPC over TLS, with a certificate it makes at start) is the ingest app's change stream.
  export INGEST_PUBSUB_ENDPOINT="127.0.0.1:${EMULATOR_PUBSUB_PORT:-8485}" INGEST_PUBSUB_CA_FILE="$LOGS/emulator-pubsub.pem"
  rm -f "$INGEST_PUBSUB_CA_FILE"
  node dist/tools/salesforce-emulator/src/cli.js --port "${EMULATOR_PORT:-8484}" --accounts 200 --contacts 1000 --relationships 100 --auto-approve \
    --pubsub-port "${EMULATOR_PUBSUB_PORT:-8485}" --pubsub-cert-out "$INGEST_PUBSUB_CA_FILE" \
    --redirect-uri "$SALESFORCE_REDIRECT_URI" >>"$LOGS/salesforce-emulator.log" 2>&1 &
  pids+=($!)
  wait_healthy "the Salesforce emulator" "$SALESFORCE_LOGIN_URL/__emulator/health" "$!" "$LOGS/salesforce-emulator.log"
  for _ in $(seq 1 100); do [[ -s "$INGEST_PUBSUB_CA_FILE" ]] && break; sleep 0.1; done
  [[ -s "$INGEST_PUBSUB_CA_FILE" ]] || { echo "start:local: the emulator did not write its Pub/Sub certificate" >&2; stop_apps; exit 1; }
fi

declare -A app_pid
for app in api ingest journy-events; do
  node "dist/apps/$app/src/main.js" >>"$LOGS/$app.log" 2>&1 &
  pids+=($!)
  app_pid[$app]=$!
done
wait_healthy "api" "http://127.0.0.1:$API_PORT/health" "${app_pid[api]}" "$LOGS/api.log"
wait_healthy "ingest" "http://127.0.0.1:$INGEST_PORT/health" "${app_pid[ingest]}" "$LOGS/ingest.log"
wait_healthy "journy-events" "http://127.0.0.1:$JOURNY_EVENTS_PORT/health" "${app_pid[journy-events]}" "$LOGS/journy-events.log"

TOKEN="$(node dist/apps/api/src/cli/mint-token.js --tenant demo --ttl 86400)"
cat <<INFO

The connector is running:
  api            http://127.0.0.1:$API_PORT/health    metrics: /metrics   log: $LOGS/api.log
  ingest         http://127.0.0.1:$INGEST_PORT/health    log: $LOGS/ingest.log
  journy-events  http://127.0.0.1:$JOURNY_EVENTS_PORT/health    log: $LOGS/journy-events.log
  Salesforce     $SALESFORCE_LOGIN_URL    (the emulator when no org is configured; demo users log in with emulator-password)
  change events  ${INGEST_CHANGE_STREAM:-pubsub} (Pub/Sub at ${INGEST_PUBSUB_ENDPOINT:-api.pubsub.salesforce.com:7443}; CometD where Pub/Sub is refused)
The console (signed in as project "demo"): http://127.0.0.1:$API_PORT/console/#token=$TOKEN
A token for the API (tenant "demo"): $TOKEN
  curl -H "Authorization: Bearer <token>" http://127.0.0.1:$API_PORT/v1/connections
Stack: npm run stack -- status | logs.  Ctrl-C stops the apps.
INFO

# With the emulator: connect the demo org through OAuth, import it, then stream both ways (journy simulator and a
# simulated sales rep); the demo prints the log queries that show records moving in both directions.
if [[ "$SALESFORCE_LOGIN_URL" == "http://127.0.0.1:${EMULATOR_PORT:-8484}" ]]; then
  node dist/tools/local-demo/src/demo.js --api "http://127.0.0.1:$API_PORT" --emulator "$SALESFORCE_LOGIN_URL" --token "$TOKEN" --tenant demo &
  pids+=($!)
fi
wait
