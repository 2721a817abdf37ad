#!/usr/bin/env bash
# Engine throughput: DAGs of N trivial tasks (`true`) run end to end on the local backend, every
# state transition durable in the store; side by side with the raw spawn limit of this machine.
# Usage: bench/engine_throughput.sh [path/to/slipway] [sizes...]   (default sizes: 1000 10000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
slipway=${1:-$here/../build/slipway}
shift || true
sizes=${*:-1000 10000}
baseline=$(dirname "$slipway")/bench/spawn_baseline
work=$(mktemp -d /tmp/slipway-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SLIPWAY_HOME=$work/home

gen() {  # gen SHAPE N CPUS FILE
  python3 - "$@" <<'PY'
import sys
shape, n, cpus, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
res = "resources: {cpus: %s}, cache: %s" % (cpus, "true" if shape == "cached" else "false")
if shape == "fanout":
    body = ('params:\n  items: {type: list, default: %s}\ncomponents:\n  noop: {command: ["true"]}\n'
            'tasks:\n  fan: {component: noop, for_each: "{{params.items}}", %s}\n' % (list(range(n)), res))
else:
    body = 'components:\n  noop: {command: ["true"]}\ntasks:\n' + ''.join(
        '  t%d: {component: noop, %s}\n' % (i, res) for i in range(n))
open(path, "w").write("name: bench-%s-%d\n" % (shape, n) + body)
PY
}

printf "%-12s %7s %9s %10s %10s %12s\n" shape tasks in_flight seconds tasks/s ms/task
for n in $sizes; do
  for shape in fanout independent cached; do
    for cpus in 1 0.25; do
      [ $shape == cached ] && [ $cpus == 0.25 ] && continue
      gen $shape "$n" $cpus "$work/p.yaml"
      # "cached": every task is a cache hit, so the run is pure engine bookkeeping (resolve,
      # cache lookup, durable transitions) with no process started.
      [ $shape == cached ] && "$slipway" run "$work/p.yaml" > /dev/null 2>&1
      in_flight=$(python3 -c "import os; print(int(os.cpu_count() / $cpus))")
      out=$(python3 - "$slipway" "$work/p.yaml" <<'PY'
import json, resource, subprocess, sys, time
t0 = time.time()
r = subprocess.run([sys.argv[1], "run", sys.argv[2], "--output", "json"], capture_output=True, text=True)
wall = time.time() - t0
doc = json.loads(r.stdout)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(doc["state"], doc["duration_ms"] / 1000.0)
PY
)
      read -r state secs <<< "$out"
      [ "$state" == SUCCEEDED ] || { echo "run failed: $state"; exit 1; }
      python3 -c "n=$n; s=max($secs, 0.001); print('%-12s %7d %9d %10.2f %10.0f %12.3f' % ('$shape', n, $in_flight, s, n/s, 1000*s/n))"
    done
  done
  if [ -x "$baseline" ]; then
    echo "raw posix_spawn of /bin/true, $n tasks: 2 in flight $("$baseline" "$n" 2), 8 in flight $("$baseline" "$n" 8)"
  fi
done
