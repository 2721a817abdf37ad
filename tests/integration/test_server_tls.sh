#!/usr/bin/env bash
# HTTPS on `slipway server` and `slipway serve` (--tls-cert/--tls-key), with a certificate this
# test signs with its own CA (openssl): curl --cacert, kfp.Client(ssl_ca_cert=CA) and slipway's
# own --server https:// (SLIPWAY_CA_CERT) talk to it, with a token; a client that does not trust the CA is refused; plain HTTP to the TLS port gets a
# 400 that says to use https; bad certificate files are refused at start with what is wrong.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
command -v openssl > /dev/null || { echo "SKIP: openssl is missing (apt-get install openssl)"; exit 77; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=slipway test CA" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile ext.cnf 2> /dev/null
pass "a CA and a server certificate for 127.0.0.1"

# Bad files are refused before listening, saying which and why.
for bad in "--tls-cert missing.pem --tls-key server.key" "--tls-cert server.pem" "--tls-cert server.pem --tls-key ca.key"; do
  set +e
  # shellcheck disable=SC2086  # the flags are meant to split
  "$SLIPWAY" server --no-auth --port 0 $bad > /dev/null 2> bad.txt
  rc=$?
  set -e
  expect_eq "$rc" 2 "server $bad is refused"
done
contains "key values mismatch" bad.txt && pass "a key that is not the certificate's is named"

token=$("$SLIPWAY" server token create --namespace team-a 2> /dev/null)
"$SLIPWAY" server --port 0 --port-file port --tls-cert server.pem --tls-key server.key > server.log 2>&1 &
PID=$!
trap 'kill $PID $SPID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the server did not start: $(cat server.log)"
PORT=$(cat port)
contains "https://127.0.0.1:$PORT" server.log && pass "the server says it listens on https"

expect_eq "$(curl -s --cacert ca.pem -H "Authorization: Bearer $token" "https://127.0.0.1:$PORT/api/v1/whoami" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["namespace"])')" team-a "curl --cacert with a token over HTTPS"
set +e
curl -s -o /dev/null "https://127.0.0.1:$PORT/api/v1/healthz"
rc=$?
set -e
expect_eq "$rc" 60 "curl without the CA refuses the certificate (exit 60)"
curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/api/v1/healthz" > plain.txt
expect_eq "$(tail -1 plain.txt)" 400 "plain HTTP to the TLS port: 400"
contains "use https://" plain.txt && pass "and the answer says to use https://"

# kfp.Client with ssl_ca_cert, as a KFP user points it at an HTTPS endpoint.
client_env=$(kfp_client_env)
"$client_env/bin/python" -W ignore - "https://127.0.0.1:$PORT" ca.pem "$token" << 'EOF' || fail "kfp.Client over HTTPS"
import sys
from kfp.client import Client
host, ca, token = sys.argv[1:4]
client = Client(host=host, ssl_ca_cert=ca, existing_token=token)
experiment = client.create_experiment(name="over-tls")
assert client.get_experiment(experiment_id=experiment.experiment_id).namespace == "team-a"
print("ok: kfp.Client(host=https://..., ssl_ca_cert=CA, existing_token=T) creates and reads an experiment")
EOF

# slipway's own CLI through the HTTPS server: the CA from SLIPWAY_CA_CERT.
SLIPWAY_CA_CERT=ca.pem "$SLIPWAY" --server "https://127.0.0.1:$PORT" --token "$token" runs ls -o json > ls.json ||
  fail "slipway --server https:// runs ls failed"
expect_eq "$(json ls.json "sorted(d)")" "['runs']" "slipway --server https://... runs ls (SLIPWAY_CA_CERT)"
set +e
"$SLIPWAY" --server "https://127.0.0.1:$PORT" --token "$token" runs ls 2> untrusted.txt
rc=$?
set -e
expect_eq "$rc" 1 "without the CA the CLI refuses the server"
contains "certificate verify failed" untrusted.txt && pass "and says the certificate did not verify"

kill -TERM $PID
wait $PID && pass "SIGTERM drains the HTTPS server and it exits 0"

# The serving daemon takes the same flags.
mkdir -p models
"$SLIPWAY" serve --model-repo models --host 127.0.0.1 --port 0 --port-file sport \
  --tls-cert server.pem --tls-key server.key > serve.log 2>&1 &
SPID=$!
for _ in $(seq 100); do [ -s sport ] && break; sleep 0.1; done
[ -s sport ] || fail "serve did not start: $(cat serve.log)"
expect_eq "$(curl -s --cacert ca.pem "https://127.0.0.1:$(cat sport)/v2/health/live")" '{"live":true}' \
  "slipway serve over HTTPS: /v2/health/live"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat sport)/v2/health/live")" 400 \
  "slipway serve: plain HTTP to its TLS port gets 400"
kill -TERM $SPID
wait $SPID && pass "SIGTERM drains the HTTPS serving daemon and it exits 0"
