# Shared helpers for the integration tests: a private SLIPWAY_HOME per test, assertions that say
# what was expected, and JSON queries through python3.
set -euo pipefail

: "${SLIPWAY:?set SLIPWAY to the slipway binary}"
: "${SLIPWAY_SOURCE_DIR:?set SLIPWAY_SOURCE_DIR to the source tree}"
export SLIPWAY_HOME
SLIPWAY_HOME=$(mktemp -d /tmp/slipway-it.XXXXXX)
WORK=$(mktemp -d /tmp/slipway-work.XXXXXX)
trap 'rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT
PIPELINES="$SLIPWAY_SOURCE_DIR/tests/integration/pipelines"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# json FILE EXPR: evaluates a Python expression over the parsed JSON document `d`.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

expect_eq() {  # expect_eq ACTUAL EXPECTED WHAT
  [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
  pass "$3"
}

# run_json OUT_FILE ARGS...: runs `slipway run ... --output json`, keeps the exit code in $rc.
run_json() {
  local out=$1
  shift
  set +e
  "$SLIPWAY" run "$@" --output json > "$out" 2> "$out.err"
  rc=$?
  set -e
}

# Processes that still carry a run's id in their environment.
run_processes() {
  local run=$1 n=0
  for e in /proc/[0-9]*/environ; do
    # (a zombie's environ cannot be read: the redirection's own error is silenced too)
    if { tr '\0' '\n' < "$e"; } 2>/dev/null | contains -x "SLIPWAY_RUN_ID=$run"; then n=$((n + 1)); fi
  done
  echo $n
}

# wait_for_task_state RUN TASK STATE [SECONDS]
wait_for_task_state() {
  local run=$1 task=$2 state=$3 limit=${4:-30} i=0
  while [ $i -lt $((limit * 10)) ]; do
    "$SLIPWAY" runs show "$run" --output json > "$WORK/show.json" 2>/dev/null || true
    if [ -s "$WORK/show.json" ] && [ "$(json "$WORK/show.json" "next((t['state'] for t in d['tasks'] if t['name']=='$task'), '')")" == "$state" ]; then
      return 0
    fi
    sleep 0.1
    i=$((i + 1))
  done
  fail "task $task of $run did not reach $state within ${limit}s"
}

# running_run PIPELINE: the id of a RUNNING run of PIPELINE, once one is in the store (10 s).
running_run() {
  local name=$1 id=""
  for _ in $(seq 1 100); do
    id=$("$SLIPWAY" runs ls --output json | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['state']=='RUNNING' and x['pipeline']=='$name']; print(r[0]['id'] if r else '')")
    [ -n "$id" ] && break
    sleep 0.1
  done
  [ -n "$id" ] || fail "no running $name run appeared"
  echo "$id"
}

# wait_for_run_state RUN STATE [SECONDS]
wait_for_run_state() {
  local run=$1 state=$2 limit=${3:-30} i=0
  while [ $i -lt $((limit * 10)) ]; do
    "$SLIPWAY" runs show "$run" --output json > "$WORK/run_state.json" 2>/dev/null || true
    if [ -s "$WORK/run_state.json" ] && [ "$(json "$WORK/run_state.json" "d['state']")" == "$state" ]; then
      return 0
    fi
    sleep 0.1
    i=$((i + 1))
  done
  fail "run $run did not reach $state within ${limit}s (it is $(json "$WORK/run_state.json" "d['state']" 2>/dev/null))"
}

# `cmd | contains PATTERN`: like grep -q, but reads all its input, so the writer never dies of
# SIGPIPE and fails the pipeline under pipefail.
contains() { grep "$@" > /dev/null; }

# ddp_pipeline FILE NAME TASKS: a pipeline whose tasks run tests/integration/programs/ddp_allreduce.py
# (PyTorch gloo, Debian's python3-torch) through slipway launch, each rank reporting into its
# task's `ranks` directory. TASKS is the YAML of the tasks mapping's entries.
ddp_pipeline() {
  local py=/usr/bin/python3
  $py -c "import torch.distributed as d; assert d.is_gloo_available()" || fail "PyTorch with gloo is missing: apt-get install python3-torch"
  cat > "$1" <<YAML
name: $2
components:
  ddp:
    command: [sh, -c, 'mkdir -p "\$0" && exec $py $SLIPWAY_SOURCE_DIR/tests/integration/programs/ddp_allreduce.py "\$0"', "{{outputs.ranks}}"]
    env: {GLOO_SOCKET_IFNAME: lo}
    outputs: {ranks: Artifact}
tasks:
$3
YAML
}


# pypi_env NAME PACKAGES...: the path of a venv with PACKAGES from PyPI, made once under
# $SLIPWAY_PYENVS (as slipway's own Python environments) and shared by the tests.
pypi_env() {
  local env=${SLIPWAY_PYENVS:-/tmp/slipway-pyenvs-$(id -u)}/$1
  shift
  mkdir -p "$(dirname "$env")"
  (
    flock 9
    if [ ! -e "$env/.ready" ]; then
      rm -rf "$env"
      python3 -m venv "$env" && "$env/bin/pip" install --quiet --disable-pip-version-check "$@" &&
        touch "$env/.ready" || { rm -rf "$env"; exit 1; }
    fi
  ) 9> "$env.lock" || fail "cannot install $* from PyPI into $env"
  echo "$env"
}

# kfp_client_env: kfp from PyPI (its client, CLI and kfp-server-api).
kfp_client_env() { pypi_env kfp-client "kfp>=2.13,<3"; }

# serve_client_env: the serving ecosystem from PyPI: the frameworks whose models `slipway serve`
# runs (scikit-learn, XGBoost, LightGBM, ONNX) and the clients users call it with
# (tritonclient[http], kserve).
serve_client_env() {
  pypi_env serve-clients scikit-learn joblib pandas xgboost lightgbm onnx "tritonclient[http]" kserve
}

# wait_for_port_file FILE PID [SECONDS]: the port a daemon wrote, once it has.
wait_for_port_file() {
  local file=$1 pid=$2 limit=${3:-60} i=0
  while [ ! -s "$file" ]; do
    kill -0 "$pid" 2> /dev/null || fail "the daemon (pid $pid) exited before listening"
    [ $i -lt $((limit * 10)) ] || fail "the daemon did not listen within ${limit}s"
    sleep 0.1
    i=$((i + 1))
  done
  cat "$file"
}

# mpijob_file OUT_DIR: an MPIJob v2beta1, the MPI Operator's pi example with an MPI program that is here: slipway's
# allreduce benchmark, checking its sums ("wrong": 0).
mpijob_file() {
  cat <<YAML
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata:
  name: pi
spec:
  slotsPerWorker: 1
  runPolicy:
    cleanPodPolicy: Running
  sshAuthMountPath: /home/mpiuser/.ssh
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-launcher
            command: [mpirun]
            args: [-n, "2", sh, -c, 'echo "rank \$OMPI_COMM_WORLD_RANK of \$OMPI_COMM_WORLD_SIZE on \${SLURMD_NODENAME:-this host} hostfile \$OMPI_MCA_orte_default_hostfile"; exec $(dirname "$SLIPWAY")/slipway-allreduce-bench -b 1K -e 64K -n 2 -w 1 --output json > $1/rank-\$OMPI_COMM_WORLD_RANK.json']
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - image: mpioperator/mpi-pi:openmpi
            name: mpi-worker
            command: [/usr/sbin/sshd]
            args: [-De, -f, /home/mpiuser/.sshd_config]
YAML
}
# check_mpi_ranks DIR: two ranks of one world, every all-reduce right (rank 0 reports).
check_mpi_ranks() {
  /usr/bin/python3 - "$1" <<'PY'
import json, os, sys
out = json.load(open(os.path.join(sys.argv[1], "rank-0.json")))
assert out["ranks"] == 2 and out["rows"] and all(row["wrong"] == 0 for row in out["rows"]), out
PY
}

# katib_lr_experiment NAME < TRIALSPEC: a Katib Experiment on a grid of learning rates (0.1 and
# 0.2, minimizing `loss`, one trial at a time) whose trialSpec is the YAML read from stdin, which
# refers to ${trialParameters.learningRate}.
katib_lr_experiment() {
  cat <<YAML
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: $1
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: grid
  parallelTrialCount: 1
  maxTrialCount: 2
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.1", max: "0.2", step: "0.1"}
  trialTemplate:
    trialParameters:
      - {name: learningRate, reference: lr}
    trialSpec:
YAML
  sed 's/^/      /'
}
