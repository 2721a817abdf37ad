#!/usr/bin/env bash
# The Slurm backend on the shared test cluster (ctest brings it up before and down after):
# the iris pipeline, a 2-node MPI step, fast failure on a bad partition, cancel, kill -9 + resume
# re-attaching to a running job, and a time limit reported as TIMEOUT.
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
printf 'poll_interval: 200ms\n' > "$SLIPWAY_HOME/slurm.yaml"
mkdir -p "$SLIPWAY_HOME"

# --- iris, unchanged, on Slurm
run_json "$WORK/iris.json" "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" --backend slurm
expect_eq "$rc" 0 "iris on slurm exits 0"
expect_eq "$(json "$WORK/iris.json" "d['state']")" SUCCEEDED "iris on slurm"
expect_eq "$(json "$WORK/iris.json" "all(t['backend_id'].isdigit() for t in d['tasks'])")" True "every task has a Slurm job id"
expect_eq "$(json "$WORK/iris.json" "d['backend']")" slurm "run document names the backend"
expect_eq "$(json "$WORK/iris.json" "d['metrics']['train']['ranks']")" 2.0 "iris trained on 2 MPI ranks under srun"

# --- a KFP-compiled pipeline, unchanged, on Slurm
run_json "$WORK/kfp.json" "$SLIPWAY_SOURCE_DIR/tests/fixtures/kfp/condition.yaml" --backend slurm
expect_eq "$(json "$WORK/kfp.json" "[(t['name'], t['state']) for t in d['tasks']]")" "[('make', 'SUCCEEDED'), ('use', 'SUCCEEDED')]" "KFP IR runs on slurm"

# --- a 2-node MPI step
mpicc -o "$WORK/mpi_allreduce" "$SLIPWAY_SOURCE_DIR/tests/integration/programs/mpi_allreduce.c"
cat > "$WORK/mpi.yaml" <<YAML
name: mpi
components:
  allreduce: {command: ["$WORK/mpi_allreduce"]}
tasks:
  reduce: {component: allreduce, resources: {nodes: 2, tasks_per_node: 1}, cache: false}
YAML
run_json "$WORK/mpi.json" "$WORK/mpi.yaml" --backend slurm
expect_eq "$rc" 0 "2-node MPI step succeeds"
run_id=$(json "$WORK/mpi.json" "d['id']")
"$SLIPWAY" runs logs "$run_id" reduce > "$WORK/mpi.out"
grep -q "sum 3 (expected 3)" "$WORK/mpi.out" || fail "allreduce output: $(cat "$WORK/mpi.out")"
expect_eq "$(grep -o 'on n[0-9]' "$WORK/mpi.out" | sort -u | wc -l)" 2 "the two ranks ran on two different nodes"

# --- a 50-item fan-out is one job array, and its parallelism limit holds
python3 - "$WORK/array.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write("""name: array
params: {items: {type: list, default: %s}}
components:
  work:
    command: [sh, -c, "date +%%s%%N > {{outputs.t}}; sleep 0.5; date +%%s%%N >> {{outputs.t}}; echo $(({{inputs.x}} * 2)) > {{outputs.y}}"]
    inputs: {x: int}
    outputs: {t: Artifact, y: int}
tasks:
  fan: {component: work, for_each: "{{params.items}}", parallelism: 5, inputs: {x: "{{item}}"}, cache: false}
