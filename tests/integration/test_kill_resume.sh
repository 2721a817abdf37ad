#!/usr/bin/env bash
# kill -9 of the driver in the middle of a run, then `runs resume`: the run finishes, succeeded
# tasks do not run again, and no process of the run is left behind.
source "$(dirname "$0")/lib.sh"

export COUNT_DIR="$WORK"
cat > "$WORK/p.yaml" <<YAML
name: killme
components:
  count:
    command: [sh, -c, "echo x >> $WORK/{{inputs.name}}.count; sleep {{inputs.secs}}"]
    inputs: {name: string, secs: string}
tasks:
  first: {component: count, inputs: {name: first, secs: "0"}}
  slow: {component: count, inputs: {name: slow, secs: "3"}, after: [first]}
  last: {component: count, inputs: {name: last, secs: "0"}, after: [slow]}
YAML

"$SLIPWAY" run "$WORK/p.yaml" > "$WORK/run.out" 2>&1 &
driver=$!
run_id=$(running_run killme)
wait_for_task_state "$run_id" slow RUNNING
kill -9 "$driver"
wait "$driver" 2>/dev/null || true
pass "driver of $run_id killed with -9 while 'slow' ran"
[ "$(run_processes "$run_id")" -ge 1 ] || fail "expected the task's process to outlive the killed driver"

"$SLIPWAY" runs resume "$run_id" --output json > "$WORK/resumed.json"
expect_eq "$(json "$WORK/resumed.json" "d['state']")" SUCCEEDED "resumed run succeeded"
expect_eq "$(wc -l < "$WORK/first.count")" 1 "succeeded task 'first' did not run again"
expect_eq "$(wc -l < "$WORK/last.count")" 1 "'last' ran once"
expect_eq "$(run_processes "$run_id")" 0 "no orphaned processes remain"
"$SLIPWAY" runs show "$run_id" --output json > "$WORK/show.json"
expect_eq "$(json "$WORK/show.json" "[t['attempts'] for t in d['tasks'] if t['name']=='slow'][0]")" 2 "'slow' shows the lost attempt and the new one"

# Resuming a finished run is a no-op that says so.
"$SLIPWAY" runs resume "$run_id" 2> "$WORK/again.err"
grep -q "nothing to resume" "$WORK/again.err" || fail "resume of a finished run: $(cat "$WORK/again.err")"
pass "resume of a finished run says there is nothing to do"
