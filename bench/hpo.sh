#!/usr/bin/env bash
# Hyperparameter search quality and speed: slipway's samplers against Optuna and scikit-optimize
# (what Katib's bayesianoptimization runs) on Branin, Hartmann6 and a 4-D Rosenbrock: mean simple
# regret after 20, 50 and 100 evaluations over SEEDS seeds, and suggestion latency at 100 and
# 1,000 trials. The peers come from PyPI into a virtual environment under the build directory.
#
#   bash bench/hpo.sh [BUILD_DIR] [SEEDS] [EVALS] [SKOPT_SEEDS]
set -euo pipefail
build=${1:-build}
seeds=${2:-10}
evals=${3:-100}
skopt_seeds=${4:-$seeds}
here=$(cd "$(dirname "$0")" && pwd)
venv="$build/hpo-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q optuna scikit-optimize
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bench/hpo_bench" regret --seeds "$seeds" --evals "$evals" >> "$out"
"$build/bench/hpo_bench" latency >> "$out"
"$venv/bin/python" "$here/hpo_peers.py" "$seeds" "$evals" "$skopt_seeds" >> "$out"
echo "optuna $("$venv/bin/python" -c 'import optuna; print(optuna.__version__)'), scikit-optimize $("$venv/bin/python" -c 'import skopt; print(skopt.__version__)')"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| function | sampler | seeds | regret @20 | regret @50 | regret @100 |")
print("|---|---|---:|---:|---:|---:|")
for r in rows:
    if "function" in r:
        print("| %s | %s | %d | %s |" % (r["function"], r["sampler"], r["seeds"], " | ".join("%.4g" % r[k] if k in r else "-" for k in ("regret_20", "regret_50", "regret_100"))))
print()
print("| sampler | trials | parameters | ms per suggestion |")
print("|---|---:|---:|---:|")
for r in rows:
    if "suggest_ms" in r:
        print("| %s | %d | %d | %.3g |" % (r["sampler"], r["trials"], r["params"], r["suggest_ms"]))
PY
