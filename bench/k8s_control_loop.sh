#!/usr/bin/env bash
# The k8s backend's control loop at N tasks in flight, through the fake kubectl
# (tests/integration/fakes/fake-kubectl; no API server runs here): kubectl calls by verb, poll
# ticks, and the size of the one `get` list per tick. Wall time is the fake's (a Python process
# per call and per pod on this machine), not a cluster's; the calls and sizes are what a cluster
# would see.
#
#   bash bench/k8s_control_loop.sh [BUILD_DIR] [N...]      (default: build, 100 300)
set -euo pipefail
BUILD=${1:-build}
shift || true
SIZES=${*:-100 300}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SLIPWAY=$(cd "$BUILD" && pwd)/slipway
printf '%-6s %-9s %-7s %-6s %-7s %-16s %s\n' tasks wall_s applies gets polls "get list (items)" "largest get (KiB)"
for n in $SIZES; do
  home=$(mktemp -d /tmp/slipway-bench-k8s.XXXXXX)
  export SLIPWAY_HOME=$home FAKE_KUBECTL_STATE=$home/cluster
  cat > "$home/k8s.yaml" <<YAML
kubectl: $SRC/tests/integration/fakes/fake-kubectl
run_root: {host_path: $home}
poll_interval: 1s
max_in_flight: 1000
YAML
  cat > "$home/fan.yaml" <<YAML
name: fan
params: {n: {type: int, default: $n}}
components:
  make: {command: [sh, -c, "python3 -c 'import json; print(json.dumps(list(range($n))))' > {{outputs.items}}"], outputs: {items: list}}
  work: {command: [sh, -c, "sleep 2; echo {{inputs.i}}"], inputs: {i: int}}
tasks:
  make: {component: make}
  work: {component: work, for_each: "{{tasks.make.outputs.items}}", inputs: {i: "{{item}}"}}
YAML
  start=$(date +%s.%N)
  "$SLIPWAY" run "$home/fan.yaml" --backend k8s --output json > "$home/run.json"
  end=$(date +%s.%N)
  run=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['state']=='SUCCEEDED', d['state']; print(d['id'])" "$home/run.json")
  polls=$(sqlite3 "$home/slipway.db" "select detail from events where run_id='$run' and kind='BACKEND_STATS' order by id desc limit 1" | python3 -c "import json,sys; print(json.load(sys.stdin)['polls'])")
  applies=$(grep -cE '(^| )apply -f ' "$FAKE_KUBECTL_STATE/calls.log")
  gets=$(grep -cE '(^| )get ' "$FAKE_KUBECTL_STATE/calls.log")
  # The largest list a tick reads: every object and pod of the run, as the API would return them.
  big=$("$SRC/tests/integration/fakes/fake-kubectl" get jobs.batch,pods -l "slipway.dev/run=$run" -o json | python3 -c "import json,sys; t=sys.stdin.read(); print(len(json.loads(t)['items']), round(len(t)/1024))")
  printf '%-6s %-9.1f %-7s %-6s %-7s %-16s %s\n' "$n" "$(echo "$end - $start" | bc)" "$applies" "$gets" "$polls" "${big% *}" "${big#* }"
  rm -rf "$home"
done
