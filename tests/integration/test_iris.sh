#!/usr/bin/env bash
# The demo pipeline end to end: it succeeds, trains on 2 MPI ranks, records accuracy, registers a
# model, is fully cached on a second run, and misses the cache when the input data changes.
source "$(dirname "$0")/lib.sh"

cp "$SLIPWAY_SOURCE_DIR/data/iris.csv" "$WORK/iris.csv"
IRIS="$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml"

run_json "$WORK/r1.json" "$IRIS" -p data="$WORK/iris.csv"
expect_eq "$rc" 0 "iris run exits 0"
expect_eq "$(json "$WORK/r1.json" "d['state']")" SUCCEEDED "iris run state"
expect_eq "$(json "$WORK/r1.json" "sorted(t['name'] for t in d['tasks'])")" \
  "['evaluate', 'load', 'prepare', 'register', 'report', 'serve', 'train', 'validate']" "iris tasks"
acc=$(json "$WORK/r1.json" "d['metrics']['train']['valid_accuracy']")
python3 -c "import sys; sys.exit(0 if $acc >= 0.9 else 1)" || fail "accuracy $acc below 0.9"
pass "validation accuracy $acc recorded as a metric"
expect_eq "$(json "$WORK/r1.json" "d['metrics']['train']['ranks']")" 2.0 "the trainer ran on 2 MPI ranks"
run1=$(json "$WORK/r1.json" "d['id']")
expect_eq "$(sqlite3 "$SLIPWAY_HOME/slipway.db" "SELECT group_concat(step) FROM (SELECT step FROM metrics WHERE run_id = '$run1' AND task = 'train' AND name = 'train_loss' AND step > 0 ORDER BY step)")" \
  "50,100,150,200,250,300" "the trainer recorded its loss curve in the store, step by step"
test_acc=$(json "$WORK/r1.json" "d['metrics']['evaluate']['accuracy']")
python3 -c "import sys; sys.exit(0 if $test_acc >= 0.9 else 1)" || fail "held-out accuracy $test_acc below 0.9"
pass "evaluate scored the trained MLP on the held-out rows: $test_acc"
expect_eq "$(json "$WORK/r1.json" "[t['outputs']['passed'] for t in d['tasks'] if t['name']=='evaluate'][0]")" True "evaluate passed"
[ -f "$SLIPWAY_HOME/models/iris/1/model.h5" ] || fail "model not registered in $SLIPWAY_HOME/models/iris/1"
pass "model registered as iris version 1"
expect_eq "$(json "$WORK/r1.json" "all(not t['cached'] for t in d['tasks'])")" True "first run ran every task"

run_json "$WORK/r2.json" "$IRIS" -p data="$WORK/iris.csv"
expect_eq "$rc" 0 "second run exits 0"
expect_eq "$(json "$WORK/r2.json" "sorted(t['name'] for t in d['tasks'] if t['cached'])")" \
  "['evaluate', 'load', 'prepare', 'train', 'validate']" "second run is cached (register, serve and report opt out)"
expect_eq "$(json "$WORK/r2.json" "[t['attempts'] for t in d['tasks'] if t['name']=='train'][0]")" 0 "cached train made no attempt"

# Change one measurement: everything downstream of the data must run again.
sed -i '2s/^5.1/5.2/' "$WORK/iris.csv"
run_json "$WORK/r3.json" "$IRIS" -p data="$WORK/iris.csv"
expect_eq "$rc" 0 "third run exits 0"
expect_eq "$(json "$WORK/r3.json" "[t['name'] for t in d['tasks'] if t['cached']]")" "[]" "changed input data misses the cache"

run_json "$WORK/r4.json" "$IRIS" -p data="$WORK/iris.csv" --no-cache
expect_eq "$(json "$WORK/r4.json" "[t['name'] for t in d['tasks'] if t['cached']]")" "[]" "--no-cache runs everything"

# Read commands, in both output modes.
run_id=$(json "$WORK/r1.json" "d['id']")
"$SLIPWAY" runs ls --output json > "$WORK/ls.json"
expect_eq "$(json "$WORK/ls.json" "len(d)")" 4 "runs ls lists the four runs"
"$SLIPWAY" runs logs "$run_id" train | contains '^step=300 valid_loss=' || fail "train log has no validation line"
pass "runs logs shows the train step's output"
"$SLIPWAY" artifacts ls --run "$run_id" --output json > "$WORK/arts.json"
model_id=$(json "$WORK/arts.json" "[a['id'] for a in d if a['name']=='model'][0]")
"$SLIPWAY" lineage "$model_id" --output json > "$WORK/lineage.json"
expect_eq "$(json "$WORK/lineage.json" "d['produced_by'][0]['task']")" train "model produced by train"
expect_eq "$(json "$WORK/lineage.json" "sorted(i['artifact']['produced_by'][0]['task'] for i in d['produced_by'][0]['inputs'] if i['artifact'].get('produced_by'))")" "['prepare']" "train consumed prepare's dataset"
expect_eq "$(json "$WORK/lineage.json" "sorted(c['task'] for c in d['consumed_by'] if c['run']=='$run_id')")" "['evaluate', 'register']" "model consumed by evaluate and register"
"$SLIPWAY" lineage "$model_id" | contains "output 'model' of $run_id/train" || fail "text lineage"
pass "lineage text output"
"$SLIPWAY" runs show "$run_id" --output dot > "$WORK/dag.dot"
grep -q '"train" -> "evaluate";' "$WORK/dag.dot" || fail "DOT has no train -> evaluate edge"
grep -q 'label="register.*SUCCEEDED' "$WORK/dag.dot" || fail "DOT does not colour register by state"
pass "runs show --output dot draws the DAG with states"
