#!/usr/bin/env bash
# The seeds' pipelines written with the KFP SDK (tests/kfp/*.py), compiled here by the real kfp
# from PyPI, and run unchanged: locally and on the Slurm test cluster. Conditions, retries and
# caching behave as KFP documents them.
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
mkdir -p "$SLIPWAY_HOME"
printf 'poll_interval: 200ms\n' > "$SLIPWAY_HOME/slurm.yaml"

python3 -m venv "$WORK/kfp"
"$WORK/kfp/bin/pip" install --quiet --disable-pip-version-check "kfp>=2.7,<3" || fail "cannot install kfp from PyPI"
"$WORK/kfp/bin/python" "$SLIPWAY_SOURCE_DIR/tests/kfp/iris_seed.py" "$WORK/iris.yaml" 2> /dev/null
"$WORK/kfp/bin/python" "$SLIPWAY_SOURCE_DIR/tests/kfp/ml_pipeline_seed.py" "$WORK/ml.yaml" 2> /dev/null
pass "compiled both seed pipelines with kfp $("$WORK/kfp/bin/python" -c 'import kfp; print(kfp.__version__)')"

# --- seed 000: iris, locally
run_json "$WORK/i1.json" "$WORK/iris.yaml"
expect_eq "$rc" 0 "seed iris pipeline runs locally"
expect_eq "$(json "$WORK/i1.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='evaluate-model'][0]")" True \
  "evaluate read the model's accuracy from the artifact metadata train wrote"
acc=$(json "$WORK/i1.json" "d['metrics']['train-model']['accuracy']")
python3 -c "import sys; sys.exit(0 if $acc >= 0.9 else 1)" || fail "accuracy $acc"
pass "Metrics.log_metric reached the store (accuracy $acc)"
run_json "$WORK/i2.json" "$WORK/iris.yaml"
expect_eq "$(json "$WORK/i2.json" "all(t['cached'] for t in d['tasks'])")" True "second run is fully cached"

# --- seed 003: ml_pipeline, the condition both ways
data="$SLIPWAY_SOURCE_DIR/data/iris.csv"
run_json "$WORK/m1.json" "$WORK/ml.yaml" -p raw_data_path="$data"
expect_eq "$rc" 0 "seed ml_pipeline runs locally"
expect_eq "$(json "$WORK/m1.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='deploy-model'][0]")" \
  "https://serving.example.com/model-v1" "deploy ran when evaluation passed"
run_json "$WORK/m2.json" "$WORK/ml.yaml" -p raw_data_path="$data" -p accuracy_threshold=1.5
expect_eq "$(json "$WORK/m2.json" "{t['name']: (t['state'], t['cached']) for t in d['tasks']}")" \
  "{'preprocess-data': ('SUCCEEDED', True), 'train-model': ('SUCCEEDED', True), 'evaluate-model': ('SUCCEEDED', False), 'deploy-model': ('SKIPPED', False)}" \
  "a failing evaluation skips deploy; unchanged steps come from the cache"
expect_eq "$(sqlite3 "$SLIPWAY_HOME/slipway.db" "select count(*) from tasks t join runs r on r.id = t.run_id where r.pipeline = 'ml-training-pipeline' and t.name = 'train-model' and t.cached = 0")" 1 \
  "train ran once across both runs"

# --- both on Slurm, unchanged
run_json "$WORK/s1.json" "$WORK/iris.yaml" --backend slurm --no-cache
expect_eq "$(json "$WORK/s1.json" "d['state']")" SUCCEEDED "seed iris pipeline runs on slurm"
run_json "$WORK/s2.json" "$WORK/ml.yaml" --backend slurm --no-cache -p raw_data_path="$data"
expect_eq "$(json "$WORK/s2.json" "[t['state'] for t in d['tasks']]")" "['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']" "seed ml_pipeline runs on slurm"
