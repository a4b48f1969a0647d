#!/usr/bin/env bash
# Start one real Apache Kafka node (KRaft, combined broker+controller) on 127.0.0.1 for tests.
#
# Usage: tests/real-kafka/start.sh [VERSION]
#        eval "$(tests/real-kafka/start.sh)"
#
# Needs only bash, coreutils, grep, openssl, keytool, java (17+), mvn and network access to Maven
# Central. Stdout carries nothing but `export KAFKA_...=...` lines; progress goes to stderr.
# See README.md beside this script for the environment variables it reads and the credentials.
set -euo pipefail

# Newest Apache Kafka 4.x release whose artifacts are all on Maven Central when this was written
# (4.4.0 has kafka_2.13 published but not kafka-tools-api, so it cannot be resolved yet).
readonly DEFAULT_VERSION=4.3.1
readonly DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
readonly SLF4J_SIMPLE_VERSION=1.7.36

VERSION=${1:-$DEFAULT_VERSION}
CACHE_ROOT=${KAFKA_CACHE_DIR:-$HOME/.cache/kafka-sdk-real-kafka}
STATE_DIR=${KAFKA_STATE_DIR:-/tmp/kafka-sdk-real-kafka}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}
# C1-only JIT and the serial collector: a test broker starts ~25% faster and needs no peak speed.
JVM_OPTS=${KAFKA_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}

# Fixed test credentials (documented in README.md). Not secrets: this broker only listens on loopback.
readonly PLAIN_USER=alice PLAIN_PASSWORD=alice-secret
readonly SCRAM_USER=scram-user SCRAM_PASSWORD=scram-secret
readonly ADMIN_USER=admin ADMIN_PASSWORD=admin-secret
readonly STORE_PASSWORD=kafka-sdk-test
readonly STATE_MARKER=.kafka-sdk-real-kafka

