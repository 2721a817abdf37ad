#!/usr/bin/env bash
# slipway on Slurm against plain sbatch, side by side on the local test cluster:
#  - end to end: N trivial jobs (`true`) submitted by slipway (independent tasks, and one fan-out
#    that becomes a job array) versus a plain `sbatch --wrap=true` loop waiting for the queue to
#    drain; the ratio says what slipway adds;
#  - submission-to-start latency of one job, both ways;
#  - Slurm client calls slipway made, and squeue calls per poll, while the jobs were in flight.
# Usage: bench/slurm_throughput.sh [path/to/slipway] [N]     (default N = 200)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
slipway=$(realpath "${1:-$here/build/slipway}")
n=${2:-200}
work=$(mktemp -d /tmp/slipway-slurm-bench.XXXXXX)
cluster="$here/slurm/local-cluster.sh"
export SLIPWAY_SLURMCTLD_PORT=16937 SLIPWAY_SLURMD_PORT=17121
trap '"$cluster" down "$work/cluster" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$cluster" up "$work/cluster" > /dev/null
eval "$("$cluster" env "$work/cluster")"
export SLIPWAY_HOME=$work/home
mkdir -p "$SLIPWAY_HOME"
printf 'poll_interval: 500ms\nmax_in_flight: 5000\n' > "$SLIPWAY_HOME/slurm.yaml"
cd "$work"

drain() { while [ -n "$(squeue -h -o %i)" ]; do sleep 0.05; done; }
now() { date +%s.%N; }

# Plain sbatch loop: submit N, wait until the queue is empty.
t0=$(now)
for _ in $(seq 1 "$n"); do sbatch --parsable -o /dev/null --wrap=true > /dev/null; done
drain
plain=$(python3 -c "print($(now) - $t0)")

python3 - "$n" <<'PY'
import sys
n = int(sys.argv[1])
open("independent.yaml", "w").write("name: indep\ncomponents:\n  noop: {command: [\"true\"]}\ntasks:\n" +
    "".join("  t%d: {component: noop, cache: false}\n" % i for i in range(n)))
open("fanout.yaml", "w").write("name: fan\nparams: {items: {type: list, default: %s}}\ncomponents:\n  noop: {command: [\"true\"]}\n"
    "tasks:\n  fan: {component: noop, for_each: \"{{params.items}}\", cache: false}\n" % list(range(n)))
PY
t0=$(now); "$slipway" run independent.yaml --backend slurm > /dev/null 2>&1; indep=$(python3 -c "print($(now) - $t0)")
t0=$(now); "$slipway" run fanout.yaml --backend slurm > /dev/null 2>&1; fan=$(python3 -c "print($(now) - $t0)")

# Latency of one job from submission to its start, both ways.
t0=$(now); id=$(sbatch --parsable -o "$work/lat.out" --wrap='date +%s.%N'); drain
plain_lat=$(python3 -c "print($(cat "$work/lat.out") - $t0)")
printf 'name: one\ncomponents:\n  c: {command: [sh, -c, "date +%%s.%%N"]}\ntasks:\n  t: {component: c, cache: false}\n' > one.yaml
t0=$(now); rid=$("$slipway" run one.yaml --backend slurm --output json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
sw_lat=$(python3 -c "print($("$slipway" runs logs "$rid" t) - $t0)")

stats() {  # stats PIPELINE: the Slurm client calls of its newest run
  sqlite3 "$SLIPWAY_HOME/slipway.db" "select detail from events where kind='BACKEND_STATS' and run_id =
    (select id from runs where pipeline='$1' order by created_ms desc limit 1)"
}
printf '%-34s %8s %10s %8s\n' "how" "jobs" "seconds" "jobs/s"
printf '%-34s %8d %10.2f %8.1f\n' "plain sbatch loop" "$n" "$plain" "$(python3 -c "print($n / $plain)")"
printf '%-34s %8d %10.2f %8.1f   (%.2fx plain)\n' "slipway, independent tasks" "$n" "$indep" "$(python3 -c "print($n / $indep)")" "$(python3 -c "print($indep / $plain)")"
printf '%-34s %8d %10.2f %8.1f   (%.2fx plain)\n' "slipway, one fan-out (job array)" "$n" "$fan" "$(python3 -c "print($n / $fan)")" "$(python3 -c "print($fan / $plain)")"
printf 'submission-to-start latency: plain sbatch %.2f s, slipway run %.2f s\n' "$plain_lat" "$sw_lat"
echo "slipway's Slurm client calls, independent run: $(stats indep)"
echo "slipway's Slurm client calls, fan-out run:     $(stats fan)"
