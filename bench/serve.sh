#!/usr/bin/env bash
# Serving throughput and latency: `slipway serve` against KServe's own Python model server (PyPI
# `kserve`, uvicorn) serving the same iris MLP's predictions, with wrk on loopback at concurrency
# 1, 16 and 64, over KServe v1 (:predict) and Open Inference Protocol v2 (/infer); and slipway's
# /v2/health/live as the loopback ceiling (an endpoint that does no work). slipway runs twice:
# with its default (no batching delay: an idle model answers at once, a busy one batches what
# queued), and with a 1 ms batching delay.
#
#   bash bench/serve.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
seconds=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk > /dev/null || { echo "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }
venv="$build/serve-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import kserve, h5py" 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q kserve h5py
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export SLIPWAY_HOME="$work/home"
"$build/slipway" run "$here/../configs/pipelines/iris.yaml" > /dev/null 2>&1
model="$SLIPWAY_HOME/models/iris/1/model.h5"

cat > "$work/v1.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
LUA
cat > "$work/v2.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}'
LUA

out="$work/results.jsonl"
# shellcheck source=bench/wrk_lib.sh
source "$here/wrk_lib.sh"

for mode in nodelay batching; do
  delay=0
  [ "$mode" == batching ] && delay=1
  printf 'batching: {max_queue_delay_ms: %s, max_batch_size: 64}\nio_threads: 1\n' "$delay" > "$work/serve.yaml"
  "$build/slipway" serve --port 18090 --config "$work/serve.yaml" > "$work/slipway.log" 2>&1 &
  pids+=($!)
  wait_ready http://127.0.0.1:18090/v2/models/iris/ready
  name="slipway ($([ "$mode" == batching ] && echo "batching delay 1 ms" || echo "default"))"
  measure "$name" v1 http://127.0.0.1:18090/v1/models/iris:predict "$work/v1.lua"
  measure "$name" v2 http://127.0.0.1:18090/v2/models/iris/infer "$work/v2.lua"
  [ "$mode" == nodelay ] && measure "slipway" "no-op (GET /v2/health/live)" http://127.0.0.1:18090/v2/health/live ""
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2> /dev/null || true
done

"$venv/bin/python" "$here/kserve_iris.py" "$model" --http_port 18091 > "$work/kserve.log" 2>&1 &
pids+=($!)
wait_ready http://127.0.0.1:18091/v2/models/iris/ready
measure "KServe $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kserve"))')" v1 http://127.0.0.1:18091/v1/models/iris:predict "$work/v1.lua"
measure "KServe $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kserve"))')" v2 http://127.0.0.1:18091/v2/models/iris/infer "$work/v2.lua"

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| server | protocol | concurrency | req/s | p50 ms | p99 ms | non-2xx |")
print("|---|---|---:|---:|---:|---:|---:|")
for r in rows:
    print("| %s | %s | %d | %.0f | %.3g | %.3g | %d |" % (r["server"], r["protocol"], r["c"], r["rps"], r["p50_ms"], r["p99_ms"], r["errors"]))
kserve = {(r["protocol"], r["c"]): r for r in rows if r["server"].startswith("KServe")}
print()
print("| protocol | concurrency | slipway req/s ÷ KServe | slipway p99 ÷ KServe p99 |")
print("|---|---:|---:|---:|")
for r in rows:
    if r["server"] == "slipway (default)" and (r["protocol"], r["c"]) in kserve:
        k = kserve[(r["protocol"], r["c"])]
        print("| %s | %d | %.1f× | %.2f |" % (r["protocol"], r["c"], r["rps"] / k["rps"], r["p99_ms"] / k["p99_ms"]))
PY
