#!/usr/bin/env bash
# What a user sees when the store fails under a driver or a sweep controller (SLIPWAY_STORE_FAULTS
# makes that process's writes fail from the Nth on, as a full disk would; store/fault_vfs.h): the
# process stops with a message that says how to go on, the run or sweep is left resumable, and
# resume finishes it with every task, and every trial, done exactly once.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
q() { sqlite3 "$SLIPWAY_HOME/slipway.db" "$1"; }

"$SLIPWAY" runs ls > /dev/null  # creates the store, so the faults below hit the runs themselves
stopped=0
for n in 5 20 40 80 120; do
  before=$(q "SELECT COUNT(*) FROM runs")
  set +e
  SLIPWAY_STORE_FAULTS="write@$n+" "$SLIPWAY" run "$PIPELINES/batch.yaml" --no-cache > "run-$n.out" 2> "run-$n.err"
  code=$?
  set -e
  if [ "$(q "SELECT COUNT(*) FROM runs")" -eq "$before" ]; then
    [ $code -ne 0 ] || fail "no run was stored, yet the command succeeded"
    pass "writes from #$n fail: the run was never stored, and the command says so ($(head -c 80 "run-$n.err"))"
    continue
  fi
  run=$(q "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1")
  if [ $code -eq 0 ]; then continue; fi  # the faults began after the run's last write
  stopped=$((stopped + 1))
  expect_eq "$code" 1 "writes from #$n fail: the driver exits 1"
  contains -F "slipway runs resume $run" "run-$n.err" || fail "the error should say how to go on: $(cat "run-$n.err")"
  "$SLIPWAY" runs resume "$run" > /dev/null 2> "resume-$n.err" || fail "resume after the fault at #$n: $(cat "resume-$n.err")"
  expect_eq "$(q "SELECT state FROM runs WHERE id = '$run'")" SUCCEEDED "resumed after the fault at write #$n"
  expect_eq "$(q "SELECT COUNT(*) FROM (SELECT task FROM attempts WHERE run_id = '$run' GROUP BY task
                  HAVING SUM(state = 'SUCCEEDED') != 1)")" 0 "every task succeeded exactly once"
done
[ $stopped -ge 3 ] || fail "the faults stopped only $stopped of the runs"

cat > sweep.yaml <<'YAML'
name: faulty
objective: {minimize: f}
algorithm: random
parallel: 2
max_trials: 6
seed: 1
parameters: {x: {type: double, min: 0, max: 1}}
trial: {command: [sh, -c, "sleep 0.3; echo f=${x}"]}
YAML
sstopped=0
for n in 3 15 40 90; do
  before=$(q "SELECT COUNT(*) FROM sweeps")
  set +e
  SLIPWAY_STORE_FAULTS="write@$n+" "$SLIPWAY" sweep sweep.yaml > "sweep-$n.out" 2> "sweep-$n.err"
  code=$?
  set -e
  [ $code -ne 0 ] || continue
  [ "$(q "SELECT COUNT(*) FROM sweeps")" -gt "$before" ] || continue  # never stored: nothing to resume
  sweep=$(q "SELECT id FROM sweeps ORDER BY created_ms DESC LIMIT 1")
  sstopped=$((sstopped + 1))
  contains -F "slipway sweep resume $sweep" "sweep-$n.err" || fail "the sweep's error should say how to go on: $(cat "sweep-$n.err")"
  "$SLIPWAY" sweep resume "$sweep" > /dev/null 2> "sresume-$n.err" || fail "sweep resume after the fault at #$n: $(cat "sresume-$n.err")"
  expect_eq "$(q "SELECT COUNT(*), COUNT(DISTINCT run_id), SUM(state = 'SUCCEEDED') FROM trials WHERE sweep_id = '$sweep'")" \
    "6|6|6" "after the fault at write #$n: 6 trials, one run each, all succeeded"
  expect_eq "$(q "SELECT COUNT(*) FROM runs WHERE json_extract(options, '\$.sweep') = '$sweep'")" 6 "no trial was started twice"
done
[ $sstopped -ge 2 ] || fail "the faults stopped only $sstopped of the sweeps"
