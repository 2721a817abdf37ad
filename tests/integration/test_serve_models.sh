#!/usr/bin/env bash
# The models users bring, served from their KServe InferenceService files as written
# (`slipway serve -f`): seed 000's scikit-learn RandomForest, trained by the seed's own KFP
# pipeline (compiled with the real kfp SDK and run here), next to XGBoost (native, no Python),
# LightGBM, ONNX and TorchScript models. The real clients from PyPI (tritonclient.http with and
# without binary tensor data, KServe's InferenceRESTClient v1 and v2) get the frameworks' own
# predictions. A model that cannot load shows FAILED with the loader's error; a worker killed
# -9 is restarted while every other model keeps answering; the same model registered in
# slipway's registry is served by name.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
PROGRAMS="$SLIPWAY_SOURCE_DIR/tests/integration/programs"
export SLIPWAY_PYENVS=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}

# --- seed 000: its pipeline trains the RandomForest and writes it with joblib.dump
KFP=$(kfp_client_env)
"$KFP/bin/python" "$SLIPWAY_SOURCE_DIR/tests/kfp/iris_seed.py" iris.yaml 2> /dev/null
run_json run.json iris.yaml
expect_eq "$rc" 0 "seed 000's iris pipeline (compiled by kfp) runs"
seed_model=$(json run.json "[t['outputs']['model_output']['uri'] for t in d['tasks'] if t['name']=='train-model'][0]")
mkdir -p models/iris models/xgb models/lgb models/onnx models/pt models/broken
cp "$seed_model" models/iris/model.joblib

CLIENTS=$(serve_client_env)
"$CLIENTS/bin/python" "$PROGRAMS/serve_models_make.py" models
# TorchScript from Debian's python3-torch, served under that interpreter (the config's python:).
/usr/bin/python3 - <<'PY' || fail "Debian's python3-torch cannot write a TorchScript model"
import torch
class Double(torch.nn.Module):
    def forward(self, x):
        return x * 2 + 1
torch.jit.trace(Double(), torch.zeros(1, 4)).save("models/pt/model.pt")
PY

# The seed's InferenceService as written, its storageUri pointed at the trained model.
sed "s|gs://my-models/iris/v1|file://$WORK/models/iris|" "$SLIPWAY_SOURCE_DIR/tests/fixtures/kserve/iris-classifier.yaml" > iris-isvc.yaml
cat > others.yaml <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris-xgb}
spec:
  predictor:
    xgboost: {storageUri: models/xgb}
    logger: {mode: all, url: "file://$WORK/xgb-requests.jsonl"}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris-lgb}
spec:
  predictor:
    model: {modelFormat: {name: lightgbm}, storageUri: models/lgb}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: linear-onnx}
spec:
  predictor:
    onnx: {storageUri: "pvc://model-store/onnx"}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: double-pt}
spec:
  predictor:
    model: {modelFormat: {name: pytorch}, storageUri: models/pt}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: broken}
spec:
  predictor:
    sklearn: {storageUri: models/broken}
YAML
# KServe's own custom-model sample, as written: its images were built from a kserve.Model file;
# the config says which.
CUSTOM="$SLIPWAY_SOURCE_DIR/../shared/corpora/kserve/resources-yaml/kserve@docs__samples__v1beta1__custom__custom_model__custom.yaml"
cat > slow.yaml <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: slow}
spec:
  predictor:
    timeout: 2
    containers:
      - name: kserve-container
        image: example.com/slow-predictor:1
YAML
cat > serve.yaml <<YAML
custom_predictors:
  example.com/slow-predictor:1: $PROGRAMS/slow_predictor.py
  kserve/custom-model:latest: $PROGRAMS/custom_predictor.py
  kserve/custom-model-grpc:latest: $PROGRAMS/custom_predictor.py
pvc: {model-store: $WORK/models}
python: {pytorch: /usr/bin/python3}
scale_down_after_ms: 1500
# Every scikit-learn call through its worker here (the hop, restarts, scaling); the registry's
# daemon below evaluates the same model natively.
sklearn_native: false
YAML

