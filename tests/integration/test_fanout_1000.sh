#!/usr/bin/env bash
# A 1,000-item fan-out of trivial tasks completes, every item recorded.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK/fan.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write("""name: fan1000
params:
  items: {type: list, default: %s}
components:
  noop: {command: ["true"], inputs: {i: int}}
tasks:
  fan: {component: noop, for_each: "{{params.items}}", inputs: {i: "{{item}}"}, cache: false}
""" % list(range(1000)))
PY
start=$(date +%s.%N)
run_json "$WORK/out.json" "$WORK/fan.yaml"
end=$(date +%s.%N)
expect_eq "$rc" 0 "1000-task fan-out exits 0"
expect_eq "$(json "$WORK/out.json" "sum(1 for t in d['tasks'] if t.get('item_index', -1) >= 0 and t['state'] == 'SUCCEEDED')")" 1000 "1000 items succeeded"
echo "info: 1000 tasks in $(python3 -c "print(round($end - $start, 2))") s"
