#!/usr/bin/env bash
# Corrupt stored data is an error, never a silent default: a JSON column damaged with sqlite3 (as a
# disk fault or a hand edit would leave it) makes the commands that read it fail with a message
# that names the table, the row and the column, while the rest of the store stays readable.
source "$(dirname "$0")/lib.sh"
DB="$SLIPWAY_HOME/slipway.db"

run_json "$WORK/a.json" "$PIPELINES/batch.yaml"
expect_eq "$rc" 0 "a run to damage"
a=$(json "$WORK/a.json" "d['id']")
run_json "$WORK/b.json" "$PIPELINES/batch.yaml" --no-cache
b=$(json "$WORK/b.json" "d['id']")

# expect_corrupt WHAT PATTERN CMD...: CMD exits 1 and its error matches PATTERN.
expect_corrupt() {
  local what=$1 pattern=$2
  shift 2
  set +e
  "$@" > "$WORK/out" 2> "$WORK/err"
  local code=$?
  set -e
  expect_eq "$code" 1 "$what: exit 1"
  contains -F -e "$pattern" "$WORK/err" || fail "$what: expected '$pattern' in: $(cat "$WORK/err")"
  contains -F "restore the store" "$WORK/err" || fail "$what: the error should say what to do"
}

sqlite3 "$DB" "UPDATE runs SET params = '{\"items\": [1, 2' WHERE id = '$a'"
expect_corrupt "runs show of a damaged run" "table runs, row id=$a, column params is not valid JSON" \
  "$SLIPWAY" runs show "$a"
expect_corrupt "runs ls over a damaged run" "table runs, row id=$a, column params" "$SLIPWAY" runs ls
"$SLIPWAY" runs show "$b" --output json > "$WORK/b-show.json" || fail "an intact run stays readable"
expect_eq "$(json "$WORK/b-show.json" "d['state']")" SUCCEEDED "an intact run stays readable"

sqlite3 "$DB" "UPDATE tasks SET outputs = 'not json' WHERE run_id = '$b' AND name = 'make'"
expect_corrupt "runs show of a damaged task" "table tasks, row run_id=$b name=make, column outputs" \
  "$SLIPWAY" runs show "$b"

sqlite3 "$DB" "UPDATE artifacts SET metadata = '{' WHERE run_id = '$b' AND task = 'gather'"
id=$(sqlite3 "$DB" "SELECT id FROM artifacts WHERE run_id = '$b' AND task = 'gather'")
expect_corrupt "lineage of a damaged artifact" "table artifacts, row id=$id, column metadata" \
  "$SLIPWAY" lineage "$id"