log() { printf '[real-kafka +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must look like 4.1.0, got '$VERSION'"
MAJOR=${VERSION%%.*}
MINOR=${VERSION#*.}; MINOR=${MINOR%%.*}
(( MAJOR > 3 || (MAJOR == 3 && MINOR >= 5) )) \
  || die "version $VERSION is too old: SCRAM users at format time need KRaft from 3.5 on"
[[ $STATE_DIR == /* && $STATE_DIR != / ]] || die "KAFKA_STATE_DIR must be an absolute path other than /"
[[ $CACHE_ROOT == /* ]] || die "KAFKA_CACHE_DIR must be an absolute path"
[[ $START_TIMEOUT =~ ^[0-9]+$ ]] || die "KAFKA_START_TIMEOUT must be a number of seconds"
[[ ${KAFKA_ENABLE_ACLS:-0} =~ ^[01]$ ]] || die "KAFKA_ENABLE_ACLS must be 0 or 1"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
for tool in "$JAVA" mvn openssl keytool grep timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed"
done

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Whatever ends this script early (an error, Ctrl-C) removes a half-done download, ends the
# background certificate job and stops a broker that was started but never became ready.
RESOLVE_DIR='' TLS_PID='' KAFKA_PID='' READY=0
cleanup() {
  [[ -n $RESOLVE_DIR ]] && rm -rf "$RESOLVE_DIR"
  [[ -n $TLS_PID ]] && kill "$TLS_PID" 2>/dev/null
  if [[ -n $KAFKA_PID ]] && (( ! READY )); then
    KAFKA_STATE_DIR=$STATE_DIR "$SCRIPT_DIR/stop.sh" >&2 || true
  fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PID_FILE=$STATE_DIR/kafka.pid
ENV_FILE=$STATE_DIR/env.sh
LOG_FILE=$STATE_DIR/kafka.log

# ---------------------------------------------------------------------------------------------
# 0. Already running? Re-print the environment of the running broker if it is the same version.
# ---------------------------------------------------------------------------------------------
if [[ -f $PID_FILE ]]; then
  old_pid=$(<"$PID_FILE")
  if [[ $old_pid =~ ^[0-9]+$ ]] && kill -0 "$old_pid" 2>/dev/null; then
    if [[ -f $ENV_FILE ]] && grep -qx "export KAFKA_VERSION=$VERSION" "$ENV_FILE"; then
      log "Kafka $VERSION already running (pid $old_pid, state $STATE_DIR); reusing it"
      cat "$ENV_FILE"
      exit 0
    fi
    die "another broker is running from $STATE_DIR (pid $old_pid); run $SCRIPT_DIR/stop.sh first"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 1. Broker jars and runtime dependencies, resolved by Maven and cached per version.
# ---------------------------------------------------------------------------------------------
LIBDIR=$CACHE_ROOT/$VERSION/libs
cache_ok() { [[ -f $CACHE_ROOT/$VERSION/.complete ]] && compgen -G "$LIBDIR/kafka_2.13-$VERSION.jar" >/dev/null; }
if cache_ok; then
  log "using cached jars in $LIBDIR"
else
  log "resolving Kafka $VERSION from Maven Central into $LIBDIR"
  mkdir -p "$CACHE_ROOT"
  work=$(mktemp -d "$CACHE_ROOT/.resolve-$VERSION.XXXXXX")
  RESOLVE_DIR=$work
  # kafka_2.13's POM lists the broker modules (server, metadata, raft, storage, coordinators)
  # as runtime dependencies; slf4j-simple is the logging binding (the POM brings only the API).
  cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.kafka-sdk</groupId>
  <artifactId>real-kafka-broker-libs</artifactId>
  <version>$VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$SLF4J_SIMPLE_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn_args=(-B -q -Dstyle.color=never -f "$work/pom.xml")
  [[ -n ${KAFKA_MAVEN_REPO_LOCAL:-} ]] && mvn_args+=("-Dmaven.repo.local=$KAFKA_MAVEN_REPO_LOCAL")
  if ! mvn "${mvn_args[@]}" "$DEPENDENCY_PLUGIN:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1; then
    cp "$work/mvn.log" "$CACHE_ROOT/mvn-$VERSION.log"
    sed 's/\x1b\[[0-9;]*m//g' "$work/mvn.log" | grep -m 5 -E '\[ERROR\] (Failed|Could not|Non-resolvable|Unknown)' >&2 \
      || tail -n 40 "$work/mvn.log" >&2
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$VERSION (log: $CACHE_ROOT/mvn-$VERSION.log)"
  fi
  compgen -G "$work/libs/kafka_2.13-$VERSION.jar" >/dev/null || die "Maven gave no kafka_2.13 jar"
  # Some ZooKeeper-era versions drag in another slf4j binding; keep ours the only one.
  rm -f "$work/libs"/logback-classic-*.jar "$work/libs"/slf4j-log4j12-*.jar "$work/libs"/slf4j-reload4j-*.jar
  touch "$work/.complete"
  # Publish atomically. A concurrent start.sh may have won the race: then keep its copy.
  if [[ -e $CACHE_ROOT/$VERSION ]] && ! cache_ok; then rm -rf "${CACHE_ROOT:?}/$VERSION"; fi
  if ! mv -T "$work" "$CACHE_ROOT/$VERSION" 2>/dev/null; then
    cache_ok || die "could not move the jars into $CACHE_ROOT/$VERSION"
    rm -rf "$work"
  fi
  RESOLVE_DIR=
  log "resolved $(find "$LIBDIR" -name '*.jar' | wc -l) jars"
fi

# ---------------------------------------------------------------------------------------------
# 2. Fresh state directory (refuse to wipe a directory this script did not create).
# ---------------------------------------------------------------------------------------------
if [[ -e $STATE_DIR ]]; then
  if [[ -n $(ls -A "$STATE_DIR") && ! -f $STATE_DIR/$STATE_MARKER ]]; then
    die "$STATE_DIR exists, is not empty and was not made by this script; set KAFKA_STATE_DIR"
  fi
  KAFKA_STATE_DIR=$STATE_DIR "$SCRIPT_DIR/stop.sh" >&2 || die "could not stop the old broker"
  rm -rf "$STATE_DIR"
fi
mkdir -p "$STATE_DIR/tls" "$STATE_DIR/data"
touch "$STATE_DIR/$STATE_MARKER"

# ---------------------------------------------------------------------------------------------
# 3. Ports: five consecutive free ports on 127.0.0.1 (KAFKA_BASE_PORT pins the first one).
# ---------------------------------------------------------------------------------------------
port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
ports_free() { local p; for ((p = $1; p < $1 + 5; p++)); do port_in_use "$p" && return 1; done; return 0; }
if [[ -n ${KAFKA_BASE_PORT:-} ]]; then
  if ! [[ $KAFKA_BASE_PORT =~ ^[0-9]{4,5}$ ]] || (( KAFKA_BASE_PORT < 1024 || KAFKA_BASE_PORT > 65530 )); then
    die "KAFKA_BASE_PORT must be a port number between 1024 and 65530"
  fi
  BASE_PORT=$KAFKA_BASE_PORT
  ports_free "$BASE_PORT" || die "a port in $BASE_PORT..$((BASE_PORT + 4)) is already in use"
else
  BASE_PORT=
  # Below Linux's ephemeral range (32768+) so outgoing connections do not take them meanwhile.
  for _ in $(seq 1 50); do
    candidate=$((20000 + (RANDOM % 2500) * 5))
    if ports_free "$candidate"; then BASE_PORT=$candidate; break; fi
  done
  [[ -n $BASE_PORT ]] || die "found no five free consecutive ports between 20000 and 32500"
fi
PLAINTEXT_PORT=$BASE_PORT
SASL_PLAINTEXT_PORT=$((BASE_PORT + 1))
SSL_PORT=$((BASE_PORT + 2))
SASL_SSL_PORT=$((BASE_PORT + 3))
CONTROLLER_PORT=$((BASE_PORT + 4))
HOST=127.0.0.1

# ---------------------------------------------------------------------------------------------
# 4. TLS material: test CA, broker certificate (localhost / 127.0.0.1), client certificate.
#    Made in the background while the storage is formatted; waited for before the broker starts.
# ---------------------------------------------------------------------------------------------
TLS=$STATE_DIR/tls
case ${KAFKA_TLS_KEY_TYPE:-ec} in
  ec) KEY_ALG=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); KEY_USAGE=digitalSignature ;;
  rsa) KEY_ALG=(-newkey rsa:2048); KEY_USAGE=digitalSignature,keyEncipherment ;;
  *) die "KAFKA_TLS_KEY_TYPE must be ec or rsa" ;;
esac
openssl_quiet() { local out; out=$(openssl "$@" 2>&1) || { printf '%s\n' "$out" >&2; die "openssl $1 failed"; }; }
issue_cert() { # name subject extensions
  local name=$1 subject=$2 ext=$3
  openssl_quiet req "${KEY_ALG[@]}" -nodes -sha256 -keyout "$TLS/$name.key" \
    -out "$TLS/$name.csr" -subj "$subject"
  printf '%s\n' "$ext" >"$TLS/$name.ext"
  openssl_quiet x509 -req -sha256 -days 3650 -in "$TLS/$name.csr" -CA "$TLS/ca.pem" \
    -CAkey "$TLS/ca.key" -CAcreateserial -out "$TLS/$name.pem" -extfile "$TLS/$name.ext"
  rm -f "$TLS/$name.csr" "$TLS/$name.ext"
}
generate_tls() {
  openssl_quiet req -x509 "${KEY_ALG[@]}" -nodes -sha256 -days 3650 \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -subj "/CN=kafka-sdk real-kafka test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  issue_cert broker "/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,$KEY_USAGE
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
  issue_cert client "/CN=kafka-sdk-test-client" "basicConstraints=CA:FALSE
keyUsage=critical,$KEY_USAGE
extendedKeyUsage=clientAuth"
  openssl_quiet pkcs12 -export -name broker -in "$TLS/broker.pem" -inkey "$TLS/broker.key" \
    -certfile "$TLS/ca.pem" -out "$TLS/broker.keystore.p12" -passout "pass:$STORE_PASSWORD"
  keytool -importcert -noprompt -storetype PKCS12 -alias test-ca -file "$TLS/ca.pem" \
    -keystore "$TLS/truststore.p12" -storepass "$STORE_PASSWORD" >/dev/null 2>&1 \
    || die "keytool could not build the truststore"
  chmod 600 "$TLS"/*.key
}
log "generating test CA and certificates (${KAFKA_TLS_KEY_TYPE:-ec}) in $TLS"
generate_tls >&2 &
TLS_PID=$!

# ---------------------------------------------------------------------------------------------
# 5. server.properties
# ---------------------------------------------------------------------------------------------
PLAIN_JAAS="org.apache.kafka.common.security.plain.PlainLoginModule required user_${ADMIN_USER}=\"${ADMIN_PASSWORD}\" user_${PLAIN_USER}=\"${PLAIN_PASSWORD}\";"
SCRAM_JAAS="org.apache.kafka.common.security.scram.ScramLoginModule required;"
CONFIG=$STATE_DIR/server.properties
{
  cat <<EOF
# Generated by tests/real-kafka/start.sh for Kafka $VERSION: single-node test cluster on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PLAINTEXT_PORT,SASL_PLAINTEXT://$HOST:$SASL_PLAINTEXT_PORT,SSL://$HOST:$SSL_PORT,SASL_SSL://$HOST:$SASL_SSL_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PLAINTEXT_PORT,SASL_PLAINTEXT://$HOST:$SASL_PLAINTEXT_PORT,SSL://$HOST:$SSL_PORT,SASL_SSL://$HOST:$SASL_SSL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE_DIR/data

# SASL: PLAIN users live in the JAAS config, SCRAM users were added when the storage was formatted.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$PLAIN_JAAS
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_ssl.plain.sasl.jaas.config=$PLAIN_JAAS
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$SCRAM_JAAS

# TLS: on the SSL listener clients may present a certificate (mutual TLS) but need not.
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/broker.keystore.p12
ssl.keystore.password=$STORE_PASSWORD
ssl.key.password=$STORE_PASSWORD
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS/truststore.p12
ssl.truststore.password=$STORE_PASSWORD
listener.name.ssl.ssl.client.auth=requested

# Small single-node cluster.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.check.interval.ms=30000
EOF
  if (( MAJOR >= 4 )); then
    cat <<EOF

# Kafka 4.x enables the KIP-848 consumer group protocol by default (group.version=1 at format time),
# so group.coordinator.rebalance.protocols stays unset: setting it would switch off the protocols it
# does not list (4.1+ deprecates it and would disable streams groups). Share-group state topic
# sized for one node.
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
EOF
  fi
  if [[ ${KAFKA_ENABLE_ACLS:-0} == 1 ]]; then
    cat <<EOF

# KAFKA_ENABLE_ACLS=1: StandardAuthorizer, so the ACL APIs work. Resources without ACLs stay open.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=true
super.users=User:ANONYMOUS;User:$ADMIN_USER
EOF
  fi
} >"$CONFIG"

# ---------------------------------------------------------------------------------------------
# 6. Format KRaft storage with the SCRAM users.
# ---------------------------------------------------------------------------------------------
if LC_ALL=C grep -qlF 'org/apache/kafka/tools/StorageTool.class' "$LIBDIR"/*.jar; then
  STORAGE_TOOL=org.apache.kafka.tools.StorageTool
else
  STORAGE_TOOL=kafka.tools.StorageTool
fi
new_cluster_id() { # 16 random bytes, URL-safe base64 without padding, as Kafka's Uuid prints them
  local id
  while :; do
    id=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')
    [[ ${#id} == 22 && $id != -* ]] && { printf '%s' "$id"; return; }
  done
}
CLUSTER_ID=$(new_cluster_id)
read -r -a jvm_opts <<<"$JVM_OPTS"
JAVA_COMMON=("${jvm_opts[@]}" -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS"
  -Dorg.slf4j.simpleLogger.defaultLogLevel=info)
log "formatting KRaft storage (cluster id $CLUSTER_ID) with $STORAGE_TOOL"
format_args=(format --config "$CONFIG" --cluster-id "$CLUSTER_ID"
  --add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]"
  --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]"
  --add-scram "SCRAM-SHA-256=[name=$ADMIN_USER,password=$ADMIN_PASSWORD]"
  --add-scram "SCRAM-SHA-512=[name=$ADMIN_USER,password=$ADMIN_PASSWORD]")
if ! "$JAVA" -Xmx256m "${JAVA_COMMON[@]}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$LIBDIR/*" "$STORAGE_TOOL" "${format_args[@]}" >"$STATE_DIR/format.log" 2>&1; then
  cat "$STATE_DIR/format.log" >&2
  die "formatting the storage failed"
fi

tls_status=0
wait "$TLS_PID" || tls_status=$?
TLS_PID=
(( tls_status == 0 )) || die "generating the TLS material failed"

# ---------------------------------------------------------------------------------------------
# 7. Start the node in the background and wait until every listener answers.
# ---------------------------------------------------------------------------------------------
log "starting Kafka $VERSION on $HOST ports $PLAINTEXT_PORT-$CONTROLLER_PORT (log: $LOG_FILE)"
read -r -a heap <<<"$HEAP_OPTS"
# The state-dir property lets stop.sh find the process by its command line.
nohup "$JAVA" "${heap[@]}" "${JAVA_COMMON[@]}" \
  "-Dkafka.sdk.real.kafka.state.dir=$STATE_DIR" -cp "$LIBDIR/*" kafka.Kafka "$CONFIG" \
  >"$LOG_FILE" 2>&1 </dev/null &
KAFKA_PID=$!
printf '%s\n' "$KAFKA_PID" >"$PID_FILE"

fail_start() {
  log "error: $*"
  log "last lines of $LOG_FILE:"
  tail -n 60 "$LOG_FILE" >&2 || true
  exit 1 # the EXIT trap stops the broker
}

deadline=$((SECONDS + START_TIMEOUT))
while :; do
  kill -0 "$KAFKA_PID" 2>/dev/null || fail_start "Kafka exited during start-up"
  if grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null; then
    ready=1
    for p in "$PLAINTEXT_PORT" "$SASL_PLAINTEXT_PORT" "$SSL_PORT" "$SASL_SSL_PORT"; do
      port_in_use "$p" || { ready=0; break; }
    done
    (( ready )) && break
  fi
  (( SECONDS < deadline )) || fail_start "Kafka was not ready within ${START_TIMEOUT}s"
  sleep 0.2
done
READY=1
log "Kafka $VERSION ready (pid $KAFKA_PID) after ${SECONDS}s"

# ---------------------------------------------------------------------------------------------
# 8. Environment for callers.
# ---------------------------------------------------------------------------------------------
{
  printf 'export %s=%q\n' \
    KAFKA_VERSION "$VERSION" \
    KAFKA_STATE_DIR "$STATE_DIR" \
    KAFKA_ACLS_ENABLED "$([[ ${KAFKA_ENABLE_ACLS:-0} == 1 ]] && echo 1 || echo 0)" \
    KAFKA_BOOTSTRAP "$HOST:$PLAINTEXT_PORT" \
    KAFKA_SASL_PLAINTEXT_BOOTSTRAP "$HOST:$SASL_PLAINTEXT_PORT" \
    KAFKA_SSL_BOOTSTRAP "$HOST:$SSL_PORT" \
    KAFKA_SASL_SSL_BOOTSTRAP "$HOST:$SASL_SSL_PORT" \
    KAFKA_SSL_CA_FILE "$TLS/ca.pem" \
    KAFKA_SSL_CLIENT_CERT "$TLS/client.pem" \
    KAFKA_SSL_CLIENT_KEY "$TLS/client.key" \
    KAFKA_SASL_PLAIN_USERNAME "$PLAIN_USER" \
    KAFKA_SASL_PLAIN_PASSWORD "$PLAIN_PASSWORD" \
    KAFKA_SASL_SCRAM_USERNAME "$SCRAM_USER" \
    KAFKA_SASL_SCRAM_PASSWORD "$SCRAM_PASSWORD" \
    KAFKA_SASL_ADMIN_USERNAME "$ADMIN_USER" \
    KAFKA_SASL_ADMIN_PASSWORD "$ADMIN_PASSWORD"
} >"$ENV_FILE"
cat "$ENV_FILE"
