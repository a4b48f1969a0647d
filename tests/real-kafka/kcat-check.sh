#!/usr/bin/env bash
# Check the broker started by start.sh with kcat (librdkafka), a client independent of Kafka's own.
# Each case fetches metadata; cases marked "fail" must be refused. Prints "kcat: N passed, N failed".
#
# Usage: eval "$(tests/real-kafka/start.sh)"; tests/real-kafka/kcat-check.sh
# Needs kcat (Debian: apt-get install kcat).
set -euo pipefail

: "${KAFKA_VERSION:?run: eval \"\$(tests/real-kafka/start.sh)\" first}"
command -v kcat >/dev/null 2>&1 || { echo "kcat is not installed (apt-get install kcat)" >&2; exit 1; }

# librdkafka before 2.6.1 builds a wrong SCRAM client-final nonce, which Kafka 4.x rejects
# (strict RFC 5802 check). With such a kcat against 4.x, the SCRAM cases are skipped, with a reason.
rdkafka=$(kcat -V 2>&1 | grep -o 'librdkafka [0-9][0-9.]*' | head -n 1 | cut -d' ' -f2)
scram_ok=1
if [[ ${KAFKA_VERSION%%.*} -ge 4 && -n $rdkafka ]]; then
  IFS=. read -r a b c <<<"$rdkafka"
  (( a * 10000 + b * 100 + ${c:-0} < 20601 )) && scram_ok=0
fi

pass=0 fail=0 skip=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() { # name expect(ok|fail) kcat-args...
  local name=$1 expect=$2 got
  shift 2
  if timeout 30 kcat -L -m 5 "$@" >"$out" 2>&1 && grep -q ' 1 brokers:' "$out"; then got=ok; else got=fail; fi
  if [[ $got == "$expect" ]]; then
    pass=$((pass + 1)); printf 'ok   %-40s (expected %s)\n' "$name" "$expect"
  else
    fail=$((fail + 1)); printf 'FAIL %-40s (expected %s, got %s): %s\n' "$name" "$expect" "$got" \
      "$(grep -m 1 -E 'ERROR|FAIL' "$out" || true)"
  fi
}
skip() { skip=$((skip + 1)); printf 'skip %-40s (%s)\n' "$1" "$2"; }

SP=(-b "$KAFKA_SASL_PLAINTEXT_BOOTSTRAP" -X security.protocol=SASL_PLAINTEXT)
SS=(-b "$KAFKA_SASL_SSL_BOOTSTRAP" -X security.protocol=SASL_SSL -X ssl.ca.location="$KAFKA_SSL_CA_FILE")
PLAIN=(-X sasl.mechanisms=PLAIN -X sasl.username="$KAFKA_SASL_PLAIN_USERNAME")

run "PLAINTEXT" ok -b "$KAFKA_BOOTSTRAP"
run "SASL_PLAINTEXT PLAIN" ok "${SP[@]}" "${PLAIN[@]}" -X sasl.password="$KAFKA_SASL_PLAIN_PASSWORD"
run "SASL_PLAINTEXT PLAIN wrong password" fail "${SP[@]}" "${PLAIN[@]}" -X sasl.password=wrong
run "SSL" ok -b "$KAFKA_SSL_BOOTSTRAP" -X security.protocol=SSL -X ssl.ca.location="$KAFKA_SSL_CA_FILE"
run "SSL mutual TLS" ok -b "$KAFKA_SSL_BOOTSTRAP" -X security.protocol=SSL \
  -X ssl.ca.location="$KAFKA_SSL_CA_FILE" -X ssl.certificate.location="$KAFKA_SSL_CLIENT_CERT" \
  -X ssl.key.location="$KAFKA_SSL_CLIENT_KEY"
run "SSL without the test CA" fail -b "$KAFKA_SSL_BOOTSTRAP" -X security.protocol=SSL
run "SASL_SSL PLAIN" ok "${SS[@]}" "${PLAIN[@]}" -X sasl.password="$KAFKA_SASL_PLAIN_PASSWORD"
run "SASL_SSL PLAIN wrong password" fail "${SS[@]}" "${PLAIN[@]}" -X sasl.password=wrong
for m in SCRAM-SHA-256 SCRAM-SHA-512; do
  SCRAM=(-X sasl.mechanisms="$m" -X sasl.username="$KAFKA_SASL_SCRAM_USERNAME")
  if (( scram_ok )); then
    run "SASL_PLAINTEXT $m" ok "${SP[@]}" "${SCRAM[@]}" -X sasl.password="$KAFKA_SASL_SCRAM_PASSWORD"
    run "SASL_SSL $m" ok "${SS[@]}" "${SCRAM[@]}" -X sasl.password="$KAFKA_SASL_SCRAM_PASSWORD"
  else
    skip "SASL_PLAINTEXT $m" "librdkafka $rdkafka < 2.6.1 cannot do SCRAM with Kafka 4.x"
    skip "SASL_SSL $m" "librdkafka $rdkafka < 2.6.1 cannot do SCRAM with Kafka 4.x"
  fi
  # A wrong password must be refused either way.
  run "SASL_PLAINTEXT $m wrong password" fail "${SP[@]}" "${SCRAM[@]}" -X sasl.password=wrong
done

echo "kcat: $pass passed, $fail failed, $skip skipped"
(( fail == 0 ))
