#!/usr/bin/env bash
# npm run bench:start: the three apps started at once on a fresh local stack, START_ROUNDS times (default 10).
# Each round wipes the stack's data (`stack reset`), starts it, starts api, ingest and journy-events together and
# waits for every /health to answer 200. Prints one line per round and writes bench/results/start.json.
# It destroys the local stack's data: not for a stack you are using.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${START_ROUNDS:-10}"
npm run -s build
mkdir -p bench/results .cache/logs
key() { node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))'; }
export JOURNY_JWT_KEY="$(key)" TOKEN_ENCRYPTION_KEYS="start1:$(key)" OAUTH_STATE_SECRET="$(key)" LOG_LEVEL=warn
export SALESFORCE_CLIENT_ID=start-check SALESFORCE_CLIENT_SECRET=start-check SALESFORCE_REDIRECT_URI=http://127.0.0.1:3000/v1/oauth/salesforce/callback
results=()
healthy_rounds=0
for round in $(seq 1 "$rounds"); do
  unset KAFKA_BROKERS SCHEMA_REGISTRY_URL MONGODB_URI # the stack's own, from the round before: it starts them anew
  bash scripts/stack.sh reset >/dev/null
  bash scripts/stack.sh up >/dev/null
  eval "$(bash scripts/stack.sh env)"
  started=$(date +%s%N)
  pids=()
  for app in api ingest journy-events; do
    node "dist/apps/$app/src/main.js" >".cache/logs/start-$app.log" 2>&1 &
    pids+=($!)
  done
  status=healthy
  for port in 3000 3001 3002; do
    ok=0
    for _ in $(seq 1 240); do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then ok=1; break; fi
      sleep 0.5
    done
    [[ $ok == 1 ]] || status="port $port not healthy"
  done
  ms=$(( ($(date +%s%N) - started) / 1000000 ))
  crashed=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || crashed=$((crashed + 1)); done
  [[ $crashed == 0 ]] || status="$crashed app(s) exited"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  [[ $status == healthy ]] && healthy_rounds=$((healthy_rounds + 1))
  echo "round $round: $status, all healthy after $ms ms"
  results+=("{\"round\":$round,\"status\":\"$status\",\"healthyAfterMs\":$ms}")
done
printf '{"rounds":%s,"healthy":%s,"results":[%s]}\n' "$rounds" "$healthy_rounds" "$(IFS=,; echo "${results[*]}")" > bench/results/start.json
echo "$healthy_rounds of $rounds rounds: all three apps healthy (bench/results/start.json)"
[[ $healthy_rounds == "$rounds" ]]
