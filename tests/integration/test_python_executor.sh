#!/usr/bin/env bash
# KFP Python steps forked by a warm executor behave as steps started from scratch: nothing one
# step leaves behind reaches the next, a crash, a timeout and a cancel end them as they end a
# fresh interpreter, and the run's results are the same with the executors off.
source "$(dirname "$0")/lib.sh"
export SLIPWAY_PYENVS=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}
mkdir -p "$SLIPWAY_PYENVS"
KFP=$(kfp_client_env)
# A package whose module starts a thread when imported.
mkdir -p "$WORK/threaded/threaded_at_import"
cat > "$WORK/threaded/pyproject.toml" <<'TOML'
[project]
name = "threaded-at-import"
version = "1.0"
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
TOML
cat > "$WORK/threaded/threaded_at_import/__init__.py" <<'PY'
import threading
import time
worker = threading.Thread(target=lambda: time.sleep(3600), daemon=True)
worker.start()
PY
THREADED_PACKAGE="$WORK/threaded" "$KFP/bin/python" "$SLIPWAY_SOURCE_DIR/tests/integration/programs/python_steps_faults.py" "$WORK" 2> /dev/null
executors_of() { ls "$SLIPWAY_HOME/runs/$1/python-executors" 2> /dev/null | wc -l; }
task_of() { json "$1" "[t['$3'] for t in d['tasks'] if t['name'] == '$2'][0]"; }

# The first run builds the environment (its first step starts cold and installs), the second is
# warm from its first step.
run_json "$WORK/i0.json" "$WORK/isolation.yaml" --no-cache
expect_eq "$rc" 0 "the isolation pipeline runs"
run_json "$WORK/i1.json" "$WORK/isolation.yaml" --no-cache
expect_eq "$rc" 0 "the isolation pipeline runs warm"
expect_eq "$(executors_of "$(json "$WORK/i1.json" "d['id']")")" 1 "one warm executor served both steps"
expect_eq "$(task_of "$WORK/i1.json" look-around outputs)" \
  "{'Output': 'env:clean threads:1 module:clean attribute:clean group:own cwd:task task:look-around'}" \
  "the second step sees nothing the first left: no variable, thread, patch or attribute"
a_log=$("$SLIPWAY" runs logs "$(json "$WORK/i1.json" "d['id']")" leave-traces 2>&1)
echo "$a_log" | contains "the late thread finished" || fail "the step ended before its non-daemon thread (log: $a_log)"
pass "a step's non-daemon thread is waited for, as by a fresh interpreter"
SLIPWAY_WARM_PYTHON=0 run_json "$WORK/i2.json" "$WORK/isolation.yaml" --no-cache
expect_eq "$(executors_of "$(json "$WORK/i2.json" "d['id']")")" 0 "SLIPWAY_WARM_PYTHON=0 starts no executor"
expect_eq "$(json "$WORK/i2.json" "[(t['name'], t['state'], t['outputs']) for t in d['tasks']]")" \
  "$(json "$WORK/i1.json" "[(t['name'], t['state'], t['outputs']) for t in d['tasks']]")" \
  "states and outputs are the same without the executor"

# A segfault: the step dies of the signal, warm or cold.
run_json "$WORK/c1.json" "$WORK/crash.yaml" --no-cache
expect_eq "$rc" 1 "a crashing step fails the run"
expect_eq "$(executors_of "$(json "$WORK/c1.json" "d['id']")")" 1 "the crash ran in a forked step"
expect_eq "$(task_of "$WORK/c1.json" crash message)" "killed by signal Segmentation fault" "a segfault kills the step"
SLIPWAY_WARM_PYTHON=0 run_json "$WORK/c2.json" "$WORK/crash.yaml" --no-cache
expect_eq "$(task_of "$WORK/c2.json" crash message)" "killed by signal Segmentation fault" "the same without the executor"

# A timeout (the deadline kfp-kubernetes writes) stops the forked step and its process group.
python3 - "$WORK/sleep.yaml" "$WORK/timeout.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
text += "---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors:\n        exec-sleep-long:\n          activeDeadlineSeconds: 2\n"
open(sys.argv[2], "w").write(text)
PY
start=$(date +%s)
run_json "$WORK/t.json" "$WORK/timeout.yaml" --no-cache
expect_eq "$rc" 1 "a step past its deadline fails the run"
[ $(($(date +%s) - start)) -lt 30 ] || fail "the timeout took $(($(date +%s) - start)) s"
expect_eq "$(executors_of "$(json "$WORK/t.json" "d['id']")")" 1 "the timed-out step was forked"
task_of "$WORK/t.json" sleep-long message | contains -i "timed out\|timeout\|deadline" || fail "the message does not name the timeout: $(task_of "$WORK/t.json" sleep-long message)"
pass "the timeout ends the step: $(task_of "$WORK/t.json" sleep-long message)"
expect_eq "$(run_processes "$(json "$WORK/t.json" "d['id']")")" 0 "no process of the timed-out run is left"

