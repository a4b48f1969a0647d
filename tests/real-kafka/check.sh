#!/usr/bin/env bash
# Check every listener of the broker that start.sh started, with the Java client of the same
# Kafka version (Check.java beside this script). Prints one line per case and "N passed, N failed".
#
# Usage: eval "$(tests/real-kafka/start.sh)"; tests/real-kafka/check.sh
set -euo pipefail

: "${KAFKA_VERSION:?run: eval \"\$(tests/real-kafka/start.sh)\" first}"
CACHE_ROOT=${KAFKA_CACHE_DIR:-$HOME/.cache/kafka-sdk-real-kafka}
LIBDIR=$CACHE_ROOT/$KAFKA_VERSION/libs
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
compgen -G "$LIBDIR/kafka-clients-*.jar" >/dev/null || { echo "no kafka-clients jar in $LIBDIR" >&2; exit 1; }

exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=off -cp "$LIBDIR/*" "$SCRIPT_DIR/Check.java"
