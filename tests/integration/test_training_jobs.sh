#!/usr/bin/env bash
# Kubeflow training job files run as they are on the local backend: a PyTorchJob (Master + 2
# Workers) all-reduces over gloo with the operator's variables; a TFJob's replicas see the
# TF_CONFIG the Training Operator would write, and its parameter server is stopped once the chief
# succeeds; a failing replica fails the job and stops the others; what cannot run on the host is
# refused at its line.
source "$(dirname "$0")/lib.sh"

py=/usr/bin/python3
$py -c "import torch.distributed as d; assert d.is_gloo_available()" || fail "PyTorch with gloo is missing: apt-get install python3-torch"
mkdir -p "$WORK/jobs"
cp "$SLIPWAY_SOURCE_DIR/tests/integration/programs/job_allreduce.py" "$WORK/jobs/"

# --- PyTorchJob: Master + 2 Workers, the script beside the job file (relative path) ---
cat > "$WORK/jobs/pytorchjob.yaml" <<YAML
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: allreduce
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/pytorch/pytorch:2.4.0-cpu
              command: [$py, job_allreduce.py, $WORK/ranks]
              env:
                - {name: GLOO_SOCKET_IFNAME, value: lo}
                - name: MY_POD
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
    Worker:
      replicas: 2
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/pytorch/pytorch:2.4.0-cpu
              command: [$py, job_allreduce.py, $WORK/ranks]
              env:
                - {name: GLOO_SOCKET_IFNAME, value: lo}
                - name: MY_POD
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
YAML
"$SLIPWAY" validate "$WORK/jobs/pytorchjob.yaml" > "$WORK/validate.out" 2>&1 || fail "validate: $(cat "$WORK/validate.out")"
"$SLIPWAY" run "$WORK/jobs/pytorchjob.yaml" --output json > "$WORK/run.json" 2> "$WORK/run.err" || fail "PyTorchJob run failed: $(cat "$WORK/run.err")"
expect_eq "$(json "$WORK/run.json" "d['state']")" SUCCEEDED "the PyTorchJob succeeded"
run_id=$(json "$WORK/run.json" "d['id']")
$py - "$WORK/ranks" <<'PY' || fail "the replicas' view of the job is not the operator's"
import json, os, sys
d = sys.argv[1]
ranks = [json.load(open(os.path.join(d, "rank-%d.json" % r))) for r in range(3)]
port = ranks[0]["env"]["MASTER_PORT"]
for r, got in enumerate(ranks):
    e = got["env"]
    assert got["world"] == 3 and got["sum"] == 6.0, got
    assert e["RANK"] == str(r) and e["PET_NODE_RANK"] == str(r), e
    assert e["WORLD_SIZE"] == "3" and e["PET_NNODES"] == "3" and e["PET_NPROC_PER_NODE"] == "auto", e
    assert e["MASTER_ADDR"] == "localhost" and e["PET_MASTER_ADDR"] == "localhost", e
    assert e["MASTER_PORT"] == port == e["PET_MASTER_PORT"], e
    assert e["PYTHONUNBUFFERED"] == "1", e
    # No torchrun variables beyond the operator's: the replica runs its command once.
    assert e["LOCAL_RANK"] is None and e["GROUP_RANK"] is None, e
    want = "allreduce-master-0" if r == 0 else "allreduce-worker-%d" % (r - 1)
    assert e["MY_POD"] == want, e
assert 29500 <= int(port) <= 39499, port
PY
pass "Master + 2 Workers all-reduced over gloo (sum 6) with RANK, WORLD_SIZE, MASTER_ADDR/PORT and PET_* as the operator sets them"
"$SLIPWAY" runs logs "$run_id" pytorchjob > "$WORK/logs.out" 2>&1 || true
contains -q "\[worker-1\] rank 2 of 3: all-reduced sum 6" "$WORK/logs.out" || fail "replica output is not relayed with its name: $(head -20 "$WORK/logs.out")"
pass "each replica's output comes back prefixed with its name"

# --- TFJob: Chief + PS + 2 Workers print TF_CONFIG; the PS never ends on its own ---
cat > "$WORK/jobs/tfjob.yaml" <<YAML
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: dist
  namespace: research
