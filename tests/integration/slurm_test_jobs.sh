#!/usr/bin/env bash
# Training job files on the Slurm test cluster: a PyTorchJob's Master and 2 Workers get a node
# each and all-reduce over gloo across them; `compile --backend slurm` writes a script that says
# what it starts and runs when submitted by hand; a driver killed with -9 in the middle of a job
# is resumed, re-attached to the job still running.
source "$(dirname "$0")/lib.sh"
: "${SLURM_CONF:?run through ctest, which starts the test cluster}"
printf 'poll_interval: 200ms\n' > "$SLIPWAY_HOME/slurm.yaml"
py=/usr/bin/python3
mkdir -p "$WORK/jobs"
cp "$SLIPWAY_SOURCE_DIR/tests/integration/programs/job_allreduce.py" "$WORK/jobs/"

# pytorchjob OUT_DIR: a Master + 2 Workers job writing its ranks' reports to OUT_DIR.
pytorchjob() {
  cat <<YAML
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: allreduce
spec:
  runPolicy: {backoffLimit: 0}
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/pytorch/pytorch:2.4.0-cpu
              command: [$py, job_allreduce.py, $1]
              env: [{name: GLOO_SOCKET_IFNAME, value: lo}]
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/pytorch/pytorch:2.4.0-cpu
              command: [$py, job_allreduce.py, $1]
              env: [{name: GLOO_SOCKET_IFNAME, value: lo}]
YAML
}
# check_ranks DIR: three ranks on three nodes all-reduced, with the operator's variables.
check_ranks() {
  $py - "$1" <<'PY'
import json, os, sys
ranks = [json.load(open(os.path.join(sys.argv[1], "rank-%d.json" % r))) for r in range(3)]
for r, got in enumerate(ranks):
    e = got["env"]
    assert got["world"] == 3 and got["sum"] == 6.0, got
    assert e["RANK"] == str(r) and e["WORLD_SIZE"] == "3" and e["PET_NNODES"] == "3", e
assert len({g["env"]["MASTER_ADDR"] + ":" + g["env"]["MASTER_PORT"] for g in ranks}) == 1
nodes = [g["env"]["SLURMD_NODENAME"] for g in ranks]
assert len(set(nodes)) == 3, nodes
print(" ".join(nodes))
PY
}

pytorchjob "$WORK/ranks" > "$WORK/jobs/pytorchjob.yaml"
"$SLIPWAY" run "$WORK/jobs/pytorchjob.yaml" --backend slurm --output json > "$WORK/run.json" 2> "$WORK/run.err" ||
  fail "PyTorchJob on Slurm: $(tail -5 "$WORK/run.err")"
expect_eq "$(json "$WORK/run.json" "d['state']")" SUCCEEDED "the PyTorchJob succeeded on Slurm"
nodes=$(check_ranks "$WORK/ranks") || fail "the replicas' view of the job on Slurm is not the operator's"
pass "Master + 2 Workers all-reduced across nodes $nodes"
"$SLIPWAY" runs logs "$(json "$WORK/run.json" "d['id']")" pytorchjob > "$WORK/logs" 2>&1 || true
contains -q "^\[worker-1\] rank 2 of 3: all-reduced sum 6" "$WORK/logs" || fail "srun's labels are not replica names: $(head "$WORK/logs")"
contains -q "srun --nodes=2 --ntasks=2 --ntasks-per-node=1 --relative=1" "$WORK/logs" || fail "no srun step for the Workers: $(head "$WORK/logs")"
pass "one srun step per replica type; each line named by its replica"

# --- compile: a script that says what it runs, submitted by hand ---
pytorchjob "$WORK/ranks2" > "$WORK/jobs/compiled.yaml"
"$SLIPWAY" compile "$WORK/jobs/compiled.yaml" --backend slurm -o "$WORK/out" > /dev/null 2>&1 || fail "compile --backend slurm failed"
script="$WORK/out/pytorchjob.sbatch"
contains -q "^#SBATCH --nodes=3$" "$script" || fail "the script does not ask for a node per replica"
contains -q "^#   Worker x2 on nodes 1-2: srun --nodes=2" "$script" || fail "the script does not say how the Workers start: $(grep '^#' "$script")"
contains -q "^#     runs: $py job_allreduce.py" "$script" || fail "the script does not say what the replicas run"
jid=$("$WORK/out/submit.sh" | sed -n 's/^pytorchjob: job //p') || fail "the compiled submit.sh failed"
[ -n "$jid" ] || fail "submit.sh did not say the job id"
for _ in $(seq 1 300); do
  state=$(scontrol show job "$jid" 2>/dev/null | grep -o 'JobState=[A-Z]*' | cut -d= -f2)
  case "$state" in COMPLETED|FAILED|CANCELLED|TIMEOUT) break ;; esac
  sleep 0.2
done
expect_eq "$state" COMPLETED "the compiled script submitted with sbatch completed"
check_ranks "$WORK/ranks2" > /dev/null || fail "the hand-submitted job's ranks are wrong"
pass "the compiled script, submitted by hand, ran the job across 3 nodes"

# --- kill -9 of the driver while the replicas run; resume re-attaches ---
cat > "$WORK/jobs/slow.yaml" <<YAML
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: slow}
spec:
  runPolicy: {backoffLimit: 1}
  pytorchReplicaSpecs:
    Master:
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sh, -c, 'sleep 5; echo \$RANK >> $WORK/slow.ran']}]
    Worker:
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sh, -c, 'sleep 5; echo \$RANK >> $WORK/slow.ran']}]
YAML
"$SLIPWAY" run "$WORK/jobs/slow.yaml" --backend slurm > "$WORK/slow.out" 2>&1 &
driver=$!
for _ in $(seq 1 100); do
  run_id=$("$SLIPWAY" runs ls --pipeline slow --output json | $py -c "import json,sys; r=json.load(sys.stdin); print(r[0]['id'] if r else '')")
  [ -n "$run_id" ] && break
  sleep 0.1
