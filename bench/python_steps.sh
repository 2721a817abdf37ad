#!/usr/bin/env bash
# Python steps side by side with KFP's own local runner (kfp.local.SubprocessRunner, no venv): the
# 23-step pipeline of bench/python_steps_pipeline.py (three chained steps, then a ParallelFor of
# 20) and seed 000's iris pipeline (tests/kfp/iris_seed.py: pandas and scikit-learn), both
# compiled by the KFP SDK and run by `slipway run` on the local backend:
#   - warm: the environments exist, --no-cache; the steps are forked by warm Python executors;
#   - warm, executors off (SLIPWAY_WARM_PYTHON=0): each step starts its own interpreter;
#   - cold: a new environments root per run (the first use of the package sets), built with uv
#     from its package cache as this machine has it; once more with pip (SLIPWAY_UV=off).
# kfp.local runs the same pipeline functions in an interpreter that has the packages already: it
# has no cold start to pay.
#
#   bash bench/python_steps.sh [SLIPWAY] [REPS]
#
# Python's bytecode caches are written as a default interpreter writes them
# (PYTHONDONTWRITEBYTECODE is unset).
set -euo pipefail
slipway=$(realpath "${1:-build/slipway}")
reps=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
unset PYTHONDONTWRITEBYTECODE
venv="$(dirname "$slipway")/bench-kfp-venv"
if ! "$venv/bin/python" -c "import kfp, sklearn, pandas, joblib" 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kfp>=2.13,<3" pandas scikit-learn joblib
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SLIPWAY_HOME="$work/home"
"$venv/bin/python" "$here/python_steps_pipeline.py" "$work/steps.yaml" 2> /dev/null
"$venv/bin/python" "$src/tests/kfp/iris_seed.py" "$work/iris.yaml" 2> /dev/null

# timed OUT_FILE COMMAND...: the command's wall time in seconds, appended to OUT_FILE.
timed() {
  local out=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" > "$work/last.json" 2> "$work/last.err" || { echo "failed: $*" >&2; tail -5 "$work/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 3))" >> "$out"
}
stats() { python3 -c "import statistics,sys; v=[float(x) for x in open(sys.argv[1])]; print('%.2f %.2f %.2f' % (statistics.median(v), min(v), max(v)))" "$1"; }
# The mean time of the steps of the last run (its leaf tasks), launch to exit, in ms.
per_step() {
  python3 - "$work/last.json" <<'PY'
import datetime, json, sys
d = json.load(open(sys.argv[1]))
names = [t["name"] for t in d["tasks"]]
leaves = [t for t in d["tasks"] if not any(n.startswith(t["name"] + "[") for n in names)]
ts = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
spans = [ts(t["finished"]) - ts(t["started"]) for t in leaves]
print("%.0f" % (1000 * sum(spans) / len(spans)))
PY
}

report() {  # report PIPELINE FUNCTION YAML
  local name=$1 fn=$2 yaml=$3 module
  module=$([ "$name" = steps ] && echo "$here/python_steps_pipeline.py" || echo "$src/tests/kfp/iris_seed.py")
  for r in $(seq "$reps"); do
    export SLIPWAY_PYENVS="$work/cold-$name-$r"
    timed "$work/$name.cold" "$slipway" run "$yaml" --no-cache --output json
  done
  export SLIPWAY_PYENVS="$work/cold-$name-pip"
  SLIPWAY_UV=off timed "$work/$name.pip" "$slipway" run "$yaml" --no-cache --output json
  export SLIPWAY_PYENVS="$work/warm-$name"
  "$slipway" run "$yaml" --no-cache --output json > /dev/null 2>&1
  for r in $(seq "$reps"); do timed "$work/$name.warm" "$slipway" run "$yaml" --no-cache --output json; done
  warm_step=$(per_step)
  for r in $(seq "$reps"); do SLIPWAY_WARM_PYTHON=0 timed "$work/$name.off" "$slipway" run "$yaml" --no-cache --output json; done
  off_step=$(per_step)
  for r in $(seq "$reps"); do
    start=$(date +%s.%N)
    "$venv/bin/python" "$here/python_steps_kfp_local.py" "$module" "$fn" "$work/kfp-local-$r" > /dev/null 2> "$work/kfp.err" ||
      { tail -5 "$work/kfp.err" >&2; exit 1; }
    python3 -c "print(round($(date +%s.%N) - $start, 3))" >> "$work/$name.kfp"
  done
  read -r km kmin kmax <<< "$(stats "$work/$name.kfp")"
  read -r wm wmin wmax <<< "$(stats "$work/$name.warm")"
  read -r om omin omax <<< "$(stats "$work/$name.off")"
  read -r cm cmin cmax <<< "$(stats "$work/$name.cold")"
  read -r pm _ _ <<< "$(stats "$work/$name.pip")"
  echo "| $name | kfp.local | $km ($kmin–$kmax) | | |"
  echo "| $name | slipway warm | $wm ($wmin–$wmax) | $warm_step | $(python3 -c "print('%.1f×' % ($km / $wm))") |"
  echo "| $name | slipway warm, executors off | $om ($omin–$omax) | $off_step | $(python3 -c "print('%.1f×' % ($km / $om))") |"
  echo "| $name | slipway cold (uv) | $cm ($cmin–$cmax) | | $(python3 -c "print('%.2f×' % ($km / $cm))") |"
  echo "| $name | slipway cold (pip) | $pm | | $(python3 -c "print('%.2f×' % ($km / $pm))") |"
}

echo "| pipeline | runner | wall s, median (min–max) | ms per step | ÷ kfp.local |"
echo "|---|---|---:|---:|---:|"
report steps python_steps "$work/steps.yaml"
report iris iris_pipeline "$work/iris.yaml"