spec:
  tfReplicaSpecs:
    PS:
      replicas: 1
      template:
        spec:
          containers:
            - name: tensorflow
              image: tensorflow/tensorflow:2.16.1
              command: [sh, -c, 'echo "\$TF_CONFIG" > $WORK/tf/ps-0.json; exec sleep 600']
    Chief:
      replicas: 1
      template:
        spec:
          containers:
            - name: tensorflow
              image: tensorflow/tensorflow:2.16.1
              command: [sh, -c, 'while [ \$(ls $WORK/tf | wc -l) -lt 3 ]; do sleep 0.1; done; echo "\$TF_CONFIG" > $WORK/tf/chief-0.json']
    Worker:
      replicas: 2
      template:
        spec:
          containers:
            - name: tensorflow
              image: tensorflow/tensorflow:2.16.1
              command: [sh, -c, 'echo "\$TF_CONFIG" > $WORK/tf/worker-\$(echo "\$TF_CONFIG" | $py -c "import json,sys; print(json.load(sys.stdin)[\"task\"][\"index\"])").json']
YAML
mkdir -p "$WORK/tf"
start=$(date +%s)
"$SLIPWAY" run "$WORK/jobs/tfjob.yaml" --output json > "$WORK/tf.json" 2> "$WORK/tf.err" || fail "TFJob run failed: $(cat "$WORK/tf.err")"
took=$(( $(date +%s) - start ))
expect_eq "$(json "$WORK/tf.json" "d['state']")" SUCCEEDED "the TFJob succeeded once its chief did"
[ "$took" -lt 60 ] || fail "the TFJob took ${took}s: its parameter server was not stopped"
$py - "$WORK/tf" <<'PY' || fail "TF_CONFIG is not what the Training Operator writes"
import json, os, sys
d = sys.argv[1]
seen = {}
for name in ["chief-0", "ps-0", "worker-0", "worker-1"]:
    text = open(os.path.join(d, name + ".json")).read().strip()
    cfg = json.loads(text)
    kind, index = name.split("-")
    # genTFConfigJSONStr: cluster keys sorted, then task, then environment "cloud".
    assert list(cfg) == ["cluster", "task", "environment"] and cfg["environment"] == "cloud", text
    assert list(cfg["cluster"]) == ["chief", "ps", "worker"], text
    assert cfg["task"] == {"type": kind, "index": int(index)}, text
    seen[name] = cfg["cluster"]
clusters = list(seen.values())
assert all(c == clusters[0] for c in clusters), clusters
c = clusters[0]
assert [len(c["chief"]), len(c["ps"]), len(c["worker"])] == [1, 1, 2], c
addrs = c["chief"] + c["ps"] + c["worker"]
assert all(a.startswith("localhost:") for a in addrs) and len(set(addrs)) == 4, addrs
PY
pass "every TFJob replica saw the operator's TF_CONFIG (its own task, one address each), and the PS was stopped after the chief succeeded (${took}s)"

# --- a failing Worker fails the job at once and stops the Master ---
cat > "$WORK/jobs/failing.yaml" <<YAML
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: failing}
spec:
  pytorchReplicaSpecs:
    Master:
      restartPolicy: Never
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sleep, "600"]}]
    Worker:
      restartPolicy: Never
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sh, -c, "echo broken; exit 3"]}]
YAML
start=$(date +%s)
"$SLIPWAY" run "$WORK/jobs/failing.yaml" --output json > "$WORK/fail.json" 2> "$WORK/fail.err" && fail "a failing job reported success"
expect_eq "$(json "$WORK/fail.json" "d['state']")" FAILED "a failing Worker fails the job"
[ $(( $(date +%s) - start )) -lt 60 ] || fail "the Master was not stopped when the Worker failed"
expect_eq "$(json "$WORK/fail.json" "d['tasks'][0]['attempts']")" 1 "restartPolicy Never: no retry"
pass "a Worker exiting 3 failed the job and stopped the Master"