# gs:// is refused with how to get a local copy.
cp "$SLIPWAY_SOURCE_DIR/tests/fixtures/kserve/iris-classifier.yaml" gs.yaml
set +e
"$SLIPWAY" serve -f gs.yaml --port 0 > gs.out 2>&1
rc=$?
set -e
expect_eq "$rc" 2 "a gs:// storageUri is refused"
contains "gs.yaml:1: storageUri gs://my-models/iris/v1: slipway does not fetch gs:// storage; copy the model to this machine (gsutil cp -r" gs.out ||
  fail "the refusal says how to get a local copy: $(cat gs.out)"
pass "and says how to copy it here"

"$SLIPWAY" serve -f iris-isvc.yaml -f others.yaml -f "$CUSTOM" -f slow.yaml --config serve.yaml --port 0 --port-file port > serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
PORT=$(wait_for_port_file port $PID 900)
BASE="http://127.0.0.1:$PORT"
pass "slipway serve -f listens on $PORT with $(grep -c 'serves ' serve.log) InferenceServices"

# A model that cannot load is FAILED with the loader's own error; the others are READY.
curl -s -X POST "$BASE/v2/repository/index" -d '{}' > index.json
expect_eq "$(json index.json "sorted((m['name'], m['state']) for m in d)")" \
  "[('broken', 'FAILED'), ('custom-model', 'READY'), ('custom-model-grpc', 'READY'), ('double-pt', 'READY'), ('iris-classifier', 'READY'), ('iris-lgb', 'READY'), ('iris-xgb', 'READY'), ('linear-onnx', 'READY'), ('slow', 'READY')]" \
  "the repository index: every model READY but the broken one"
json index.json "[m['reason'] for m in d if m['name']=='broken'][0]" | contains "cannot load the sklearn model in $WORK/models/broken: [A-Za-z]*Error" ||
  fail "the broken model's reason is the loader's error: $(cat index.json)"
pass "the broken model shows the loader's own error"
expect_eq "$(curl -s -o ready.json -w '%{http_code}' "$BASE/v2/models/broken/ready")" 503 "/v2/models/broken/ready is 503"
json ready.json "d['error']" | contains "version 1 failed to load: cannot load the sklearn model" ||
  fail "and says why: $(cat ready.json)"
pass "and says why"

"$CLIENTS/bin/python" "$PROGRAMS/serve_models_clients.py" "$PORT" models models/iris/model.joblib ||
  fail "the ecosystem's clients"

# /metrics shows where a Python model's time went: each worker call's hop (the round trip less
# the model's own time) and the model's time, per model version.
curl -s "$BASE/metrics" > metrics.txt
expect_eq "$(python3 -c "
import re, sys
series = {(f, kind): float(v) for f, kind, v in re.findall(
    r'^(slipway_worker_\w+_seconds)_(sum|count)\{model=\"iris-classifier\",version=\"1\"\} (\S+)$',
    open(sys.argv[1]).read(), re.M)}
hop = series[('slipway_worker_hop_seconds', 'sum')] / series[('slipway_worker_hop_seconds', 'count')]
print(series[('slipway_worker_hop_seconds', 'count')] == series[('slipway_worker_model_seconds', 'count')] >= 4,
      hop > 0, series[('slipway_worker_model_seconds', 'sum')] > 0)" metrics.txt)" \
  "True True True" "/metrics has iris-classifier's worker hop and model time for every call"
grep -q 'slipway_worker_hop_seconds_count{model="iris-xgb"' metrics.txt &&
  fail "iris-xgb runs in the daemon: it has no worker hop"

# The logger wrote each request and its response, as KServe's logger events.
expect_eq "$(python3 -c "
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
kinds = {e['type'].rsplit('.', 1)[1] for e in events}
ids = {e['id'] for e in events if e['type'].endswith('request')} == {e['id'] for e in events if e['type'].endswith('response')}
print(sorted(kinds), ids, all(e['model'] == 'iris-xgb' for e in events), len(events) >= 10)" xgb-requests.jsonl)" \
  "['request', 'response'] True True True" "the logger recorded iris-xgb's requests and responses, paired by id"

