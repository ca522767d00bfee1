#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, one node), Apicurio Registry (Confluent-compatible API)
# and FerretDB (SQLite backend), provisioned from Maven Central and the Go module proxy into .cache/, started
# as plain processes on 127.0.0.1.
#
#   npm run stack -- up | down | status | logs [kafka|registry|mongodb] | env | reset
#
# A service is left alone (reported "external") when its variable points at one that already answers:
# KAFKA_BROKERS, SCHEMA_REGISTRY_URL, MONGODB_URI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${STACK_CACHE_DIR:-$ROOT/.cache}"
RUN="$CACHE/run"
LOGS="$CACHE/logs"

KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${STACK_REGISTRY_PORT:-8081}"
REGISTRY_MANAGEMENT_PORT="${STACK_REGISTRY_MANAGEMENT_PORT:-9001}"
MONGODB_PORT="${STACK_MONGODB_PORT:-27017}"
TIMEOUT_S="${STACK_TIMEOUT_S:-180}"

APICURIO_VERSION="3.3.3"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

die() { echo "stack: $*" >&2; exit 1; }
say() { echo "stack: $*" >&2; }

# ---------------------------------------------------------------------------------------------------------
# helpers

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&- ; }

pid_alive() {
  local file="$RUN/$1.pid"
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

wait_until() { # name, command...
  local name="$1"; shift
  local deadline=$((SECONDS + TIMEOUT_S))
  until "$@"; do
    if ! pid_alive "$name"; then
      die "$name exited during start-up; see its log: npm run stack -- logs $name"
    fi
    if ((SECONDS >= deadline)); then
      die "$name not ready after ${TIMEOUT_S}s (STACK_TIMEOUT_S); see npm run stack -- logs $name"
    fi
    sleep 1
  done
}

require_free_port() { # name, port, variable
  if port_open 127.0.0.1 "$2"; then
    die "port $2 for $1 is already taken by another process: stop it, set $3 to another port, or point the service's variable at it to use it as an external service"
  fi
}

require_java() {
  command -v java >/dev/null || die "Java 17+ is required (Kafka 4 and Apicurio): install a JDK, e.g. apt-get install openjdk-17-jdk-headless"
  local version
  version="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$version" && "$version" -ge 17 ]] || die "Java 17+ is required, found '${version:-unknown}': set JAVA_HOME/PATH to a JDK 17 or newer"
}

java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

# Apicurio Registry 3.3 is compiled for Java 21. Use STACK_REGISTRY_JAVA, else the default java when it is new
# enough, else the newest JDK found under /usr/lib/jvm (these machines ship a Temurin 25 beside OpenJDK 17).
registry_java() {
  if [[ -n "${STACK_REGISTRY_JAVA:-}" ]]; then echo "$STACK_REGISTRY_JAVA"; return; fi
  local candidate major
  for candidate in "$(command -v java || true)" $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
    [[ -x "$candidate" ]] || continue
    major="$(java_major "$candidate")"
    if [[ -n "$major" && "$major" -ge 21 ]]; then echo "$candidate"; return; fi
  done
  die "Apicurio Registry $APICURIO_VERSION needs Java 21+ and none was found: install a JDK 21+ (e.g. Temurin) and set STACK_REGISTRY_JAVA to its bin/java, or point SCHEMA_REGISTRY_URL at a running registry"
}

require_maven() { command -v mvn >/dev/null || die "Maven is required to fetch Kafka and Apicurio from Maven Central: apt-get install maven"; }
require_go() { command -v go >/dev/null || die "Go is required to build FerretDB (infra/ferretdb): install Go 1.24+"; }

fingerprint() { cat "$@" | sha256sum | cut -c1-16; }

start_process() { # name, command...
  local name="$1"; shift
  mkdir -p "$RUN" "$LOGS"
  # setsid: the service outlives this script and the npm process that ran it.
  setsid nohup "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

stop_process() { # name
  local file="$RUN/$1.pid"
  [[ -f "$file" ]] || return 0
  local pid; pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then say "$1 did not stop in 30s, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    say "$1 stopped"
  fi
  rm -f "$file"
}

# An external service is one the user pointed us at that already answers.
external_kafka() { [[ -n "${KAFKA_BROKERS:-}" ]] && ! pid_alive kafka; }
external_registry() { [[ -n "${SCHEMA_REGISTRY_URL:-}" ]] && ! pid_alive registry; }
external_mongodb() { [[ -n "${MONGODB_URI:-}" ]] && ! pid_alive mongodb; }

host_port_of_url() { # url -> "host port"
  python3 - "$1" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1].replace('mongodb+srv://', 'http://').replace('mongodb://', 'http://'))
host = (u.hostname or '127.0.0.1')
port = u.port or (27017 if sys.argv[1].startswith('mongodb') else (443 if u.scheme == 'https' else 80))
print(host, port)
PY
}

