#!/usr/bin/env bash
# The models users bring, served side by side: a scikit-learn LogisticRegression, a 100-tree
# RandomForest and a 100-round XGBoost classifier, all on iris (serve_models_make.py), each served
# alone by
#   - slipway serve -f, from an InferenceService file, with its defaults: XGBoost through its C API,
#     scikit-learn's linear models and forests evaluated in the daemon from the arrays their
#     worker exports; and again with every scikit-learn call through its Python worker (one
#     process, as the peers have);
#   - KServe's own model servers: sklearnserver and xgbserver (KServe's SKLearnModel and
#     XGBoostModel on the `kserve` package from PyPI, one uvicorn worker), without its per-request
#     latency log line and its gRPC server, which only slow it;
#   - MLServer with mlserver-sklearn and mlserver-xgboost (PyPI), with its defaults;
# with wrk on loopback at concurrency 1, 16 and 64 over KServe v1 (:predict; MLServer has no v1)
# and Open Inference Protocol v2 (/infer). Every server's answer is first checked against the
# model's own prediction. slipway's /metrics gives the time per call spent in the hop to its
# Python worker (the round trip less the model's own time), set against a bare socket ping-pong.
#
#   bash bench/serve_models.sh [BUILD_DIR] [SECONDS]
#
# KServe publishes `kserve` on PyPI but not sklearnserver or xgbserver: they are run from a KServe
# source tree, $KSERVE_SRC (default BUILD_DIR/kserve-src, cloned from GitHub when absent).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
seconds=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk > /dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }

kserve_src=${KSERVE_SRC:-$build/kserve-src}
if [ ! -d "$kserve_src/python/sklearnserver" ]; then
  git clone -q --depth 1 https://github.com/kserve/kserve "$kserve_src" || {
    echo "need KServe's source for sklearnserver and xgbserver (not on PyPI): set KSERVE_SRC to a checkout of github.com/kserve/kserve" >&2
    exit 1
  }
fi
# Two environments: KServe's and MLServer's pins differ. slipway's scikit-learn worker runs under
# KServe's interpreter, so both load the same pickles with the same scikit-learn.
kserve_venv="$build/bench-kserve-venv"
if ! "$kserve_venv/bin/python" -c "import kserve, kserve_storage, sklearn, xgboost, pandas" 2> /dev/null; then
  python3 -m venv "$kserve_venv"
  "$kserve_venv/bin/pip" install -q kserve kserve-storage scikit-learn xgboost joblib pandas
fi
sklearn_version=$("$kserve_venv/bin/python" -c "import sklearn; print(sklearn.__version__)")
mlserver_venv="$build/bench-mlserver-venv"
if ! "$mlserver_venv/bin/python" -c "import mlserver_sklearn, mlserver_xgboost, uvloop; assert uvloop.__version__ < '0.22'" 2> /dev/null; then
  python3 -m venv "$mlserver_venv"
  # uvloop 0.22 broke MLServer 1.7's inference workers (SeldonIO/MLServer#2286): the pin is theirs.
  "$mlserver_venv/bin/pip" install -q mlserver mlserver-sklearn mlserver-xgboost "scikit-learn==$sklearn_version" "uvloop<0.22"
fi
version() { "$1/bin/python" -c "import importlib.metadata as m; print(m.version('$2'))"; }

work=$(mktemp -d)
pid=""
# Each server runs in its own process group (setsid), so its workers go with it. MLServer can hang
# in its shutdown waiting on wrk's kept-alive connections: after 10 s the group is killed.
stop_server() {
  [ -n "$pid" ] || return 0
  kill -TERM -- -"$pid" 2> /dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  kill -KILL -- -"$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
export SLIPWAY_HOME="$work/home"
out="$work/results.jsonl"
hops="$work/hops.jsonl"
# shellcheck source=bench/wrk_lib.sh
source "$here/wrk_lib.sh"

models="$work/models"
expected=$("$kserve_venv/bin/python" "$here/serve_models_make.py" "$models")
row='[6.8, 2.8, 4.8, 1.4]'
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'{\"instances\": [$row]}'" > "$work/v1.lua"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'{\"inputs\": [{\"name\": \"input-0\", \"shape\": [1, 4], \"datatype\": \"FP64\", \"data\": $row}]}'" > "$work/v2.lua"

# check SERVER MODEL BASE [v1]: one request per protocol; the answer must be the model's own.
check() {
  local protocols=("v2") answer
  [ "${4:-}" == v1 ] && protocols=("v1" "v2")
  for p in "${protocols[@]}"; do
    if [ "$p" == v1 ]; then
      answer=$(curl -sf -X POST "$3/v1/models/$2:predict" -H 'Content-Type: application/json' -d "{\"instances\": [$row]}") ||
        { echo "$1 $2: the v1 request failed" >&2; exit 1; }
    else
      answer=$(curl -sf -X POST "$3/v2/models/$2/infer" -H 'Content-Type: application/json' \
        -d "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [1, 4], \"datatype\": \"FP64\", \"data\": $row}]}") ||
        { echo "$1 $2: the v2 request failed" >&2; exit 1; }
    fi
    python3 - "$1" "$2" "$p" "$answer" "$expected" <<'PY'
import json, sys
server, model, protocol, answer, expected = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
got = answer["predictions"] if protocol == "v1" else answer["outputs"][0]["data"]
def flat(x):
    return [v for item in x for v in flat(item)] if isinstance(x, list) else [x]
want = flat(expected[model])
ok = len(flat(got)) == len(want) and all(abs(float(a) - float(b)) < 1e-4 for a, b in zip(flat(got), want))
if not ok:
    sys.exit(f"{server} {model} {protocol}: answered {got}, the model predicts {expected[model]}")
PY
  done
}

# hop_snapshot MODEL PROTOCOL CONNS PORT: slipway's worker-hop histograms now (before and after a
# run).
hop_snapshot() {
  curl -sf "http://127.0.0.1:$4/metrics" | python3 -c "
import json, re, sys
values = {f + '_' + k: float(v) for f, k, v in re.findall(
    r'^(slipway_worker_hop_seconds|slipway_worker_model_seconds|slipway_inference_batch_size)_(sum|count)\{model=\"$1\",version=\"1\"\} (\S+)$',
    sys.stdin.read(), re.M)}
print(json.dumps({'model': '$1', 'protocol': '$2', 'c': $3, **values}))" >> "$hops"
}

port=18190
for model in lr rf xgb; do
  format=sklearn
  [ "$model" == xgb ] && format=xgboost
  cat > "$work/$model.yaml" <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: $model}