# A worker killed -9: its model answers 503 until the worker is back, the others keep answering.
worker=$(pgrep -f "model_worker.*--format sklearn --model-dir $WORK/models/iris" | head -1)
[ -n "$worker" ] || fail "no sklearn worker process found"
kill -9 "$worker"
iris='{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
first=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/models/iris-classifier:predict" -d "$iris")
expect_eq "$first" 503 "the first request after the worker died is a 503"
expect_eq "$(curl -s -X POST "$BASE/v1/models/iris-xgb:predict" -d '{"instances": [[6.8, 2.8, 4.8, 1.4]]}' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["predictions"][0]))')" 3 \
  "the other models keep answering meanwhile"
for _ in $(seq 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/models/iris-classifier:predict" -d "$iris")
  [ "$code" == 200 ] && break
  sleep 0.1
done
expect_eq "$code" 200 "the model answers again once its worker is restarted"
kill -0 $PID || fail "the daemon died"

# A model that hangs past its predictor's timeout (2 s): 503, its worker is replaced, and the
# model answers the next request.
start=$(date +%s)
code=$(curl -s -o hang.json -w '%{http_code}' -X POST "$BASE/v1/models/slow:predict" -d '{"instances": [[60]]}')
took=$(($(date +%s) - start))
expect_eq "$code" 503 "a request past the predictor's timeout gets 503"
[ "$took" -lt 10 ] || fail "the timed-out request took ${took}s (timeout 2 s)"
contains "no answer in time" hang.json || fail "the 503 says why: $(cat hang.json)"
expect_eq "$(curl -s -X POST "$BASE/v1/models/slow:predict" -d '{"instances": [[0]]}')" '{"predictions":[0.0]}' \
  "the hung worker was replaced: the model answers the next request"

# Scaling: minReplicas 0 scales the seed's model to no worker once idle; the next request starts
# one (a cold start); concurrent requests grow the pool towards maxReplicas (5).
workers() { pgrep -fc "model_worker.*--model-dir $WORK/models/iris --cpus" || true; }
for _ in $(seq 100); do [ "$(workers)" == 0 ] && break; sleep 0.1; done
expect_eq "$(workers)" 0 "idle past scale_down_after_ms, minReplicas 0 leaves no worker"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/models/iris-classifier:predict" -d "$iris")" 200 \
  "a request then cold-starts one"
"$CLIENTS/bin/python" - "$BASE" <<'PY'
import json, sys, threading, urllib.request
body = json.dumps({"instances": [[6.8, 2.8, 4.8, 1.4]] * 50}).encode()
def hammer():
    for _ in range(40):
        urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/v1/models/iris-classifier:predict", data=body)).read()
threads = [threading.Thread(target=hammer) for _ in range(12)]
[t.start() for t in threads]
[t.join() for t in threads]
PY
n=$(workers)
[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "concurrent load should grow the pool to 2..5 workers, got $n"
pass "concurrent load grew the pool to $n workers (maxReplicas 5)"

kill -TERM $PID
wait $PID || fail "the daemon did not stop cleanly"

# The same model in slipway's registry, served by name from the default repository.
"$SLIPWAY" ml register --model "$seed_model" --format sklearn --name iris-classifier > /dev/null
expect_eq "$(ls "$SLIPWAY_HOME/models/iris-classifier/1")" "config.json
model.joblib" "the registry publishes a scikit-learn model in KServe's layout"
rm -f port
"$SLIPWAY" serve --port 0 --port-file port > registry.log 2>&1 &
PID=$!
PORT=$(wait_for_port_file port $PID 300)
sklearn_says=$("$CLIENTS/bin/python" -c "
import joblib, json
print(json.dumps({'predictions': joblib.load('models/iris/model.joblib').predict([[6.8, 2.8, 4.8, 1.4]]).tolist()}, separators=(',', ':')))")
expect_eq "$(curl -s -X POST "http://127.0.0.1:$PORT/v1/models/iris-classifier:predict" -d "$iris")" "$sklearn_says" \
  "the registered version is served by name with scikit-learn's prediction"
"$CLIENTS/bin/python" "$PROGRAMS/serve_native_check.py" "$PORT" models/iris/model.joblib iris-classifier ||
  fail "the RandomForest evaluated in the daemon"
