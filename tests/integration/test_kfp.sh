#!/usr/bin/env bash
# KFP-compiled pipelines (tests/fixtures/kfp, compiled by the KFP SDK) run as they are.
source "$(dirname "$0")/lib.sh"
KFP="$SLIPWAY_SOURCE_DIR/tests/fixtures/kfp"

run_json "$WORK/c1.json" "$KFP/condition.yaml"
expect_eq "$rc" 0 "KFP condition pipeline exits 0"
expect_eq "$(json "$WORK/c1.json" "[(t['name'], t['state']) for t in d['tasks']]")" "[('make', 'SUCCEEDED'), ('use', 'SUCCEEDED')]" "both tasks ran"
expect_eq "$(json "$WORK/c1.json" "[t['outputs']['count'] for t in d['tasks'] if t['name']=='make'][0]")" 5 "output parameter read from its output_file"
out=$(json "$WORK/c1.json" "[t['outputs']['out']['uri'] for t in d['tasks'] if t['name']=='use'][0]")
expect_eq "$(cat "$out")" "hello 5 data" "parameters and an artifact reached the downstream container"

run_json "$WORK/c2.json" "$KFP/condition.yaml" -p threshold=9
expect_eq "$(json "$WORK/c2.json" "[t['state'] for t in d['tasks'] if t['name']=='use'][0]")" SKIPPED "dsl.If is false: the task is skipped"
expect_eq "$(json "$WORK/c2.json" "[t['cached'] for t in d['tasks'] if t['name']=='make'][0]")" True "the unchanged step is cached"

run_json "$WORK/e.json" "$KFP/exit_handler.yaml"
expect_eq "$rc" 1 "a failing step fails the run"
expect_eq "$(json "$WORK/e.json" "{t['name']: t['state'] for t in d['tasks']}")" \
  "{'step': 'SUCCEEDED', 'fail-step': 'FAILED', 'cleanup': 'SUCCEEDED'}" "the exit handler ran after the failure"
root=$(json "$WORK/e.json" "d['root']")
expect_eq "$(cat "$root/tasks/cleanup/cleanup.txt")" "cleanup bye" "the exit handler got its parameter"

run_json "$WORK/l.json" "$KFP/loop.yaml"
expect_eq "$(json "$WORK/l.json" "[t['outputs']['out'] for t in d['tasks'] if t['name'] in ('square', 'total')]")" "[[1, 4, 9, 16], 30]" \
  "ParallelFor squares each item and dsl.Collected sums them"
run_json "$WORK/ls.json" "$KFP/loop_struct.yaml"
expect_eq "$(json "$WORK/ls.json" "[t['outputs']['out'] for t in d['tasks'] if t['name'] == 'show'][0]")" "['a=1', 'b=2']" "loop items' fields reach the task"

# A @dsl.component Python function: run by KFP's own executor in a venv slipway makes once.
run_json "$WORK/py.json" "$KFP/python_component.yaml" -p x=40
expect_eq "$rc" 0 "a KFP Python component runs"
expect_eq "$(json "$WORK/py.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='add'][0]")" 42 "its return value is the task's output"
ls "$SLIPWAY_HOME/pyenvs/"*/.ready > /dev/null || fail "no Python environment was recorded as ready"
run_json "$WORK/py2.json" "$KFP/python_component.yaml" -p x=1 --no-cache
expect_eq "$(json "$WORK/py2.json" "[t['outputs']['Output'] for t in d['tasks'] if t['name']=='add'][0]")" 3 "a second run reuses the environment"
expect_eq "$(ls -d "$SLIPWAY_HOME/pyenvs/"*/ | wc -l)" 1 "one environment per package set"

# Loop iterations chain: the second step reads the same iteration's output, and its dsl.If on the
# loop item skips one iteration only (which then has nothing to collect).
run_json "$WORK/lc.json" "$KFP/loop_chain.yaml"
expect_eq "$rc" 0 "the loop-chain pipeline exits 0"
expect_eq "$(json "$WORK/lc.json" "[t['outputs']['out'] for t in d['tasks'] if t['name'] in ('show', 'show-2')]")" \
  "[['n=1', 'n=2', 'n=3'], ['n=1=x', 'n=3=x']]" "each iteration reads its own upstream output"
