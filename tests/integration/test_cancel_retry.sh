#!/usr/bin/env bash
# `runs cancel` of a detached run leaves no process; `runs retry` reruns only what failed.
source "$(dirname "$0")/lib.sh"

cat > "$WORK/slow.yaml" <<YAML
name: slow
components:
  sleeper: {command: [sh, -c, "sleep 30 & sleep 30"]}
tasks:
  a: {component: sleeper}
  b: {component: sleeper, after: [a]}
YAML
run_id=$("$SLIPWAY" run "$WORK/slow.yaml" --detach)
wait_for_task_state "$run_id" a RUNNING
"$SLIPWAY" runs cancel "$run_id" | contains CANCELLED || fail "cancel did not report CANCELLED"
"$SLIPWAY" runs show "$run_id" --output json > "$WORK/c.json"
expect_eq "$(json "$WORK/c.json" "d['state']")" CANCELLED "cancelled run state"
expect_eq "$(json "$WORK/c.json" "[t['state'] for t in d['tasks']]")" "['CANCELLED', 'CANCELLED']" "tasks cancelled"
sleep 0.5
expect_eq "$(run_processes "$run_id")" 0 "cancel left no processes"

# A run that fails until a flag file exists; retry after fixing it.
cat > "$WORK/flaky.yaml" <<YAML
name: flaky
components:
  step:
    command: [sh, -c, "echo x >> $WORK/{{inputs.n}}.count; test {{inputs.n}} != b || test -f $WORK/fixed"]
    inputs: {n: string}
tasks:
  a: {component: step, inputs: {n: a}}
  b: {component: step, inputs: {n: b}, after: [a]}
  c: {component: step, inputs: {n: c}, after: [b]}
YAML
set +e
"$SLIPWAY" run "$WORK/flaky.yaml" --output json > "$WORK/f1.json" 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 1 "failing run exits 1"
run_id=$(json "$WORK/f1.json" "d['id']")
expect_eq "$(json "$WORK/f1.json" "[t['state'] for t in d['tasks']]")" "['SUCCEEDED', 'FAILED', 'UPSTREAM_FAILED']" "states after failure"
touch "$WORK/fixed"
"$SLIPWAY" runs retry "$run_id" --output json > "$WORK/f2.json"
expect_eq "$(json "$WORK/f2.json" "d['state']")" SUCCEEDED "retried run succeeded"
expect_eq "$(wc -l < "$WORK/a.count")" 1 "succeeded task a did not rerun"
expect_eq "$(wc -l < "$WORK/b.count")" 2 "failed task b ran again"
