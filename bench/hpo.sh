#!/usr/bin/env bash
# Hyperparameter search quality and speed: slipway's samplers against Optuna (TPE univariate and
# multivariate, CMA-ES), scikit-optimize (what Katib's bayesianoptimization runs), BoTorch and Ax
# on Branin, Hartmann6, a 4-D Rosenbrock, Ackley in 5 and 10 dimensions, Hartmann6 with noise
# (sd 0.1) and a mixed space of doubles, an integer and a categorical: mean and sd of the simple
# regret after 20, 50 and 100 evaluations over SEEDS seeds (scikit-optimize, BoTorch and Ax over
# PEER_SEEDS: a GP fit per step makes them slow), and suggestion latency at 100, 300 and 1,000
# trials. The peers come from PyPI into virtual environments under the build directory (BoTorch
# and Ax bring PyTorch: several GB).
#
#   bash bench/hpo.sh [BUILD_DIR] [SEEDS] [EVALS] [PEER_SEEDS] [FUNCTION,...]
set -euo pipefail
build=${1:-build}
seeds=${2:-10}
evals=${3:-100}
skopt_seeds=${4:-$seeds}
only=${5:-branin,hartmann6,rosenbrock4,ackley5,ackley10,hartmann6-noisy,mixed}
here=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "$build" && pwd)
venv="$build_dir/hpo-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import optuna, skopt, cmaes' 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q optuna scikit-optimize cmaes
fi
bo_venv="$build_dir/hpo-bo-venv"
if [ ! -x "$bo_venv/bin/python" ] || ! "$bo_venv/bin/python" -c 'import botorch, ax' 2> /dev/null; then
  python3 -m venv "$bo_venv"
  "$bo_venv/bin/pip" install -q botorch ax-platform
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bench/hpo_bench" regret --seeds "$seeds" --evals "$evals" --functions "$only" >> "$out"
"$build/bench/hpo_bench" latency >> "$out"
(cd "$here" && "$venv/bin/python" hpo_peers.py "$seeds" "$evals" "$skopt_seeds" "$only") >> "$out"
(cd "$here" && "$bo_venv/bin/python" hpo_peers_bo.py "$skopt_seeds" "$evals" "$only") >> "$out"
echo "optuna $("$venv/bin/python" -c 'import optuna; print(optuna.__version__)'), scikit-optimize $("$venv/bin/python" -c 'import skopt; print(skopt.__version__)'), botorch $("$bo_venv/bin/python" -c 'import botorch; print(botorch.__version__)'), ax $("$bo_venv/bin/python" -c 'import ax; print(ax.__version__)' 2> /dev/null)"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| function | sampler | seeds | regret @20 | regret @50 (sd) | regret @100 |")
print("|---|---|---:|---:|---:|---:|")
cell = lambda r, m: ("%.4g" % r["regret_%d" % m] + (" (%.2g)" % r["sd_%d" % m] if m == 50 else "")) if "regret_%d" % m in r else "-"
for r in rows:
    if "function" in r:
        print("| %s | %s | %d | %s |" % (r["function"], r["sampler"], r["seeds"], " | ".join(cell(r, m) for m in (20, 50, 100))))
print()
print("| sampler | trials | parameters | ms per suggestion (median) | mean |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    if "suggest_ms" in r:
        print("| %s | %d | %d | %.3g | %.3g |" % (r["sampler"], r["trials"], r["params"], r["suggest_ms"], r.get("mean_ms", r["suggest_ms"])))
PY