expect_eq "$(json "$WORK/lc.json" "[t['state'] for t in d['tasks'] if t['name'] == 'show-2[1]'][0]")" SKIPPED "the condition on the item skips that iteration"

# IfPresent, an importer, artifact metadata, a user cache key and a TASK_FINAL_STATUS input.
printf 'a\nb\nc\n' > "$WORK/data.csv"
run_json "$WORK/f.json" "$KFP/features.yaml" -p data_uri="$WORK/data.csv"
expect_eq "$rc" 0 "the features pipeline exits 0"
out_of() { json "$1" "[t['outputs']['$3'] for t in d['tasks'] if t['name'] == '$2'][0]"; }
expect_eq "$(out_of "$WORK/f.json" greet out)" "args: --name bob" "IfPresent with the input given takes Then"
expect_eq "$(out_of "$WORK/f.json" greet-2 out)" "args: --anonymous" "IfPresent without it takes Else"
expect_eq "$(out_of "$WORK/f.json" count-lines out)" 3 "the importer brought the file in as a Dataset"
expect_eq "$(json "$WORK/f.json" "[t['outputs']['artifact']['metadata'] for t in d['tasks'] if t['name'] == 'importer'][0]")" \
  "{'source': 'test'}" "the importer's metadata is on the artifact"
expect_eq "$(out_of "$WORK/f.json" show-metadata out)" '{"accuracy":0.75}' "an input artifact's metadata placeholder"
expect_eq "$(out_of "$WORK/f.json" report Output)" "COMPLETE exit-handler-1" "the exit handler read the final status, named as KFP names it"
run_json "$WORK/f2.json" "$KFP/features.yaml" -p data_uri="$WORK/data.csv" -p tag=two
expect_eq "$(json "$WORK/f2.json" "[t['cached'] for t in d['tasks'] if t['name'] == 'stamp'][0]")" True "a task with a cacheKey hits the cache though its input changed"
expect_eq "$(json "$WORK/f2.json" "[t['cached'] for t in d['tasks'] if t['name'] == 'importer'][0]")" False "an importer imports afresh"
run_json "$WORK/f3.json" "$KFP/features.yaml" -p data_uri=gs://bucket/data.csv
expect_eq "$rc" 1 "an importer of a remote URI fails the run"
expect_eq "$(out_of "$WORK/f3.json" report Output)" "FAILED exit-handler-1" "the exit handler saw the failure"
"$SLIPWAY" runs logs "$(json "$WORK/f3.json" "d['id']")" importer > "$WORK/imp.log" 2>&1
contains "only local paths and file:// URIs can be read here" "$WORK/imp.log" || fail "importer message: $(cat "$WORK/imp.log")"

# The import report over the fixtures, and over a file that does not import.
"$SLIPWAY" validate --report "$KFP" --output json > "$WORK/report.json"
expect_eq "$(json "$WORK/report.json" "(d['totals']['files'], d['totals']['import'])")" "(7, 7)" "report: 7 files, all import"
expect_eq "$(json "$WORK/report.json" "[r for r in d['files'] if r['file'] == 'loop.yaml'][0]['features']")" "['parallel-for']" "report lists features"
mkdir -p "$WORK/bad"
sed 's/name: comp-use/name: comp-missing/' "$KFP/condition.yaml" > "$WORK/bad/undefined_component.yaml"
"$SLIPWAY" validate --report "$WORK/bad" --output json > "$WORK/bad.json" || true
expect_eq "$(json "$WORK/bad.json" "[r['file'] for r in d['files'] if not r['imports']]")" "['undefined_component.yaml']" "report names the file that does not import"
contains "comp-missing" "$WORK/bad.json" || fail "the report does not say which component is missing"

# Images are recorded, not pulled; asking for a container runtime that is not here says so.
if ! command -v apptainer > /dev/null; then
  set +e
  "$SLIPWAY" run "$KFP/condition.yaml" --container-runtime apptainer 2> "$WORK/ct.err"; rc=$?
  set -e
  expect_eq "$rc" 2 "--container-runtime apptainer without apptainer exits 2"
  contains "apptainer is not available on this machine" "$WORK/ct.err" || fail "message: $(cat "$WORK/ct.err")"
fi
