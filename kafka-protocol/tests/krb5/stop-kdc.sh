#!/usr/bin/env bash
# Stops the KDC started by start-kdc.sh and removes its state.
set -euo pipefail
DIR=${KRB5_TEST_DIR:-/tmp/kafka-sdk-krb5}
if [[ -f $DIR/kdc.pid ]]; then
  kill "$(cat "$DIR/kdc.pid")" 2>/dev/null || true
fi
[[ -f $DIR/.kafka-sdk-krb5 ]] && rm -rf "$DIR"
exit 0