spec:
  predictor:
    model:
      modelFormat: {name: $format}
      storageUri: $models/$model
YAML
  # scikit-learn models twice: evaluated in the daemon (the default), and every call through the
  # Python worker (sklearn_native: false), whose hop the metrics show.
  modes=(native)
  [ "$format" == sklearn ] && modes=(native worker)
  for mode in "${modes[@]}"; do
    printf 'python: {sklearn: %s}\nsklearn_native: %s\n' "$kserve_venv/bin/python" \
      "$([ "$mode" == native ] && echo true || echo false)" > "$work/serve.yaml"
    name=slipway
    [ "$mode" == worker ] && name="slipway (Python worker)"
    echo "== $model: $name"
    setsid "$build/slipway" serve -f "$work/$model.yaml" --config "$work/serve.yaml" --port $port > "$work/slipway.log" 2>&1 &
    pid=$!
    wait_ready "http://127.0.0.1:$port/v2/models/$model/ready" 1200
    check "$name" "$model" "http://127.0.0.1:$port" v1
    for p in v1 v2; do
      url="http://127.0.0.1:$port/v2/models/$model/infer"
      [ "$p" == v1 ] && url="http://127.0.0.1:$port/v1/models/$model:predict"
      for c in 1 16 64; do
        hop_snapshot "$model" "$p" "$c" $port
        concurrencies=$c measure "$name" "$p" "$url" "$work/$p.lua" "$model"
        hop_snapshot "$model" "$p" "$c" $port
      done
    done
    stop_server
  done

  echo "== $model: KServe"
  server=sklearnserver
  [ "$model" == xgb ] && server=xgbserver
  (cd "$work" && PYTHONPATH="$kserve_src/python/$server" exec setsid "$kserve_venv/bin/python" -m $server \
    --model_dir "$models/$model" --model_name "$model" --http_port $((port + 1)) \
    --enable_grpc false --enable_latency_logging false) > "$work/kserve.log" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$((port + 1))/v2/models/$model/ready" 1200 || { cat "$work/kserve.log"; exit 1; }
  check KServe "$model" "http://127.0.0.1:$((port + 1))" v1
  measure "KServe $(version "$kserve_venv" kserve)" v1 "http://127.0.0.1:$((port + 1))/v1/models/$model:predict" "$work/v1.lua" "$model"
  measure "KServe $(version "$kserve_venv" kserve)" v2 "http://127.0.0.1:$((port + 1))/v2/models/$model/infer" "$work/v2.lua" "$model"
  stop_server

  echo "== $model: MLServer"
  implementation=mlserver_sklearn.SKLearnModel
  [ "$model" == xgb ] && implementation=mlserver_xgboost.XGBoostModel
  file=$(ls "$models/$model")
  mkdir -p "$work/mlserver-$model"
  printf '{"name": "%s", "implementation": "%s", "parameters": {"uri": "%s"}}\n' \
    "$model" "$implementation" "$models/$model/$file" > "$work/mlserver-$model/model-settings.json"
  (cd "$work" && MLSERVER_HTTP_PORT=$((port + 3)) MLSERVER_GRPC_PORT=$((port + 4)) MLSERVER_METRICS_PORT=$((port + 5)) \
    exec setsid "$mlserver_venv/bin/mlserver" start "$work/mlserver-$model") > "$work/mlserver.log" 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$((port + 3))/v2/models/$model/ready" 1200 || { cat "$work/mlserver.log"; exit 1; }
  check MLServer "$model" "http://127.0.0.1:$((port + 3))"
  measure "MLServer $(version "$mlserver_venv" mlserver)" v2 "http://127.0.0.1:$((port + 3))/v2/models/$model/infer" "$work/v2.lua" "$model"
  stop_server
done

# The floor under the hop: two processes passing a message back and forth over a socket pair,
# the second busy for the model's time before it answers.
floor=$(python3 "$here/socket_pingpong.py" "$(python3 -c "
import json
rows = [json.loads(l) for l in open('$hops')]
pairs = [(a, b) for a, b in zip(rows[0::2], rows[1::2]) if b['c'] == 1 and b['model'] == 'lr']
def delta(key):
    return sum(b.get(key, 0) - a.get(key, 0) for a, b in pairs)
calls, model = delta('slipway_worker_model_seconds_count'), delta('slipway_worker_model_seconds_sum')
print(round(1e6 * model / calls))")")
python3 "$here/serve_models_report.py" "$out" "$hops" "$floor"