check_external() { # name, variable, "host port"
  local host port
  read -r host port <<<"$3"
  port_open "$host" "$port" || die "$2 points at $host:$port, which is not answering: start that service, or unset $2 to let the stack run its own $1"
  say "$1: using the external service at $host:$port ($2)"
}

# ---------------------------------------------------------------------------------------------------------
# Kafka

provision_kafka() {
  local libs="$CACHE/kafka-libs" stamp
  stamp="$(fingerprint "$ROOT/infra/kafka/pom.xml")"
  [[ -f "$libs/.provisioned-$stamp" ]] && return 0
  require_maven
  say "provisioning Kafka from Maven Central (first run only)…"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -B -q -f "$ROOT/infra/kafka/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$libs" >"$LOGS/provision-kafka.log" 2>&1 \
    || die "could not fetch Kafka from Maven Central; see $LOGS/provision-kafka.log"
  touch "$libs/.provisioned-$stamp"
}

kafka_config() {
  local dir="$CACHE/kafka"
  mkdir -p "$dir" "$CACHE/kafka-data"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$CACHE/kafka-data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
log.cleaner.dedupe.buffer.size=16777216
log.segment.bytes=67108864
EOF
  echo "$dir/server.properties"
}

up_kafka() {
  if external_kafka; then check_external kafka KAFKA_BROKERS "$(echo "${KAFKA_BROKERS%%,*}" | tr ':' ' ')"; return; fi
  if pid_alive kafka; then say "kafka: already running on 127.0.0.1:$KAFKA_PORT"; return; fi
  require_java
  require_free_port kafka "$KAFKA_PORT" STACK_KAFKA_PORT
  require_free_port "kafka controller" "$KAFKA_CONTROLLER_PORT" STACK_KAFKA_CONTROLLER_PORT
  provision_kafka
  local config cp="$CACHE/kafka-libs/*"
  config="$(kafka_config)"
  local jopts=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)
  if [[ ! -f "$CACHE/kafka-data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone -g -t "$cluster_id" -c "$config" \
      >>"$LOGS/kafka.log" 2>&1 || die "could not format Kafka's storage; see npm run stack -- logs kafka"
  fi
  : >"$LOGS/kafka.log.marker"
  start_process kafka java "${jopts[@]}" -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
    -Dorg.slf4j.simpleLogger.showDateTime=true -cp "$cp" kafka.Kafka "$config"
  wait_until kafka kafka_ready
  say "kafka: ready on 127.0.0.1:$KAFKA_PORT"
}

kafka_ready() {
  port_open 127.0.0.1 "$KAFKA_PORT" && grep -q "Kafka Server started" <(tail -n 400 "$LOGS/kafka.log")
}

# ---------------------------------------------------------------------------------------------------------
# Apicurio Registry

provision_registry() {
  local dir="$CACHE/apicurio-$APICURIO_VERSION"
  [[ -f "$dir/.provisioned" ]] && return 0
  require_maven
  say "provisioning Apicurio Registry $APICURIO_VERSION from Maven Central (first run only, ~160 MB)…"
  rm -rf "$dir"; mkdir -p "$dir"
  mvn -B -q "$DEPENDENCY_PLUGIN:copy" -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$dir" >"$LOGS/provision-registry.log" 2>&1 \
    || die "could not fetch Apicurio Registry from Maven Central; see $LOGS/provision-registry.log"
  tar xzf "$dir"/apicurio-registry-app-*.tar.gz -C "$dir" && rm -f "$dir"/apicurio-registry-app-*.tar.gz
  [[ -n "$(find "$dir" -name quarkus-run.jar | head -1)" ]] || die "the Apicurio archive holds no quarkus-run.jar"
  touch "$dir/.provisioned"
}

registry_url() { echo "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"; }
registry_ready() { curl -sf -o /dev/null "$(registry_url)/subjects"; }

up_registry() {
  if external_registry; then check_external "schema registry" SCHEMA_REGISTRY_URL "$(host_port_of_url "$SCHEMA_REGISTRY_URL")"; return; fi
  if pid_alive registry; then say "registry: already running on $(registry_url)"; return; fi
  require_free_port registry "$REGISTRY_PORT" STACK_REGISTRY_PORT
  require_free_port "registry management" "$REGISTRY_MANAGEMENT_PORT" STACK_REGISTRY_MANAGEMENT_PORT
  provision_registry
  local jar
  jar="$(find "$CACHE/apicurio-$APICURIO_VERSION" -name quarkus-run.jar | head -1)"
  # In-memory storage: schemas are re-registered by the apps at start, so nothing is lost across restarts.
  local java_bin
  java_bin="$(registry_java)"
  start_process registry "$java_bin" -Xms128m -Xmx512m -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dapicurio.rest.deletion.artifact.enabled=true \
    -jar "$jar"
  wait_until registry registry_ready
  say "registry: ready on $(registry_url)"
}

# ---------------------------------------------------------------------------------------------------------
# FerretDB

provision_mongodb() {
  local bin="$CACHE/bin/ferretdb-runner" stamp
  stamp="$(fingerprint "$ROOT/infra/ferretdb/go.mod" "$ROOT/infra/ferretdb/go.sum" "$ROOT/infra/ferretdb/main.go")"
  [[ -x "$bin" && -f "$CACHE/bin/.ferretdb-$stamp" ]] && return 0
  require_go
  say "building FerretDB from the Go module proxy (first run only, a few minutes on 2 cores)…"
  mkdir -p "$CACHE/bin"
  (cd "$ROOT/infra/ferretdb" && CGO_ENABLED=0 go build -o "$bin" .) >"$LOGS/provision-mongodb.log" 2>&1 \
    || die "could not build FerretDB; see $LOGS/provision-mongodb.log"
  rm -f "$CACHE/bin"/.ferretdb-*; touch "$CACHE/bin/.ferretdb-$stamp"
}

up_mongodb() {
  if external_mongodb; then check_external mongodb MONGODB_URI "$(host_port_of_url "$MONGODB_URI")"; return; fi
  if pid_alive mongodb; then say "mongodb: already running on 127.0.0.1:$MONGODB_PORT"; return; fi
  require_free_port mongodb "$MONGODB_PORT" STACK_MONGODB_PORT
  provision_mongodb
  # synchronous(normal): a commit no longer waits for its own fsync (WAL still keeps the store consistent; a power
  # loss may drop the last commits, which a local test store can afford). STACK_MONGODB_PPROF_ADDR serves Go's
  # profiler for the store (e.g. 127.0.0.1:6060).
  start_process mongodb "$CACHE/bin/ferretdb-runner" -listen-addr "127.0.0.1:$MONGODB_PORT" -dir "$CACHE/ferretdb-data/" \
    -sqlite-pragmas "${STACK_MONGODB_PRAGMAS-synchronous(normal)}" -pprof-addr "${STACK_MONGODB_PPROF_ADDR:-}"
  wait_until mongodb port_open 127.0.0.1 "$MONGODB_PORT"
  say "mongodb: ready on 127.0.0.1:$MONGODB_PORT (FerretDB, SQLite backend)"
}

# ---------------------------------------------------------------------------------------------------------
# commands

cmd_env() {
  echo "export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
  echo "export SCHEMA_REGISTRY_URL=${SCHEMA_REGISTRY_URL:-$(registry_url)}"
  echo "export MONGODB_URI=${MONGODB_URI:-mongodb://127.0.0.1:$MONGODB_PORT/connector}"
}

cmd_up() {
  mkdir -p "$RUN" "$LOGS"
  # Provision what is missing first (downloads and builds), then start: FerretDB's build runs while Maven fetches.
  local build_pid=""
  if ! external_mongodb && ! pid_alive mongodb; then provision_mongodb & build_pid=$!; fi
  up_kafka
  up_registry
  if [[ -n "$build_pid" ]]; then wait "$build_pid" || die "could not build FerretDB; see $LOGS/provision-mongodb.log"; fi
  up_mongodb
  say "up. For your shell: eval \"\$(npm run -s stack -- env)\""
}

cmd_down() {
  stop_process mongodb
  stop_process registry
  stop_process kafka
}

cmd_status() {
  local name port
  for name in kafka registry mongodb; do
    case "$name" in
      kafka) port="$KAFKA_PORT"; external_kafka && { echo "kafka      external ($KAFKA_BROKERS)"; continue; } ;;
      registry) port="$REGISTRY_PORT"; external_registry && { echo "registry   external ($SCHEMA_REGISTRY_URL)"; continue; } ;;
      mongodb) port="$MONGODB_PORT"; external_mongodb && { echo "mongodb    external ($MONGODB_URI)"; continue; } ;;
    esac
    if pid_alive "$name"; then
      printf '%-10s running (pid %s, 127.0.0.1:%s)\n' "$name" "$(cat "$RUN/$name.pid")" "$port"
    else
      printf '%-10s stopped\n' "$name"
    fi
  done
}

cmd_logs() {
  local names=("${@:-kafka registry mongodb}")
  for name in ${names[*]}; do
    [[ -f "$LOGS/$name.log" ]] || { echo "== $name: no log yet"; continue; }
    echo "== $name ($LOGS/$name.log)"
    tail -n "${STACK_LOG_LINES:-60}" "$LOGS/$name.log"
  done
}

cmd_reset() {
  cmd_down
  rm -rf "$CACHE/kafka-data" "$CACHE/ferretdb-data" "$CACHE/kafka"
  say "data removed (downloads and builds kept)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  *) die "usage: npm run stack -- up|down|status|logs [kafka|registry|mongodb]|env|reset" ;;
esac
