#!/usr/bin/env bash
# The API against its own OpenAPI document, by schemathesis (a client nobody here wrote): the built API on the
# local stack, an org connected through the emulator's OAuth so that a real connection id is exercised next to
# random ones, then every check (server errors, status codes, content types, response schemas, negative data,
# methods, auth). Needs the stack (npm test starts it) and a build. Extra arguments go to `st run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/python-venv.sh
venv=.cache/venv-schemathesis
ensure_venv "$venv" test/contract/requirements.txt
[[ -f dist/apps/api/src/main.js ]] || npm run -s build
eval "$(bash scripts/stack.sh env)"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
api_port="$(free_port)"; emulator_port="$(free_port)"
logs=.cache/logs/api-contract; mkdir -p "$logs"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

emulator="http://127.0.0.1:$emulator_port"
callback="http://127.0.0.1:$api_port/v1/oauth/salesforce/callback"
node dist/tools/salesforce-emulator/src/cli.js --port "$emulator_port" --accounts 5 --contacts 10 --auto-approve --redirect-uri "$callback" >"$logs/emulator.log" 2>&1 &
pids+=($!)

key() { node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))"; }
export JOURNY_JWT_KEY="$(key)" TOKEN_ENCRYPTION_KEYS="k1:$(key)" OAUTH_STATE_SECRET="$(key)"
export API_RETURN_URL_ORIGINS="https://app.journy.example,http://127.0.0.1:9" API_PORT="$api_port" MONGODB_URI="${MONGODB_URI%/*}/connector_contract_$$" API_RATE_LIMIT_PER_MINUTE=100000 LOG_LEVEL=warn
export SALESFORCE_LOGIN_URL="$emulator" SALESFORCE_SANDBOX_LOGIN_URL="$emulator" SALESFORCE_INSECURE_HOSTS="127.0.0.1:$emulator_port"
export SALESFORCE_CLIENT_ID="3MVG9emulator.journy.connector.client" SALESFORCE_CLIENT_SECRET="emulator-client-secret" SALESFORCE_REDIRECT_URI="$callback"
node scripts/reset-database.js "$MONGODB_URI"
node dist/apps/api/src/main.js >"$logs/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do curl -fsS "http://127.0.0.1:$api_port/health" >/dev/null 2>&1 && break; sleep 0.25; done
curl -fsS "http://127.0.0.1:$api_port/health" >/dev/null || { echo "api-contract: the API did not become healthy:"; tail -20 "$logs/api.log"; exit 1; }

token="$(node dist/apps/api/src/cli/mint-token.js --tenant contract)"
authorize="$(curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"environment":"production"}' "http://127.0.0.1:$api_port/v1/connections/salesforce/authorize" | node -pe 'JSON.parse(require("fs").readFileSync(0)).authorizeUrl')"
back="$(curl -fsS -o /dev/null -w '%{redirect_url}' "$authorize")"
export CONNECTION_ID="$(curl -fsS "$back" | node -pe 'JSON.parse(require("fs").readFileSync(0)).connection.id')"
echo "api-contract: API on $api_port, connection $CONNECTION_ID"

export API_TOKEN="$token"
"$venv/bin/st" --config-file test/contract/schemathesis.toml run "http://127.0.0.1:$api_port/openapi.json" "$@"