""" % list(range(50)))
PY
run_json "$WORK/array.json" "$WORK/array.yaml" --backend slurm
expect_eq "$rc" 0 "50-item fan-out on slurm succeeds"
expect_eq "$(json "$WORK/array.json" "len({t['backend_id'].split('_')[0] for t in d['tasks'] if t.get('item_index', -1) >= 0})")" 1 "all 50 items ran as one job array"
expect_eq "$(json "$WORK/array.json" "[t['outputs']['y'] for t in d['tasks'] if t['name']=='fan'][0] == [2*i for i in range(50)]")" True "fan-in collects every item's output in order"
overlap=$(json "$WORK/array.json" "max(sum(1 for o in s if o[0] <= a[0] < o[1]) for s in [[tuple(map(int, open(t['outputs']['t']['uri']).read().split())) for t in d['tasks'] if t.get('item_index', -1) >= 0]] for a in s)")
[ "$overlap" -le 5 ] || fail "at most 5 items should run at once, saw $overlap"
pass "parallelism 5 respected (at most $overlap at once)"

# --- nested loops on Slurm: each row of an outer loop is its own job array, a chained step of
# the same iteration starts when that iteration's first step has ended, and the outer loop's
# parallelism 1 runs the rows one after the other.
cat > "$WORK/nested.yaml" <<'YAML'
name: nested
components:
  mul:
    command: [sh, -c, "echo $(({{inputs.a}} * {{inputs.b}})) > {{outputs.y}}"]
    inputs: {a: int, b: int}
    outputs: {y: int}
  inc:
    command: [sh, -c, "echo $(({{inputs.a}} + 1)) > {{outputs.y}}"]
    inputs: {a: int}
    outputs: {y: int}
tasks:
  cell:
    component: mul
    outer_loops: [{loop: rows, for_each: [1, 2], parallelism: 1}]
    for_each: [10, 20, 30]
    loop: cols
    inputs: {a: "{{loops.rows.item}}", b: "{{item}}"}
    cache: false
  next:
    component: inc
    outer_loops: [{loop: rows, for_each: [1, 2], parallelism: 1}]
    for_each: [10, 20, 30]
    loop: cols
    inputs: {a: "{{tasks.cell.outputs.y}}"}
    cache: false
YAML
run_json "$WORK/nested.json" "$WORK/nested.yaml" --backend slurm
expect_eq "$rc" 0 "nested loops on slurm succeed"
expect_eq "$(json "$WORK/nested.json" "[t['outputs']['y'] for t in d['tasks'] if t['name']=='next'][0]")" \
  "[[11, 21, 31], [21, 41, 61]]" "the chained step read its own iteration, collected as a list of rows"
expect_eq "$(json "$WORK/nested.json" "len({t['backend_id'].split('_')[0] for t in d['tasks'] if t['name'].startswith('cell[0][')})")" 1 \
  "a row's items ran as one job array"

# --- compile: plain sbatch scripts chained with afterok, no slipway process while they run
"$SLIPWAY" compile "$PIPELINES/batch.yaml" --backend slurm -o "$WORK/compiled" > /dev/null
first=$("$WORK/compiled/submit.sh" | tail -1 | grep -o '[0-9]*$')
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -o %i)" ] && break
  sleep 0.2
done
expect_eq "$(cat "$WORK/compiled/run/tasks/gather/outputs/all" | tr '\n' ';')" "hello 5 data 1;hello 5 data 2;hello 5 data 3;" \
  "compiled pipeline produced the fan-in output"
[ -f "$WORK/compiled/run/tasks/done/done.txt" ] || fail "the finally job did not run"
pass "compiled pipeline ran with plain sbatch (last job $first)"
set +e
"$SLIPWAY" compile "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" --backend slurm -o "$WORK/iris-c" 2> "$WORK/iris-c.err"; rc=$?
set -e
expect_eq "$rc" 2 "compiling a pipeline with a condition is refused"
contains "task 'register' has a \`when\` condition" "$WORK/iris-c.err" || fail "compile refusal: $(cat "$WORK/iris-c.err")"

# --- an invalid partition fails at once, with Slurm's own words
cat > "$WORK/bad.yaml" <<YAML
name: bad
components:
  c: {command: ["true"]}
tasks:
  t: {component: c, resources: {partition: nosuchpartition}}
YAML
start=$(date +%s)
run_json "$WORK/bad.json" "$WORK/bad.yaml" --backend slurm
expect_eq "$rc" 1 "a bad partition fails the run"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "a bad partition should fail fast"
json "$WORK/bad.json" "[t['message'] for t in d['tasks']][0]" | contains -i "invalid partition" ||
  fail "message: $(json "$WORK/bad.json" "[t['message'] for t in d['tasks']][0]")"
pass "bad partition fails fast with sbatch's message"

# --- cancel leaves no job in squeue
cat > "$WORK/slow.yaml" <<YAML
name: slow
components:
  s: {command: [sleep, "300"]}
tasks:
  a: {component: s, cache: false}
  b: {component: s, cache: false}
YAML
run_id=$("$SLIPWAY" run "$WORK/slow.yaml" --backend slurm --detach)
wait_for_task_state "$run_id" a RUNNING 60
wait_for_task_state "$run_id" b RUNNING 60
"$SLIPWAY" runs cancel "$run_id" | contains CANCELLED || fail "cancel did not report CANCELLED"
sleep 1
expect_eq "$(squeue -h -o '%j' | grep -c "^sw:$run_id:" || true)" 0 "cancel leaves no job of the run in squeue"

# --- kill -9 of the driver, then resume re-attaches to the job still running
cat > "$WORK/resume.yaml" <<YAML
name: resume
components:
  nap: {command: [sh, -c, "sleep {{inputs.s}}; echo slept {{inputs.s}}"], inputs: {s: string}}
tasks:
  slow: {component: nap, inputs: {s: "6"}, cache: false}
  after: {component: nap, inputs: {s: "0"}, after: [slow], cache: false}
YAML
"$SLIPWAY" run "$WORK/resume.yaml" --backend slurm > "$WORK/resume.out" 2>&1 &
driver=$!
for _ in $(seq 1 100); do
  run_id=$("$SLIPWAY" runs ls --pipeline resume --output json | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[0]['id'] if r else '')")
  [ -n "$run_id" ] && break
  sleep 0.1
done
wait_for_task_state "$run_id" slow RUNNING 60
sleep 1  # let the driver record the job id
job=$(json "$WORK/show.json" "[t['backend_id'] for t in d['tasks'] if t['name']=='slow'][0]")
kill -9 "$driver"
wait "$driver" 2>/dev/null || true
squeue -h -j "$job" -o %T | contains RUNNING || fail "job $job should keep running after the driver died"
"$SLIPWAY" runs resume "$run_id" --output json > "$WORK/resumed.json"
expect_eq "$(json "$WORK/resumed.json" "d['state']")" SUCCEEDED "resumed slurm run succeeded"
expect_eq "$(json "$WORK/resumed.json" "[(t['attempts'], t['backend_id']) for t in d['tasks'] if t['name']=='slow'][0]")" \
  "(1, '$job')" "resume re-attached to job $job instead of running it again"

# --- a task past its time limit is TIMEOUT (Slurm enforces limits in whole minutes)
cat > "$WORK/tl.yaml" <<YAML
name: tl
components:
  s: {command: [sleep, "300"]}
tasks:
  t: {component: s, resources: {time_limit: 1m}, cache: false}
YAML
run_json "$WORK/tl.json" "$WORK/tl.yaml" --backend slurm
expect_eq "$rc" 1 "a task past its time limit fails the run"
run_id=$(json "$WORK/tl.json" "d['id']")
"$SLIPWAY" runs show "$run_id" --output json > /dev/null
expect_eq "$(sqlite3 "$SLIPWAY_HOME/slipway.db" "select state from attempts where run_id='$run_id'")" TIMEOUT "the attempt is recorded as TIMEOUT"
json "$WORK/tl.json" "d['tasks'][0]['message']" | contains "TIMEOUT" || fail "message should say TIMEOUT"
pass "time limit reported as TIMEOUT"