# --- what cannot run on the host is refused at its line, before anything starts ---
sed 's/- {name: GLOO_SOCKET_IFNAME, value: lo}/- {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}/' \
  "$WORK/jobs/pytorchjob.yaml" > "$WORK/jobs/secret.yaml"
"$SLIPWAY" run "$WORK/jobs/secret.yaml" > "$WORK/secret.out" 2>&1 && fail "a job reading a Secret ran"
contains -q "secret.yaml:17:.*TOKEN.*Secret" "$WORK/secret.out" || fail "no file:line for the Secret: $(cat "$WORK/secret.out")"
pass "an env var from a Secret is refused at secret.yaml:17 with what to do"

# --- MPIJob v2beta1: the launcher's own mpirun starts 2 ranks on the workers' slots ---
# Open MPI refuses to run as root unless told; the test machines run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$WORK/mpi"
mpijob_file "$WORK/mpi" > "$WORK/jobs/mpijob.yaml"
"$SLIPWAY" run "$WORK/jobs/mpijob.yaml" --output json > "$WORK/mpi.json" 2> "$WORK/mpi.err" || fail "MPIJob: $(tail -5 "$WORK/mpi.err")"
check_mpi_ranks "$WORK/mpi" || fail "the MPIJob's ranks did not all-reduce right"
"$SLIPWAY" runs logs "$(json "$WORK/mpi.json" "d['id']")" mpijob > "$WORK/mpi.logs" 2>&1 || true
hostfile=$(sed -n 's/.*rank 0 of 2 on this host hostfile //p' "$WORK/mpi.logs")
[ -n "$hostfile" ] || fail "the launcher saw no hostfile: $(cat "$WORK/mpi.logs")"
expect_eq "$(cat "$hostfile")" "localhost slots=2" "the hostfile: the 2 workers' slots on this host"
pass "MPIJob v2beta1: the launcher's mpirun ran 2 ranks of one world on the workers' slots; the workers' sshd was not started"

# --- Katib trials that are training jobs: each trial a whole PyTorchJob (Master + Worker) ---
katib_lr_experiment ddp-lr > "$WORK/jobs/katib-pytorchjob.yaml" <<'YAML'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/kubeflowkatib/pytorch-mnist-cpu:latest
              command: [sh, -c, 'echo "rank $RANK of $WORLD_SIZE"; echo "loss=$(python3 -c "print(1 - ${trialParameters.learningRate})")"']
    Worker:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: docker.io/kubeflowkatib/pytorch-mnist-cpu:latest
              command: [sh, -c, 'echo "rank $RANK of $WORLD_SIZE"']
YAML
"$SLIPWAY" sweep "$WORK/jobs/katib-pytorchjob.yaml" -o json > "$WORK/katib.json" 2> "$WORK/katib.err" || fail "Katib sweep of PyTorchJobs: $(tail -5 "$WORK/katib.err")"
expect_eq "$(json "$WORK/katib.json" "(d['state'], len(d['trials']), round(d['best_trial']['objective'], 6), round(d['best_trial']['parameters']['lr'], 6))")" \
  "('SUCCEEDED', 2, 0.8, 0.2)" "a Katib Experiment whose trials are PyTorchJobs: 2 trials, the best loss 0.8 at lr 0.2"
trial_run=$(json "$WORK/katib.json" "d['trials'][0]['run']")
"$SLIPWAY" runs logs "$trial_run" pytorchjob > "$WORK/trial.logs" 2>&1 || true
contains -q "\[worker-0\] rank 1 of 2" "$WORK/trial.logs" || fail "the trial ran no Worker: $(cat "$WORK/trial.logs")"
pass "each trial ran its whole PyTorchJob (Master and Worker with the operator's RANK and WORLD_SIZE)"

