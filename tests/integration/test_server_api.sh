#!/usr/bin/env bash
# `slipway server`'s REST API end to end with a real HTTP client: submit and follow a run, its DAG,
# logs, metrics, artifacts and lineage; cancel and retry; namespaces isolated by token; paging;
# clear 4xx answers to bad input; recurring runs with max concurrency; the CLI's --server mode.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export WORK

a=$("$SLIPWAY" server token create --namespace team-a 2>/dev/null)
b=$("$SLIPWAY" server token create --namespace team-b 2>/dev/null)
admin=$("$SLIPWAY" server token create --namespace ops --admin --description tests 2>/dev/null)
printf '{"a": "%s", "b": "%s", "admin": "%s"}' "$a" "$b" "$admin" > tokens.json
expect_eq "$("$SLIPWAY" server token ls -o json | python3 -c 'import json,sys; print(sorted(t["namespace"] for t in json.load(sys.stdin)))')" \
  "['ops', 'team-a', 'team-b']" "token ls lists the three tokens"
"$SLIPWAY" server token create 2> err.txt && fail "token create without a namespace succeeded"
contains -- "--namespace" err.txt && pass "token create without --namespace says to add it"

"$SLIPWAY" server --port 0 --port-file port --tick-ms 200 > server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "the server did not start: $(cat server.log)"
BASE="http://127.0.0.1:$(cat port)"

/usr/bin/python3 "$SLIPWAY_SOURCE_DIR/tests/integration/programs/server_api_client.py" "$BASE" tokens.json "$SLIPWAY_SOURCE_DIR" \
  || fail "the API checks failed; server log: $(tail -20 server.log)"

# The CLI through the server: --server/--token, or SLIPWAY_SERVER/SLIPWAY_TOKEN.
id=$("$SLIPWAY" --server "$BASE" --token "$a" run "$PIPELINES/sleepy.yaml" -p seconds=2 --no-cache)
"$SLIPWAY" --server "$BASE" --token "$a" runs logs "$id" nap --follow > follow.txt
expect_eq "$(cat follow.txt)" "$(printf 'napping 2\nawake')" "runs logs --follow through the server prints the log until the task ends"
expect_eq "$(SLIPWAY_SERVER=$BASE SLIPWAY_TOKEN=$a "$SLIPWAY" runs show "$id" -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["namespace"], d["pipeline"])')" \
  "team-a sleepy" "runs show through the server (SLIPWAY_SERVER, SLIPWAY_TOKEN)"
"$SLIPWAY" --server "$BASE" --token "$a" runs ls | contains "$id" && pass "runs ls through the server lists it"
set +e
"$SLIPWAY" --server "$BASE" --token "$b" runs show "$id" 2> other.txt
rc=$?
set -e
expect_eq "$rc" 1 "another namespace's token cannot show it"
contains "404" other.txt && pass "and is told the run is not found"
expect_eq "$("$SLIPWAY" --server "$BASE" --token "$a" run "$PIPELINES/flaky.yaml" --wait > /dev/null 2>&1; echo $?)" 1 "run --wait through the server exits 1 for a failed run"

# A revoked token is refused at once.
id=$("$SLIPWAY" server token ls -o json | python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin) if t["namespace"]=="team-b"][0])')
"$SLIPWAY" server token revoke "$id" > /dev/null
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $b" "$BASE/api/v1/runs")" 401 "a revoked token gets 401"

# kill -9 of the server loses nothing: the runs it started are driven by their own processes and
# finish; a new server over the same store shows them.
id=$("$SLIPWAY" --server "$BASE" --token "$a" run "$PIPELINES/sleepy.yaml" -p seconds=3 --no-cache)
wait_for_task_state "$id" nap RUNNING
kill -9 $PID
wait $PID 2>/dev/null || true
for _ in $(seq 100); do [ "$("$SLIPWAY" runs show "$id" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" == SUCCEEDED ] && break; sleep 0.1; done
expect_eq "$("$SLIPWAY" runs show "$id" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" SUCCEEDED \
  "a run submitted through the server finishes after the server is killed -9"
rm -f port
"$SLIPWAY" server --port 0 --port-file port > server2.log 2>&1 &
PID=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
BASE="http://127.0.0.1:$(cat port)"
expect_eq "$("$SLIPWAY" --server "$BASE" --token "$a" runs show "$id" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
  SUCCEEDED "a restarted server shows it"

# SIGTERM stops the server cleanly.
kill -TERM $PID
wait $PID
expect_eq "$?" 0 "the server exits 0 on SIGTERM"