done
[ -n "$run_id" ] || fail "the job's run did not appear"
wait_for_task_state "$run_id" pytorchjob RUNNING 60
sleep 1  # let the driver record the Slurm job id
kill -9 "$driver"
wait "$driver" 2>/dev/null || true
"$SLIPWAY" runs resume "$run_id" --output json > "$WORK/resumed.json"
expect_eq "$(json "$WORK/resumed.json" "d['state']")" SUCCEEDED "the resumed job succeeded"
expect_eq "$(json "$WORK/resumed.json" "d['tasks'][0]['attempts']")" 1 "resume re-attached to the running job"
expect_eq "$(sort "$WORK/slow.ran" | tr '\n' ' ')" "0 1 " "each replica ran once"
pass "kill -9 of the driver mid-job, then runs resume: the job finished once, nothing ran twice"

# --- MPIJob v2beta1: the launcher's mpirun, in the batch step, starts 2 ranks in the allocation ---
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # the test machines run as root
mkdir -p "$WORK/mpi"
mpijob_file "$WORK/mpi" > "$WORK/jobs/mpijob.yaml"
"$SLIPWAY" run "$WORK/jobs/mpijob.yaml" --backend slurm --output json > "$WORK/mpi.json" 2> "$WORK/mpi.err" ||
  fail "MPIJob on Slurm: $(tail -5 "$WORK/mpi.err")"
check_mpi_ranks "$WORK/mpi" || fail "the MPIJob's ranks did not all-reduce right on Slurm"
"$SLIPWAY" runs logs "$(json "$WORK/mpi.json" "d['id']")" mpijob > "$WORK/mpi.logs" 2>&1 || true
hostfile=$(sed -n 's/.*rank 0 of 2 on n[0-9]* hostfile //p' "$WORK/mpi.logs")
[ -n "$hostfile" ] || fail "the ranks did not run on Slurm nodes: $(cat "$WORK/mpi.logs")"
expect_eq "$(tr '\n' ' ' < "$hostfile")" "n2 slots=1 n3 slots=1 " "the hostfile names the workers' nodes"
pass "MPIJob v2beta1 on Slurm: mpirun ran 2 ranks of one world in the allocation ($(grep -o 'rank [01] of 2 on n[0-9]*' "$WORK/mpi.logs" | tr '\n' ' '))"

# --- elasticPolicy: --nodes=MIN-MAX, and as many Workers as Slurm gives nodes ---
# The Training Operator's elastic echo example unchanged (Workers 2, minReplicas 1, maxReplicas
# 2), its image's script stood in for; 3 of the 4 nodes are held by another job, so Slurm gives it
# one node and one Worker runs. Debian's torchrun needs PET_REDIRECTS/PET_TEE (docs/jobs.md).
CORPUS=${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/training-operator
if [ -d "$CORPUS" ]; then
  mkdir -p "$WORK/echo" "$WORK/bin"
  ln -sf /usr/bin/python3 "$WORK/bin/python"
  cp "$CORPUS/training-operator@release-1.9@examples__pytorch__elastic__echo__echo.yaml" "$WORK/echo/echo.yaml"
  cp "$SLIPWAY_SOURCE_DIR/tests/integration/programs/torch_example.py" "$WORK/echo/echo.py"
  "$SLIPWAY" compile "$WORK/echo/echo.yaml" --backend slurm -o "$WORK/echo_out" > /dev/null 2>&1 || fail "compile of the elastic job"
  contains -q "^#SBATCH --nodes=1-2$" "$WORK/echo_out/pytorchjob.sbatch" || fail "elasticPolicy 1..2 is not --nodes=1-2: $(grep nodes "$WORK/echo_out/pytorchjob.sbatch")"
  blocker=$(sbatch --parsable --nodes=3 -o /dev/null --wrap "sleep 120")
  for _ in $(seq 1 100); do
    [ "$(squeue -h -j "$blocker" -o %T)" == RUNNING ] && break
    sleep 0.1
  done
  set +e
  PATH="$WORK/bin:/usr/bin:$PATH" PET_REDIRECTS=2 PET_TEE=2 GLOO_SOCKET_IFNAME=lo \
    "$SLIPWAY" run "$WORK/echo/echo.yaml" --backend slurm --output json > "$WORK/echo.json" 2> "$WORK/echo.err"
  rc=$?
  set -e
  scancel "$blocker"
  expect_eq "$rc" 0 "the elastic job ran on what Slurm gave it $(tail -3 "$WORK/echo.err")"
  "$SLIPWAY" runs logs "$(json "$WORK/echo.json" "d['id']")" pytorchjob > "$WORK/echo.logs" 2>&1 || true
  contains -q "srun --nodes=1 --ntasks=1" "$WORK/echo.logs" || fail "one Worker step expected: $(grep srun "$WORK/echo.logs")"
  procs=$(/usr/bin/python3 -c "import os; print(os.cpu_count())")
  expect_eq "$(grep -oE "echo.py rank [0-9]+ of $procs on node 0: sum" "$WORK/echo.logs" | sort -u | wc -l)" "$procs" \
    "one Worker's $procs processes formed the world, within minReplicas 1"
  pass "elasticPolicy became --nodes=1-2; with one node free the job ran with one Worker"
fi