# --- A Katib Experiment whose trials are TFJobs logging tfevents (TensorFlowEvent collector) ---
# The trial writes summaries under Katib's container path /mnt/katib/tfevent; each trial gets its
# own copy of that path, and test/accuracy is read from the tfevents files under test/.
cat > "$WORK/jobs/katib-tfjob.yaml" <<YAML
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: tfjob-summaries}
spec:
  parallelTrialCount: 2
  maxTrialCount: 3
  objective:
    type: maximize
    objectiveMetricName: test/accuracy
    additionalMetricNames: [train/loss]
  algorithm: {algorithmName: grid}
  metricsCollectorSpec:
    source:
      fileSystemPath: {path: /mnt/katib/tfevent, kind: Directory}
    collector: {kind: TensorFlowEvent}
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.03", max: "0.07", step: "0.02"}}
  trialTemplate:
    primaryContainerName: tensorflow
    trialParameters: [{name: learningRate, reference: lr}]
    trialSpec:
      apiVersion: kubeflow.org/v1
      kind: TFJob
      spec:
        tfReplicaSpecs:
          Worker:
            replicas: 1
            restartPolicy: OnFailure
            template:
              spec:
                containers:
                  - name: tensorflow
                    image: docker.io/kubeflowkatib/tf-mnist-with-summaries:latest
                    command: [python3, $SLIPWAY_SOURCE_DIR/tests/integration/programs/tfevents_writer.py, "--lr=\${trialParameters.learningRate}", --log-dir=/mnt/katib/tfevent]
YAML
"$SLIPWAY" sweep "$WORK/jobs/katib-tfjob.yaml" -o json > "$WORK/tfjob.json" 2> "$WORK/tfjob.err" || fail "Katib sweep of TFJobs: $(tail -5 "$WORK/tfjob.err")"
expect_eq "$(json "$WORK/tfjob.json" "(d['state'], len(d['trials']), round(d['best_trial']['parameters']['lr'], 6), round(d['best_trial']['objective'], 4), round(d['best_trial']['metrics']['train/loss'], 4))")" \
  "('SUCCEEDED', 3, 0.05, 1.0, 0.6667)" "TFJob trials: test/accuracy and train/loss read from their tfevents files, the best at lr 0.05"
[ ! -e /mnt/katib/tfevent ] || fail "a trial wrote to the container path itself"
pass "each trial wrote its tfevents under a folder of its own, not Katib's container path"

# --- --container-runtime apptainer: each replica in its own image (a fake apptainer records the
# calls and runs the commands on the host; no container runtime can run on these machines) ---
mkdir -p "$WORK/fakebin"
ln -s "$SLIPWAY_SOURCE_DIR/tests/integration/fakes/fake-apptainer" "$WORK/fakebin/apptainer"
export FAKE_APPTAINER_LOG="$WORK/apptainer.log"
cat > "$WORK/jobs/images.yaml" <<'YAML'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: images}
spec:
  pytorchReplicaSpecs:
    Master:
      template:
        spec:
          containers: [{name: pytorch, image: pytorch/pytorch:2.4.0, command: [sh, -c, 'echo master $RANK']}]
    Worker:
      template:
        spec:
          containers: [{name: pytorch, image: docker.io/pytorch/pytorch:2.4.0, args: [sh, -c, 'echo worker $RANK']}]
YAML
PATH="$WORK/fakebin:$PATH" "$SLIPWAY" run "$WORK/jobs/images.yaml" --container-runtime apptainer \
  --output json > "$WORK/ct.json" 2> "$WORK/ct.err" || fail "the job in its images: $(tail -3 "$WORK/ct.err")"
contains -q "^apptainer exec --pwd $WORK/jobs docker://pytorch/pytorch:2.4.0 sh -c echo master \$RANK$" "$WORK/apptainer.log" ||
  fail "the Master did not run in its image: $(cat "$WORK/apptainer.log")"
contains -q "^apptainer run docker://docker.io/pytorch/pytorch:2.4.0 sh -c echo worker \$RANK$" "$WORK/apptainer.log" ||
  fail "the Worker (args only) did not run its image's entrypoint: $(cat "$WORK/apptainer.log")"
"$SLIPWAY" runs logs "$(json "$WORK/ct.json" "d['id']")" pytorchjob > "$WORK/ct.logs" 2>&1 || true
contains -q "\[worker-0\] worker 1" "$WORK/ct.logs" || fail "the Worker's output: $(cat "$WORK/ct.logs")"
pass "with --container-runtime apptainer each replica runs in its own image (exec COMMAND, or run for the image's entrypoint), with its operator's variables"
