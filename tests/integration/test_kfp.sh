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

set +e
"$SLIPWAY" run "$KFP/python_component.yaml" 2> "$WORK/py.err"; rc=$?
set -e
expect_eq "$rc" 2 "a pipeline with Python components is refused with exit 2"
contains "not supported yet" "$WORK/py.err" || fail "message: $(cat "$WORK/py.err")"
