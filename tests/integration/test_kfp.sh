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

# The import report over the fixtures: every file accounted for, the refused one with its reason.
"$SLIPWAY" validate --report "$KFP" --output json > "$WORK/report.json"
expect_eq "$(json "$WORK/report.json" "(d['totals']['files'], d['totals']['import'])")" "(6, 5)" "report: 6 files, 5 import"
expect_eq "$(json "$WORK/report.json" "[r['file'] for r in d['files'] if not r['imports']]")" "['loop_chain.yaml']" "report names the file that does not import"
expect_eq "$(json "$WORK/report.json" "[r for r in d['files'] if r['file'] == 'loop.yaml'][0]['features']")" "['parallel-for']" "report lists features"

# Images are recorded, not pulled; asking for a container runtime that is not here says so.
if ! command -v apptainer > /dev/null; then
  set +e
  "$SLIPWAY" run "$KFP/condition.yaml" --container-runtime apptainer 2> "$WORK/ct.err"; rc=$?
  set -e
  expect_eq "$rc" 2 "--container-runtime apptainer without apptainer exits 2"
  contains "apptainer is not available on this machine" "$WORK/ct.err" || fail "message: $(cat "$WORK/ct.err")"
fi
