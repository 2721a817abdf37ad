#!/usr/bin/env bash
# The serving daemon end to end with real clients (curl and Python requests): the iris pipeline
# registers and serves its model; v1 and v2 round trips; invalid requests get clear 4xx answers;
# drift; a new version is picked up while serving (hot reload); a canary split; the registry's
# production stage and a rollback; unload and load through the repository extension; the char
# transformer generating text; SIGTERM drains a request in flight.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
CLIENT="python3 $SLIPWAY_SOURCE_DIR/tests/integration/programs/serve_client.py"

run_json r1.json "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" -p data="$SLIPWAY_SOURCE_DIR/data/iris.csv"
expect_eq "$rc" 0 "the iris pipeline succeeds"
expect_eq "$(json r1.json "[t['state'] for t in d['tasks'] if t['name']=='serve'][0]")" SUCCEEDED "it ends with a served model"
pred=$(json r1.json "[t['outputs']['prediction']['uri'] for t in d['tasks'] if t['name']=='serve'][0]")
expect_eq "$(json "$pred" "d['predictions']")" "[0, 2]" "and a prediction made over HTTP"
expect_eq "$("$SLIPWAY" models ls -o json | python3 -c "import json,sys; v=json.load(sys.stdin)[0]; print(v['name'], v['version'], v['stage'], v['run']==\"$(json r1.json "d['id']")\")")" \
  "iris 1 production True" "the registry holds iris version 1 in production, linked to its run"

start_daemon() {  # start_daemon [ARGS...]: a daemon on a free port; sets PID, PORT, BASE
  rm -f port
  "$SLIPWAY" serve --port 0 --port-file port "$@" > serve.log 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
  [ -s port ] || fail "the daemon did not start: $(cat serve.log)"
  PORT=$(cat port)
  BASE="http://127.0.0.1:$PORT"
}
start_daemon
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT

expect_eq "$(curl -s -X POST "$BASE/v1/models/iris:predict" -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]}')" \
  '{"predictions":[0,2]}' "curl: POST /v1/models/iris:predict"
expect_eq "$(curl -s "$BASE/v1/models/iris")" '{"name":"iris","ready":true}' "curl: GET /v1/models/iris"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v2/models/iris/infer" -d '{bad json')" 400 "curl: bad JSON is a 400"
$CLIENT "$BASE" protocols
$CLIENT "$BASE" invalid
$CLIENT "$BASE" drift "$SLIPWAY_SOURCE_DIR/data/iris.csv"

# Hot reload: a second version registered while the daemon runs is served without a restart.
cp "$SLIPWAY_HOME/models/iris/1/model.h5" candidate.h5
"$SLIPWAY" ml register --model candidate.h5 --name iris --stage staging > /dev/null
"$SLIPWAY" serve check iris 2 --instances '[[6.2, 3.4, 5.4, 2.3]]' --prediction-out check.json > /dev/null ||
  fail "serve check of version 2"
expect_eq "$(json check.json "d['served_by']")" "the running daemon on port $PORT" "the running daemon picked up version 2 by itself"
expect_eq "$($CLIENT "$BASE" version)" 1 "unversioned requests stay on the production version"
$CLIENT "$BASE" canary 20

"$SLIPWAY" models promote iris 2 > /dev/null
for _ in $(seq 50); do [ "$($CLIENT "$BASE" version)" == 2 ] && break; sleep 0.1; done
expect_eq "$($CLIENT "$BASE" version)" 2 "promoting version 2 to production moves the traffic to it"
expect_eq "$("$SLIPWAY" models ls -o json | python3 -c "import json,sys; print([v['stage'] for v in json.load(sys.stdin)])")" \
  "['archived', 'production']" "the old production version is archived"
"$SLIPWAY" models rollback iris > /dev/null
for _ in $(seq 50); do [ "$($CLIENT "$BASE" version)" == 1 ] && break; sleep 0.1; done
expect_eq "$($CLIENT "$BASE" version)" 1 "a rollback brings version 1 back"

# The repository extension.
expect_eq "$(curl -s -X POST "$BASE/v2/repository/index" | python3 -c "import json,sys; print([(m['name'], m['version'], m['state']) for m in json.load(sys.stdin)])")" \
  "[('iris', '1', 'READY'), ('iris', '2', 'READY')]" "the repository index"
curl -s -X POST "$BASE/v2/repository/models/iris/unload" > /dev/null
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/models/iris/ready")" 503 "an unloaded model is not ready"
sleep 1.5  # a poll of the directory must not bring it back by itself
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/models/iris/ready")" 503 "and stays unloaded"
curl -s -X POST "$BASE/v2/repository/models/iris/load" > /dev/null
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/models/iris/ready")" 200 "load brings it back"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v2/repository/models/iris/load")" 200 "load of a loaded model reloads it from disk"
expect_eq "$(curl -s -X POST "$BASE/v1/models/iris:predict" -d '{"instances": [[6.2, 3.4, 5.4, 2.3]]}')" '{"predictions":[2]}' "and it answers after the reload"

# The char transformer: train a small one, register it, generate.
"$SLIPWAY" data import text "$SLIPWAY_SOURCE_DIR/data/coriolanus.txt" -o text.h5 --valid-fraction 0.1 > /dev/null
printf 'model: {kind: gpt, layers: 1, width: 32, heads: 4, context: 32}\ndata: text.h5\nbatch_size: 8\nsteps: 30\nthreads: 1\n' > gpt.yaml
"$SLIPWAY" train gpt.yaml --params-out chars.h5 --no-progress > /dev/null 2>&1 || fail "training the char model"
"$SLIPWAY" ml register --model chars.h5 --name chars > /dev/null
for _ in $(seq 50); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/models/chars/ready")" == 200 ] && break; sleep 0.1; done
$CLIENT "$BASE" generate

# SIGTERM: a request in flight is answered, then the daemon exits 0.
curl -s -X POST "$BASE/v2/models/chars/infer" -o slow.json -w '%{http_code}' \
  -d '{"inputs":[{"name":"text_input","shape":[1],"datatype":"BYTES","data":["A"]}],"parameters":{"max_tokens":400}}' > slow.code &
CURL=$!
sleep 0.3
kill -TERM $PID
wait $PID
expect_eq "$?" 0 "the daemon exits 0 after SIGTERM"
wait $CURL
expect_eq "$(cat slow.code)" 200 "the request in flight at SIGTERM was answered"
contains "draining" serve.log || fail "the daemon did not say it was draining"
pass "SIGTERM drained"
