#!/usr/bin/env bash
# Stop the broker started by start.sh. Safe to run when nothing is running.
#
# Usage: tests/real-kafka/stop.sh [--clean]
#   --clean   also delete the state directory (data, logs, certificates)
# Reads KAFKA_STATE_DIR (default /tmp/kafka-sdk-real-kafka) and KAFKA_STOP_TIMEOUT (default 30 s).
set -euo pipefail

STATE_DIR=${KAFKA_STATE_DIR:-/tmp/kafka-sdk-real-kafka}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
readonly STATE_MARKER=.kafka-sdk-real-kafka
CLEAN=0

log() { printf '[real-kafka] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for arg in "$@"; do
  case $arg in
    --clean | -c) CLEAN=1 ;;
    -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument '$arg' (expected --clean)" ;;
  esac
done
[[ $STATE_DIR == /* && $STATE_DIR != / ]] || die "KAFKA_STATE_DIR must be an absolute path other than /"
[[ $STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "KAFKA_STOP_TIMEOUT must be a number of seconds"

# PIDs of processes started for this state dir: the broker (marked by a system property) and any
# storage-format run (its --config argument), found through /proc so no procps is needed.
find_pids() {
  local dir pid arg
  local -a args
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    args=()
    mapfile -d '' -t args 2>/dev/null <"$dir/cmdline" || continue
    for arg in "${args[@]}"; do
      if [[ $arg == "-Dkafka.sdk.real.kafka.state.dir=$STATE_DIR" || $arg == "$STATE_DIR/server.properties" ]]; then
        printf '%s\n' "$pid"
        break
      fi
    done
  done
}

pids=()
if [[ -f $STATE_DIR/kafka.pid ]]; then
  pid=$(<"$STATE_DIR/kafka.pid")
  # Only trust the PID file if that process still belongs to this state dir (PIDs get reused).
  if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] \
      && LC_ALL=C grep -qaF -- "-Dkafka.sdk.real.kafka.state.dir=$STATE_DIR" "/proc/$pid/cmdline"; then
    pids+=("$pid")
  fi
fi
while read -r pid; do
  [[ -n $pid && " ${pids[*]} " != *" $pid "* ]] && pids+=("$pid")
done < <(find_pids)

alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

if (( ${#pids[@]} == 0 )); then
  log "no Kafka process running for $STATE_DIR"
else
  log "stopping Kafka (pid ${pids[*]}) with SIGTERM"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while alive && (( SECONDS < deadline )); do sleep 0.2; done
  if alive; then
    log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive && (( SECONDS < deadline )); do sleep 0.1; done
  fi
  alive && die "could not stop pid ${pids[*]}"
  leftover=$(find_pids)
  [[ -z $leftover ]] || die "processes still running for $STATE_DIR: $leftover"
  log "stopped"
fi
rm -f "$STATE_DIR/kafka.pid"

if (( CLEAN )) && [[ -e $STATE_DIR ]]; then
  [[ -f $STATE_DIR/$STATE_MARKER ]] || die "$STATE_DIR was not made by start.sh; not deleting it"
  rm -rf "$STATE_DIR"
  log "removed $STATE_DIR"
fi
