#!/usr/bin/env bash
# Bad input: exit code 2, a file:line:column error, and nothing run.
source "$(dirname "$0")/lib.sh"

set +e
"$SLIPWAY" run "$PIPELINES/malformed.yaml" > "$WORK/out" 2> "$WORK/err"
rc=$?
set -e
expect_eq "$rc" 2 "malformed pipeline exits 2"
grep -q "malformed.yaml:9:5: error: unknown key 'after_tasks' in task 'b' (did you mean 'after'?)" "$WORK/err" || { cat "$WORK/err"; fail "unknown key error"; }
grep -q "dependency cycle: " "$WORK/err" || { cat "$WORK/err"; fail "cycle error"; }
grep -q "no pipeline parameter 'rate' (did you mean 'rates'?)" "$WORK/err" || { cat "$WORK/err"; fail "undefined param error"; }
pass "errors name file, line, column and a suggestion"
"$SLIPWAY" runs ls --output json > "$WORK/ls.json"
expect_eq "$(json "$WORK/ls.json" "len(d)")" 0 "nothing was run"

set +e
"$SLIPWAY" validate "$PIPELINES/malformed.yaml" > /dev/null 2>&1; rc=$?
set -e
expect_eq "$rc" 2 "validate exits 2 on a malformed file"
"$SLIPWAY" validate "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" > /dev/null
pass "validate exits 0 on the iris pipeline"

set +e
"$SLIPWAY" run "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" -p step=3 2> "$WORK/err2"; rc=$?
set -e
expect_eq "$rc" 2 "unknown parameter exits 2"
grep -q "no parameter 'step' (did you mean 'steps'?)" "$WORK/err2" || fail "unknown -p message: $(cat "$WORK/err2")"
set +e
"$SLIPWAY" run "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" -p steps=many 2> "$WORK/err3"; rc=$?
"$SLIPWAY" run /nonexistent.yaml 2> "$WORK/err4"; rc2=$?
"$SLIPWAY" run "$PIPELINES/too_big.yaml" 2> "$WORK/err5"; rc3=$?
set -e
expect_eq "$rc" 2 "a mistyped parameter exits 2"
expect_eq "$rc2" 2 "a missing file exits 2"
expect_eq "$rc3" 2 "a task larger than the machine exits 2"
grep -q "asks for 100000.* CPUs" "$WORK/err5" || fail "resources message: $(cat "$WORK/err5")"
pass "oversized task is refused before anything runs"

# --help of a command with required arguments prints its usage and exits 0.
for cmd in sweep models serve; do
  "$SLIPWAY" $cmd --help > "$WORK/help" 2>&1 || fail "slipway $cmd --help exits non-zero: $(cat "$WORK/help")"
  contains "usage: slipway $cmd" "$WORK/help" || fail "slipway $cmd --help prints no usage: $(cat "$WORK/help")"
done
pass "--help prints the usage before required arguments are checked"
# Bad serving settings exit 2 before anything listens.
printf 'prot: 8080\n' > "$WORK/serve.yaml"
for args in "--port 99999" "--config $WORK/serve.yaml" "--host not-an-address --port 0"; do
  set +e
  timeout 10 "$SLIPWAY" serve --model-repo "$WORK/models" $args > /dev/null 2> "$WORK/err"; rc=$?
  set -e
  expect_eq "$rc" 2 "slipway serve $args exits 2 ($(head -1 "$WORK/err"))"
done
