#!/usr/bin/env bash
# The run list at scale: `GET /api/v1/runs` (and `slipway runs ls`), and Kubeflow Pipelines' API
# through the real kfp.Client (list_runs(page_size=100), get_run) next to the same calls on
# /api/v1, over a store holding 1,000 and
# 100,000 runs in 10 namespaces, with a token's namespace, newest first, 50 per page: the first
# page, a page up to 1,000 runs deep (by page_token), a state filter that matches 1 run in 100, and an
# experiment filter. Each figure is the median and p95 of 200 requests on one kept-alive
# connection. The runs are written straight into the store with sqlite3, as a server that has
# seen that many would hold them (every column filled, the pipeline text included).
#
#   bash bench/list_runs.sh [BUILD_DIR] [SIZES]     e.g. bash bench/list_runs.sh build "1000 100000"
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
sizes=${2:-"1000 100000"}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
# kfp from PyPI, in the environment the tests keep (made here when missing).
kfp_env=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}/kfp-client
if [ ! -x "$kfp_env/bin/python" ]; then
  python3 -m venv "$kfp_env" && "$kfp_env/bin/pip" install --quiet "kfp>=2.13,<3" requests
fi
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
pipeline="$here/../configs/pipelines/iris.yaml"

for n in $sizes; do
  export SLIPWAY_HOME="$work/home-$n"
  "$build/slipway" runs ls > /dev/null  # creates and migrates the store
  token=$("$build/slipway" server token create --namespace ns-3 2>/dev/null)
  start=$(date +%s.%N)
  sqlite3 "$SLIPWAY_HOME/slipway.db" <<SQL
INSERT OR IGNORE INTO namespaces(name, created_ms) SELECT 'ns-' || value, 0 FROM generate_series(0, 9);
INSERT OR IGNORE INTO experiments(id, name, namespace, created_ms) SELECT lower(hex(randomblob(16))), 'exp-' || value, 'ns-' || (value % 10), 0 FROM generate_series(0, 49);
WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k + 1 < $n)
INSERT INTO runs(id, experiment, pipeline, pipeline_file, format, source, params, options, state, backend, root, created_ms, started_ms,
                 finished_ms, namespace)
SELECT printf('iris-%08x', k), 'exp-' || (k % 50), 'iris', '/pipelines/iris.yaml', 'native', CAST(readfile('$pipeline') AS TEXT), '{"data":"iris.csv"}',
       '{"no_cache":false}', CASE WHEN k % 100 = 13 THEN 'FAILED' ELSE 'SUCCEEDED' END, 'local', '/runs/' || k,
       1700000000000 + k * 1000, 1700000000000 + k * 1000 + 50, 1700000000000 + k * 1000 + 2500, 'ns-' || (k % 10)
FROM i;
SQL
  seeded=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
  "$build/slipway" server --port 0 --port-file "$work/port" > "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  echo "== $n runs in the store (seeded in ${seeded}s), token of namespace ns-3 ($((n / 10)) runs)"
  python3 - "http://127.0.0.1:$(cat "$work/port")" "$token" <<'PY'
import statistics, sys, time
import requests
base, token = sys.argv[1], sys.argv[2]
s = requests.Session()
s.headers["Authorization"] = "Bearer " + token
def fetch(q):
    r = s.get(base + "/api/v1/runs" + q)
    r.raise_for_status()
    return r.json()
# A page token 1,000 runs deep, found by walking there.
q, depth = "?page_size=50", 0
for _ in range(20):
    page = fetch(q)
    if "next_page_token" not in page:
        break
    q, depth = "?page_size=50&page_token=" + page["next_page_token"], depth + 50
cases = [("first page", "?page_size=50"), (f"page {depth} runs deep", q), ("state=FAILED (1 in 100)", "?page_size=50&state=FAILED"),
         ("experiment filter", "?page_size=50&experiment=exp-3")]
for name, q in cases:
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        body = fetch(q)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"  {name:26s} {len(body['runs']):3d} runs  median {statistics.median(times):6.2f} ms  p95 {times[int(len(times) * 0.95)]:6.2f} ms")
PY
  "$kfp_env/bin/python" -W ignore - "http://127.0.0.1:$(cat "$work/port")" "$token" <<'PY'
import statistics, sys, time
import requests
from kfp.client import Client
base, token = sys.argv[1], sys.argv[2]
client = Client(host=base, existing_token=token)
s = requests.Session()
s.headers["Authorization"] = "Bearer " + token
run_id = client.list_runs(page_size=1).runs[0].run_id
def timed(call, n=100):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return f"median {statistics.median(times):6.2f} ms  p95 {times[int(len(times) * 0.95)]:6.2f} ms"
def get(url):
    r = s.get(base + url)
    r.raise_for_status()
    return r.json()
assert len(client.list_runs(page_size=100).runs) == 100
print(f"  kfp.Client.list_runs(page_size=100)      {timed(lambda: client.list_runs(page_size=100))}")
print(f"  GET /apis/v2beta1/runs?page_size=100     {timed(lambda: get('/apis/v2beta1/runs?page_size=100'))}")
print(f"  GET /api/v1/runs?page_size=100           {timed(lambda: get('/api/v1/runs?page_size=100'))}")
print(f"  kfp.Client.get_run                       {timed(lambda: client.get_run(run_id))}")
print(f"  GET /apis/v2beta1/runs/ID                {timed(lambda: get('/apis/v2beta1/runs/' + run_id))}")
print(f"  GET /api/v1/runs/ID                      {timed(lambda: get('/api/v1/runs/' + run_id))}")
PY
  kill $pid
  wait $pid 2>/dev/null || true
  pid=""
  rm -f "$work/port"
  t0=$(date +%s%N)
  "$build/slipway" runs ls --limit 50 > /dev/null
  echo "  slipway runs ls --limit 50 (a whole CLI process, every namespace): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  echo "  store size: $(du -h "$SLIPWAY_HOME/slipway.db" | cut -f1)"
done
