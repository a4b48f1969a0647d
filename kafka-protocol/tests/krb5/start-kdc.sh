#!/usr/bin/env bash
# Starts a throwaway MIT Kerberos KDC on 127.0.0.1 for the GSSAPI test and prints the
# `export` lines that point the GSS-API library at it:
#
#   eval "$(kafka-protocol/tests/krb5/start-kdc.sh)"
#   cargo test -p kafka-protocol --features gssapi --test gssapi
#   kafka-protocol/tests/krb5/stop-kdc.sh
#
# Needs Debian's krb5-kdc, krb5-admin-server and krb5-user (kinit), plus libkrb5-dev and
# libclang-dev to build the `gssapi` feature. Realm KAFKA.TEST; principals client@KAFKA.TEST
# (ticket cache) and kafka/localhost@KAFKA.TEST (keytab for the fake broker).
# State lives in $KRB5_TEST_DIR (default /tmp/kafka-sdk-krb5); progress goes to stderr.
set -euo pipefail

DIR=${KRB5_TEST_DIR:-/tmp/kafka-sdk-krb5}
REALM=KAFKA.TEST
log() { echo "[krb5] $*" >&2; }

for tool in krb5kdc kdb5_util kadmin.local kinit; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin
  command -v "$tool" >/dev/null || { log "missing $tool (apt-get install krb5-kdc krb5-admin-server krb5-user)"; exit 1; }
done

if [[ -f $DIR/kdc.pid ]] && kill -0 "$(cat "$DIR/kdc.pid")" 2>/dev/null; then
  log "stopping the previous KDC"
  kill "$(cat "$DIR/kdc.pid")" || true
  sleep 0.5
fi
[[ -d $DIR && ! -f $DIR/.kafka-sdk-krb5 ]] && { log "$DIR exists and is not ours"; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR"
touch "$DIR/.kafka-sdk-krb5"

# A free port: ask the kernel, then hand it to the KDC.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$DIR/krb5.conf" <<CONF
[libdefaults]
  default_realm = $REALM
  dns_lookup_realm = false
  dns_lookup_kdc = false
  rdns = false
  udp_preference_limit = 1
  ignore_acceptor_hostname = false
[realms]
  $REALM = {
    kdc = 127.0.0.1:$PORT
  }
[domain_realm]
  localhost = $REALM
CONF

cat >"$DIR/kdc.conf" <<CONF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$PORT
  kdc_tcp_listen = 127.0.0.1:$PORT
[realms]
  $REALM = {
    database_name = $DIR/principal
    key_stash_file = $DIR/stash
    acl_file = $DIR/kadm5.acl
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$DIR/kdc.log
CONF
touch "$DIR/kadm5.acl"

export KRB5_CONFIG=$DIR/krb5.conf KRB5_KDC_PROFILE=$DIR/kdc.conf
log "creating realm $REALM in $DIR"
kdb5_util create -s -r "$REALM" -P "master-$RANDOM$RANDOM" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey client@$REALM" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey kafka/localhost@$REALM" >/dev/null 2>&1
kadmin.local -q "ktadd -k $DIR/client.keytab client@$REALM" >/dev/null 2>&1
kadmin.local -q "ktadd -k $DIR/kafka.keytab kafka/localhost@$REALM" >/dev/null 2>&1

log "starting krb5kdc on 127.0.0.1:$PORT"
krb5kdc -P "$DIR/kdc.pid"
for _ in $(seq 50); do
  [[ -f $DIR/kdc.pid ]] && break
  sleep 0.1
done

export KRB5CCNAME=FILE:$DIR/ccache
for _ in $(seq 50); do
  kinit -kt "$DIR/client.keytab" "client@$REALM" 2>/dev/null && break
  sleep 0.1
done
klist >/dev/null 2>&1 || { log "kinit failed; see $DIR/kdc.log"; exit 1; }
log "ticket cache ready"

printf 'export %s=%q\n' \
  KRB5_CONFIG "$DIR/krb5.conf" \
  KRB5CCNAME "FILE:$DIR/ccache" \
  KRB5_KTNAME "FILE:$DIR/kafka.keytab" \
  KAFKA_SDK_KRB5_TEST_DIR "$DIR"