# A cancel from another shell stops the forked step; nothing of the run is left.
run_id=$("$SLIPWAY" run "$WORK/sleep.yaml" --no-cache --detach)
wait_for_task_state "$run_id" sleep-long RUNNING 60
for _ in $(seq 50); do
  [ "$(executors_of "$run_id")" = 1 ] && grep -q sleeping "$SLIPWAY_HOME/runs/$run_id/tasks/sleep-long/attempt-1.out" 2> /dev/null && break
  sleep 0.1
done
expect_eq "$(executors_of "$run_id")" 1 "the step to cancel was forked"
"$SLIPWAY" runs cancel "$run_id" | contains CANCELLED || fail "cancel did not report CANCELLED"
"$SLIPWAY" runs show "$run_id" --output json > "$WORK/cancel.json"
expect_eq "$(task_of "$WORK/cancel.json" sleep-long state)" CANCELLED "the forked step is cancelled"
sleep 0.5
expect_eq "$(run_processes "$run_id")" 0 "cancel left no process: neither the step nor its executor"

# The driver killed with -9: its executor ends with it (end of file on its socket), the step it
# forked is found by the run's id like any step, and the resumed run finishes.
"$SLIPWAY" run "$WORK/sleep.yaml" --no-cache -p seconds=3 > "$WORK/killed.out" 2>&1 &
driver=$!
run_id=$(running_run sleep)
wait_for_task_state "$run_id" sleep-long RUNNING 60
for _ in $(seq 50); do
  grep -q sleeping "$SLIPWAY_HOME/runs/$run_id/tasks/sleep-long/attempt-1.out" 2> /dev/null && break
  sleep 0.1
done
expect_eq "$(executors_of "$run_id")" 1 "the step was forked before the driver is killed"
executor=$(pgrep -f "_slipway_python_executor" -P "$driver" || true)
[ -n "$executor" ] || fail "no executor process under the driver $driver"
kill -9 "$driver"
wait "$driver" 2> /dev/null || true
for _ in $(seq 50); do kill -0 "$executor" 2> /dev/null || break; sleep 0.1; done
kill -0 "$executor" 2> /dev/null && fail "the executor $executor outlived its driver"
pass "the executor ended with its driver"
"$SLIPWAY" runs resume "$run_id" --output json > "$WORK/resumed.json" 2> /dev/null || true
expect_eq "$(json "$WORK/resumed.json" "d['state']")" SUCCEEDED "the resumed run finishes after its driver was killed"
sleep 0.5
expect_eq "$(run_processes "$run_id")" 0 "nothing of the run is left after the resume"

# A package that does not exist: the step fails with the installer's own error, uv's and pip's.
run_json "$WORK/b1.json" "$WORK/broken.yaml"
expect_eq "$rc" 1 "a step whose package does not exist fails the run"
task_of "$WORK/b1.json" needs-missing-package message |
  contains "uv says: error: .*slipway-no-such-package-anywhere was not found in the package registry" ||
  fail "uv's error is not the step's message: $(task_of "$WORK/b1.json" needs-missing-package message)"
pass "the step's message is uv's own error"
SLIPWAY_UV=off run_json "$WORK/b2.json" "$WORK/broken.yaml"
task_of "$WORK/b2.json" needs-missing-package message |
  contains "pip says: ERROR: Could not find a version that satisfies the requirement slipway-no-such-package-anywhere==0.0.1" ||
  fail "pip's error is not the step's message: $(task_of "$WORK/b2.json" needs-missing-package message)"
pass "with SLIPWAY_UV=off the message is pip's own error"

# A module that starts a thread at import is left for the step to import: its thread is alive.
run_json "$WORK/th0.json" "$WORK/threaded.yaml" --no-cache
expect_eq "$rc" 0 "the step with a threaded module runs (building its environment)"
run_json "$WORK/th1.json" "$WORK/threaded.yaml" --no-cache
th_run=$(json "$WORK/th1.json" "d['id']")
expect_eq "$(executors_of "$th_run")" 1 "the step was forked"
expect_eq "$(task_of "$WORK/th1.json" uses-threaded-module outputs)" "{'Output': 'threads:2 alive:True'}" \
  "the module's thread runs in the step, as in a fresh interpreter"
cat "$SLIPWAY_HOME/runs/$th_run/python-executors/"*.log | contains "not preloading threaded_at_import" ||
  fail "the executor did not say it left threaded_at_import out"
pass "the executor left the threaded module out of its preload"
