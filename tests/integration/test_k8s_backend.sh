#!/usr/bin/env bash
# The Kubernetes backend against a FAKE kubectl (tests/integration/fakes/fake-kubectl): no API
# server can run on these machines. The fake answers with the API's documented shapes and runs
# each pod as local processes, so whole pipelines run: iris, a fan-out, a 2-node PyTorchJob.
# Checked here: apply / one get per poll / state mapping / logs / cancel by delete / re-attach
# after kill -9 of the driver / kubectl's refusals passed on verbatim / clear set-up errors; and
# every object rendered (runs, `compile --backend k8s`, `models deploy`, k8s/deploy) against the
# official schemas.
source "$(dirname "$0")/lib.sh"

FAKE="$SLIPWAY_SOURCE_DIR/tests/integration/fakes/fake-kubectl"
SCHEMAS="$SLIPWAY_SOURCE_DIR/tests/fixtures/k8s-schemas"
CHECK="$SLIPWAY_SOURCE_DIR/tests/integration/programs/k8s_schema_check.py"
export FAKE_KUBECTL_STATE="$WORK/cluster"
cat > "$SLIPWAY_HOME/k8s.yaml" <<YAML
kubectl: $FAKE
namespace: ml
image: registry.example/slipway:test
run_root: {host_path: $SLIPWAY_HOME}
node_selector: {node.kubernetes.io/instance-type: gpu}
poll_interval: 200ms
YAML
count() { grep -c -- "$1" "$FAKE_KUBECTL_STATE/calls.log" || true; }

# --- set-up errors say what to do ---------------------------------------------------------------
# expect_setup_error CONFIG_FILE PATTERN WHAT: `run --backend k8s` refuses to start, exit 2,
# with an error matching PATTERN.
expect_setup_error() {
  set +e
  SLIPWAY_K8S_CONFIG="$1" "$SLIPWAY" run "$PIPELINES/batch.yaml" --backend k8s > "$WORK/setup.err" 2>&1
  local code=$?
  set -e
  expect_eq "$code" 2 "$3: exit 2"
  contains "$2" "$WORK/setup.err" || fail "$3: the error should match '$2': $(cat "$WORK/setup.err")"
}
expect_setup_error /dev/null "run_root.pvc" "no run_root volume in the config"
printf 'kubectl: /nonexistent/kubectl\nrun_root: {pvc: x}\n' > "$WORK/nokubectl.yaml"
expect_setup_error "$WORK/nokubectl.yaml" "needs kubectl" "kubectl missing"
printf 'run_root: {pvc: x}\ndistributed: horovod\n' > "$WORK/badcfg.yaml"
expect_setup_error "$WORK/badcfg.yaml" "badcfg.yaml:2:.*distributed must be pytorchjob or mpijob" "a bad config value, with file:line"

# --- a fan-out pipeline: one get per poll, never one per task ------------------------------------
run_json "$WORK/batch.json" "$PIPELINES/batch.yaml" --backend k8s
expect_eq "$rc" 0 "batch pipeline on k8s: exit 0"
expect_eq "$(json "$WORK/batch.json" "d['state']")" SUCCEEDED "batch pipeline on k8s succeeded"
batch=$(json "$WORK/batch.json" "d['id']")
expect_eq "$(grep ' apply ' "$FAKE_KUBECTL_STATE/calls.log" | grep -o ' -f ' | wc -l)" 6 "six objects applied (make, 3 items, gather, done)"
expect_eq "$(count ' apply -f ')" 5 "in five kubectl calls: the two items ready together went in one"
gets=$(count ' get jobs.batch,pods -l slipway.dev/run=')
other=$(count ' get ' ); expect_eq "$other" "$gets" "every get is the run's one labelled list"
polls=$(sqlite3 "$SLIPWAY_HOME/slipway.db" "select detail from events where run_id='$batch' and kind='BACKEND_STATS' order by id desc limit 1" | python3 -c "import json,sys; print(json.load(sys.stdin)['polls'])")
[ "$gets" -le "$polls" ] || fail "kubectl get calls ($gets) exceed poll ticks ($polls)"
pass "kubectl get calls ($gets) <= poll ticks ($polls) for 6 objects"
contains -x "hello 5 data 2" "$SLIPWAY_HOME/runs/$batch/tasks/use.1/outputs/out" || fail "item 1 read its upstream's parameter and artifact"
pass "fan-out items got their inputs through the shared run root"

# --- iris on k8s: the demo pipeline, logs in the pod's log and in the run's files ----------------
: > "$FAKE_KUBECTL_STATE/calls.log"
run_json "$WORK/iris.json" "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" --backend k8s -p steps=200
expect_eq "$(json "$WORK/iris.json" "d['state']")" SUCCEEDED "iris on k8s succeeded"
iris=$(json "$WORK/iris.json" "d['id']")
train_json="$SLIPWAY_HOME/runs/$iris/tasks/train/attempt-1.k8s.json"
expect_eq "$(json "$train_json" "d['kind']")" Job "train (2 ranks on one node) is a Job"
expect_eq "$(json "$train_json" "d['spec']['backoffLimit']")" 0 "backoffLimit 0: slipway owns retries"
expect_eq "$(json "$train_json" "d['spec']['activeDeadlineSeconds']")" 600 "activeDeadlineSeconds from timeout: 10m"
expect_eq "$(json "$train_json" "d['spec']['template']['spec']['containers'][0]['resources']['requests']['cpu']")" 2 "2 ranks x 1 cpu requested"
expect_eq "$(json "$train_json" "d['spec']['template']['spec']['nodeSelector']['node.kubernetes.io/instance-type']")" gpu "nodeSelector from the config"
expect_eq "$(json "$train_json" "d['metadata']['labels']['slipway.dev/run']")" "$iris" "labelled with the run id"
expect_eq "$(json "$train_json" "d['metadata']['annotations']['slipway.dev/launch-key']")" "train#1" "annotated with the launch key"
"$SLIPWAY" runs logs "$iris" train > "$WORK/train.log"
contains "step" "$WORK/train.log" || fail "train's log reached the run's files: $(head -5 "$WORK/train.log")"
pod_log=$(ls "$FAKE_KUBECTL_STATE"/logs/sw-*train*.log)
contains "step" "$pod_log" || fail "train's output reached the pod's log too (kubectl logs)"
pass "train's output is in both the run's log files and the pod's log"
"$SLIPWAY" models ls iris --output json > "$WORK/models.json"
[ "$(json "$WORK/models.json" "len(d)")" -ge 1 ] || fail "iris on k8s registered a model"
pass "iris on k8s registered its model"

# --- 2-node step: a PyTorchJob whose pods start their ranks through slipway launch ---------------
run_json "$WORK/two.json" "$PIPELINES/two_node.yaml" --backend k8s
two=$(json "$WORK/two.json" "d['id']")
two_obj="$SLIPWAY_HOME/runs/$two/tasks/ranks/attempt-1.k8s.json"
expect_eq "$(json "$two_obj" "d['kind'] + ' ' + d['apiVersion']")" "PyTorchJob kubeflow.org/v1" "a 2-node task is a PyTorchJob"
expect_eq "$(json "$two_obj" "d['spec']['pytorchReplicaSpecs']['Worker']['replicas']")" 1 "Master + 1 Worker"
expect_eq "$(json "$two_obj" "d['spec']['pytorchReplicaSpecs']['Master']['template']['spec']['nodeSelector']['nvidia.com/gpu.product']")" NVIDIA-H100-80GB-HBM3 "the task's nodeSelector is merged in"
expect_eq "$(json "$two_obj" "' '.join(d['spec']['pytorchReplicaSpecs']['Worker']['template']['spec']['containers'][0]['command'][1:3])")" "launch --nproc" "every rank starts through slipway launch"
expect_eq "$(json "$WORK/two.json" "d['state']")" SUCCEEDED "the PyTorchJob succeeded"
contains "rank 0 of 2, node 0" "$SLIPWAY_HOME/runs/$two/tasks/ranks/attempt-1.out" || fail "master's rank 0 in the task's log: $(cat "$SLIPWAY_HOME/runs/$two/tasks/ranks/attempt-1.out")"
contains "rank 1 of 2, node 1" "$FAKE_KUBECTL_STATE"/logs/sw-*ranks*worker-0.log || fail "the worker's rank 1 in its pod's log"
pass "ranks 0 and 1 of 2 ran in the Master and Worker pods"
contains " get jobs.batch,pods,pytorchjobs.kubeflow.org -l " "$FAKE_KUBECTL_STATE/calls.log" || fail "PyTorchJobs are listed in the same one get"
pass "PyTorchJobs polled in the same labelled list"

# The same step as an MPIJob (the config's `distributed: mpijob`): the launcher's mpirun starts
# both ranks through `slipway launch`, which reads its rank from Open MPI; the launcher's log
# holds every rank's output. (The fake runs the launcher only; its ranks run on this machine.)
sed 's/^poll_interval:.*/poll_interval: 200ms\ndistributed: mpijob/' "$SLIPWAY_HOME/k8s.yaml" > "$WORK/mpi.yaml"
SLIPWAY_K8S_CONFIG="$WORK/mpi.yaml" run_json "$WORK/mpi.json" "$PIPELINES/two_node.yaml" --backend k8s --no-cache
mpi=$(json "$WORK/mpi.json" "d['id']")
expect_eq "$(json "$SLIPWAY_HOME/runs/$mpi/tasks/ranks/attempt-1.k8s.json" "d['kind']")" MPIJob "distributed: mpijob in the config makes an MPIJob"
expect_eq "$(json "$WORK/mpi.json" "d['state']")" SUCCEEDED "the MPIJob succeeded"
expect_eq "$(sort "$SLIPWAY_HOME/runs/$mpi/tasks/ranks/attempt-1.out" | tr '\n' ';')" "rank 0 of 2, node 0;rank 1 of 2, node 0;" "mpirun's two ranks both reached the task's log"
contains " get jobs.batch,pods,mpijobs.kubeflow.org -l " "$FAKE_KUBECTL_STATE/calls.log" || fail "MPIJobs are polled in the same one get"

# --- components that name an image run in it; their output arrives through kubectl logs ----------
run_json "$WORK/img_ok.json" "$PIPELINES/images.yaml" --backend k8s
expect_eq "$(json "$WORK/img_ok.json" "d['state']")" SUCCEEDED "a pipeline of image components succeeded"
imgrun=$(json "$WORK/img_ok.json" "d['id']")
hello_obj="$SLIPWAY_HOME/runs/$imgrun/tasks/hello/attempt-1.k8s.json"
expect_eq "$(json "$hello_obj" "d['spec']['template']['spec']['containers'][0]['image'] + ' ' + d['spec']['template']['spec']['containers'][0]['command'][0]")" "python:3.12-slim python3" "hello runs in its component's image, its own command first"
expect_eq "$(cat "$SLIPWAY_HOME/runs/$imgrun/tasks/hello/attempt-1.out")" "hello from a pod" "its output reached the run's log through kubectl logs"
contains " logs job/sw-images-" "$FAKE_KUBECTL_STATE/calls.log" || fail "the log was read with kubectl logs"
check_obj="$SLIPWAY_HOME/runs/$imgrun/tasks/check/attempt-1.k8s.json"
expect_eq "$(json "$check_obj" "d['metadata']['annotations']['slipway.dev/component-image']")" "python:3.12-slim (not used: the command runs slipway)" "a command that runs slipway stays in slipway's image, and the object says why"

# --- a tuning sweep's trials are Jobs too; their metrics come from the tee'd logs ----------------
cat > "$WORK/sweep.yaml" <<'YAML'
name: k8s-quad
objective: {minimize: f}
algorithm: {name: random}
parallel: 2
max_trials: 4
seed: 1
parameters:
  x: {type: double, min: -2, max: 2}
trial:
  command: [python3, -c, "print('f=%g' % ((${x} - 0.5) ** 2))"]
YAML
applies_before=$(count ' apply -f ')
(cd "$WORK" && "$SLIPWAY" sweep sweep.yaml --backend k8s --output json > "$WORK/sweep.json" 2> "$WORK/sweep.err") || fail "sweep on k8s: $(cat "$WORK/sweep.err")"
expect_eq "$(json "$WORK/sweep.json" "d['state']")" SUCCEEDED "a sweep on k8s succeeded"
expect_eq "$(json "$WORK/sweep.json" "sum(1 for t in d['trials'] if t.get('objective') is not None)")" 4 "4 trials reported f from their pods' logs"
expect_eq "$(( $(count ' apply -f ') - applies_before ))" 4 "each trial was a Job"

# --- failures: exit codes, deadlines, images that never pull, refusals ---------------------------
cat > "$WORK/fail.yaml" <<'YAML'
name: k8s-fail
components:
  boom: {command: [sh, -c, "echo boom >&2; exit 3"]}
tasks:
  boom: {component: boom}
YAML
run_json "$WORK/fail.json" "$WORK/fail.yaml" --backend k8s
expect_eq "$(json "$WORK/fail.json" "d['state']")" FAILED "exit 3 fails the run"
"$SLIPWAY" runs show "$(json "$WORK/fail.json" "d['id']")" --output json > "$WORK/fshow.json"
msg=$(json "$WORK/fshow.json" "d['tasks'][0].get('message', '')")
echo "$msg" | contains "exited 3" || fail "the pod's exit code is in the task's message: $msg"
echo "$msg" | contains "BackoffLimitExceeded" || fail "the Job's Failed reason is in the message: $msg"
pass "failed Job: $msg"

cat > "$WORK/slow.yaml" <<'YAML'
name: k8s-slow
components:
  slow: {command: [sh, -c, "sleep 30"]}
tasks:
  slow: {component: slow, timeout: 2s}
YAML
run_json "$WORK/slow.json" "$WORK/slow.yaml" --backend k8s
expect_eq "$(json "$WORK/slow.json" "d['state']")" FAILED "a task past its timeout fails"
slow_obj=$(ls "$SLIPWAY_HOME"/runs/"$(json "$WORK/slow.json" "d['id']")"/tasks/slow/attempt-1.k8s.json)
expect_eq "$(json "$slow_obj" "d['spec']['activeDeadlineSeconds']")" 2 "activeDeadlineSeconds 2"
"$SLIPWAY" runs show "$(json "$WORK/slow.json" "d['id']")" --output json > "$WORK/sshow.json"
json "$WORK/sshow.json" "d['tasks'][0].get('message', '')" | contains -i "timed out\|deadline" || fail "the message says it timed out: $(json "$WORK/sshow.json" "d['tasks'][0]")"
pass "timeout reported"

sed 's|^image: .*|image: registry.example/does-not-exist:1\nimage_pull_grace: 1s|' "$SLIPWAY_HOME/k8s.yaml" > "$WORK/badimage.yaml"
SLIPWAY_K8S_CONFIG="$WORK/badimage.yaml" run_json "$WORK/img.json" "$WORK/fail.yaml" --backend k8s
expect_eq "$(json "$WORK/img.json" "d['state']")" FAILED "an image that never pulls fails the task instead of hanging"
"$SLIPWAY" runs show "$(json "$WORK/img.json" "d['id']")" --output json > "$WORK/ishow.json"
json "$WORK/ishow.json" "d['tasks'][0].get('message', '')" | contains "ImagePullBackOff" || fail "ImagePullBackOff named"
expect_eq "$(count ' delete jobs.batch sw-k8s-fail-')" 1 "the hopeless Job was deleted"

refusal='Error from server (Forbidden): jobs.batch is forbidden: User "system:serviceaccount:ml:default" cannot create resource "jobs" in API group "batch" in the namespace "ml"'
FAKE_KUBECTL_REFUSE_APPLY="$refusal" run_json "$WORK/ref.json" "$WORK/fail.yaml" --backend k8s
expect_eq "$(json "$WORK/ref.json" "d['state']")" FAILED "a refused apply fails the task"
"$SLIPWAY" runs show "$(json "$WORK/ref.json" "d['id']")" --output json > "$WORK/rshow.json"
json "$WORK/rshow.json" "d['tasks'][0].get('message', '')" | contains -F "$refusal" || fail "kubectl's words verbatim: $(json "$WORK/rshow.json" "d['tasks'][0]")"
pass "kubectl's refusal passed on verbatim"

# One object of a batched apply refused: only its task fails, with the webhook's words.
FAKE_KUBECTL_REFUSE_NAME=-use-1- run_json "$WORK/part.json" "$PIPELINES/batch.yaml" --backend k8s --no-cache -p 'items=[1,2,3,4]'
"$SLIPWAY" runs show "$(json "$WORK/part.json" "d['id']")" --output json > "$WORK/pshow.json"
expect_eq "$(json "$WORK/part.json" "d['state']")" FAILED "a refused item fails the run"
expect_eq "$(sqlite3 "$SLIPWAY_HOME/slipway.db" "select count(*) from tasks where run_id='$(json "$WORK/part.json" "d['id']")' and name like 'use[%' and state='SUCCEEDED'")" 3 "the other three items of the batch ran"
sqlite3 "$SLIPWAY_HOME/slipway.db" "select message from tasks where run_id='$(json "$WORK/part.json" "d['id']")' and name='use[1]'" | contains "admission webhook \"quota.example.com\" denied the request" \
  || fail "use[1] carries the webhook's refusal: $(sqlite3 "$SLIPWAY_HOME/slipway.db" "select name, state, message from tasks where run_id='$(json "$WORK/part.json" "d['id']")'")"
pass "a batched apply with one refusal: that item failed with kubectl's words, the others ran"

FAKE_KUBECTL_NO_CRDS=1 run_json "$WORK/nocrd.json" "$PIPELINES/two_node.yaml" --backend k8s --no-cache
"$SLIPWAY" runs show "$(json "$WORK/nocrd.json" "d['id']")" --output json > "$WORK/nshow.json"
json "$WORK/nshow.json" "d['tasks'][0].get('message', '')" | contains "ensure CRDs are installed first" || fail "a missing Training Operator is named: $(cat "$WORK/nshow.json" | head -c 600)"
pass "no Training Operator: kubectl's 'ensure CRDs are installed first' reaches the user"

# --- a pod the scheduler cannot place: the task's note says why, then it runs --------------------
FAKE_KUBECTL_PENDING_SECONDS=3 "$SLIPWAY" run "$PIPELINES/sleepy.yaml" --backend k8s -p seconds=1 --no-cache --detach --output json > "$WORK/p.json"
pend_run=$(json "$WORK/p.json" "d['id']")
note=""
for _ in $(seq 1 50); do
  "$SLIPWAY" runs show "$pend_run" --output json > "$WORK/ps.json"
  note=$(json "$WORK/ps.json" "(d['tasks'] or [{}])[0].get('message', '')")
  echo "$note" | contains "Insufficient nvidia.com/gpu" && break
  sleep 0.1
done
echo "$note" | contains "is not scheduled: Unschedulable 0/4 nodes are available: 4 Insufficient nvidia.com/gpu" || fail "the scheduler's reason is the running task's note: '$note'"
pass "pending pod: '$(echo "$note" | cut -c1-90)...'"
wait_for_run_state "$pend_run" SUCCEEDED 10
pass "once scheduled it ran to the end"

# --- cancel deletes the objects; kill -9 of the driver, then resume adopts -----------------------
"$SLIPWAY" run "$PIPELINES/sleepy.yaml" --backend k8s -p seconds=60 --detach --output json > "$WORK/c.json"
cancel_run=$(json "$WORK/c.json" "d['id']")
wait_for_task_state "$cancel_run" nap RUNNING 30
for _ in $(seq 1 50); do [ "$(run_processes "$cancel_run")" -ge 1 ] && break; sleep 0.1; done
"$SLIPWAY" runs cancel "$cancel_run" > /dev/null
wait_for_run_state "$cancel_run" CANCELLED 10
pass "cancelled run"
contains " delete jobs.batch sw-" "$FAKE_KUBECTL_STATE/calls.log" || fail "cancel deletes the Job"
for _ in $(seq 1 50); do [ "$(run_processes "$cancel_run")" -eq 0 ] && break; sleep 0.1; done
expect_eq "$(run_processes "$cancel_run")" 0 "the pod's processes are gone"

# kill_driver_mid_task PIPELINE_NAME ARGS...: starts `slipway run ARGS --backend k8s`, kills its
# driver with -9 once task `nap` runs, and leaves the run's id in $killed_run.
kill_driver_mid_task() {
  local name=$1 driver
  shift
  "$SLIPWAY" run "$@" --backend k8s > "$WORK/killed.out" 2>&1 &
  driver=$!
  killed_run=$(running_run "$name")
  wait_for_task_state "$killed_run" nap RUNNING 30
  kill -9 "$driver"
  wait "$driver" 2>/dev/null || true
}
kill_driver_mid_task sleepy "$PIPELINES/sleepy.yaml" -p seconds=4
kill_run=$killed_run
pass "driver of $kill_run killed with -9 while its Job ran"
"$SLIPWAY" runs resume "$kill_run" --output json > "$WORK/resumed.json"
expect_eq "$(json "$WORK/resumed.json" "d['state']")" SUCCEEDED "resumed run succeeded"
expect_eq "$(grep -c " apply -f $SLIPWAY_HOME/runs/$kill_run/" "$FAKE_KUBECTL_STATE/calls.log")" 1 "the running Job was adopted, not applied again"
"$SLIPWAY" runs show "$kill_run" --output json > "$WORK/ks.json"
expect_eq "$(json "$WORK/ks.json" "[t['attempts'] for t in d['tasks'] if t['name']=='nap'][0]")" 1 "one attempt: re-attached"
"$SLIPWAY" runs logs "$kill_run" nap | contains awake || fail "the adopted attempt's log is complete"
pass "the adopted attempt's log reached 'awake'"

# The same with a step in its own image: the resumed driver still fetches its log when it ends.
cat > "$WORK/imgsleep.yaml" <<'YAML'
name: imgsleep
components:
  nap: {image: "python:3.12-slim", command: [python3, -c, "import time; print('napping', flush=True); time.sleep(3); print('awake')"]}
tasks:
  nap: {component: nap}
YAML
kill_driver_mid_task imgsleep "$WORK/imgsleep.yaml"
kill_run2=$killed_run
"$SLIPWAY" runs resume "$kill_run2" --output json > "$WORK/resumed2.json"
expect_eq "$(json "$WORK/resumed2.json" "d['state']")" SUCCEEDED "resumed run of an image step succeeded"
expect_eq "$(tr '\n' ' ' < "$SLIPWAY_HOME/runs/$kill_run2/tasks/nap/attempt-1.out")" "napping awake " "the adopted image step's log was fetched with kubectl logs"

# --- compile for GitOps, models deploy, k8s/deploy: all against the official schemas ------------
"$SLIPWAY" compile "$PIPELINES/batch.yaml" --backend k8s -o "$WORK/compiled" --root "$WORK/croot" > "$WORK/compile.out" 2> "$WORK/compile.err"
contains "kubectl apply -k" "$WORK/compile.out" || fail "compile says how to apply"
contains "parallelism is not available" "$WORK/compile.err" || fail "compile warns that parallelism is not kept"
expect_eq "$(python3 -c "import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))['resources'])" "$WORK/compiled/kustomization.yaml")" "['make.yaml', 'use.yaml', 'gather.yaml', 'done.yaml']" "kustomization lists the tasks in order"
python3 -c "
import yaml, sys
jobs = list(yaml.safe_load_all(open(sys.argv[1])))
init = jobs[0]['spec']['template']['spec']['initContainers'][0]['command']
assert init[1] == '__await' and init[2].endswith('/tasks/make/attempt-1.exit'), init
done = list(yaml.safe_load_all(open(sys.argv[2])))[0]['spec']['template']['spec']['initContainers'][0]['command']
assert '--any-outcome' in done and len(done) == 3 + 5, done
" "$WORK/compiled/use.yaml" "$WORK/compiled/done.yaml" || fail "compiled Jobs wait for their upstreams' exit files"
pass "compiled Jobs wait for their upstreams; the finally task for all, whatever their outcome"
# Applied all at once, with no slipway driver: each pod's init container holds it until its
# upstreams have ended, and upstream parameters are read from their files when it starts.
for f in make use gather done; do "$FAKE" apply -f "$WORK/compiled/$f.yaml" > /dev/null; done
for _ in $(seq 1 300); do [ -f "$WORK/croot/tasks/done/attempt-1.exit" ] && break; sleep 0.1; done
expect_eq "$(cat "$WORK/croot/tasks/done/attempt-1.exit" 2>/dev/null)" 0 "the compiled pipeline ran to its finally task without a driver"
expect_eq "$(cat "$WORK/croot/tasks/gather/outputs/all")" "$(printf 'hello 5 data 1\nhello 5 data 2\nhello 5 data 3')" "gather collected the three items, each with make's count"
"$SLIPWAY" compile "$PIPELINES/two_node_mpi.yaml" --backend k8s -o "$WORK/compiled_mpi" > /dev/null
"$SLIPWAY" compile "$PIPELINES/images.yaml" --backend k8s -o "$WORK/compiled_images" --root "$WORK/iroot" > /dev/null
for f in hello check; do "$FAKE" apply -f "$WORK/compiled_images/$f.yaml" > /dev/null; done
for _ in $(seq 1 300); do [ -f "$WORK/iroot/tasks/check/attempt-1.exit" ] && break; sleep 0.1; done
expect_eq "$(cat "$WORK/iroot/tasks/hello/attempt-1.exit" 2>/dev/null) $(cat "$WORK/iroot/tasks/hello/outputs/answer" 2>/dev/null) $(cat "$WORK/iroot/tasks/check/attempt-1.exit" 2>/dev/null)" "0 42 0" "compiled: the image component wrote its exit file and output with the image's own sh"
expect_eq "$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); w=d['spec']['mpiReplicaSpecs']['Worker']; print(d['kind'], w['replicas'], w['template']['spec']['containers'][0]['resources']['limits']['nvidia.com/gpu'])" "$WORK/compiled_mpi/ranks.yaml")" "MPIJob 2 1" "distributed: mpijob renders an MPIJob: 2 workers, nvidia.com/gpu 1 each"
# Gang scheduling hints, for the schema check below.
sed 's/^poll_interval:.*/gang: volcano\nqueue: research\npriority_class: high/' "$SLIPWAY_HOME/k8s.yaml" > "$WORK/volcano.yaml"
SLIPWAY_K8S_CONFIG="$WORK/volcano.yaml" "$SLIPWAY" compile "$PIPELINES/two_node_mpi.yaml" --backend k8s -o "$WORK/compiled_volcano" > /dev/null
expect_eq "$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(d['spec']['runPolicy']['schedulingPolicy'])" "$WORK/compiled_volcano/ranks.yaml")" "{'minAvailable': 3, 'priorityClass': 'high', 'queue': 'research'}" "volcano: the launcher and 2 workers scheduled as one gang"
sed 's/^poll_interval:.*/gang: kueue\nqueue: team-a/' "$SLIPWAY_HOME/k8s.yaml" > "$WORK/kueue.yaml"
SLIPWAY_K8S_CONFIG="$WORK/kueue.yaml" "$SLIPWAY" compile "$PIPELINES/two_node.yaml" --backend k8s -o "$WORK/compiled_kueue" > /dev/null
expect_eq "$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(d['metadata']['labels']['kueue.x-k8s.io/queue-name'], d['spec']['runPolicy']['suspend'])" "$WORK/compiled_kueue/ranks.yaml")" "team-a True" "kueue: queue label, created suspended for admission"
# KFP-compiled pipelines (IR YAML) as they are: each step a Job in its component's image.
for kfp in python_component exit_handler; do
  "$SLIPWAY" compile "$SLIPWAY_SOURCE_DIR/tests/fixtures/kfp/$kfp.yaml" --backend k8s -o "$WORK/compiled_kfp_$kfp" > /dev/null 2>&1 || fail "compile KFP $kfp"
done
expect_eq "$(python3 -c "import yaml,sys; print(list(yaml.safe_load_all(open(sys.argv[1])))[0]['spec']['template']['spec']['containers'][0]['image'])" "$WORK/compiled_kfp_python_component/add.yaml")" "python:3.11" "a KFP Python component runs in its base image"
set +e
"$SLIPWAY" compile "$SLIPWAY_SOURCE_DIR/configs/pipelines/iris.yaml" --backend k8s -o "$WORK/no" > "$WORK/ciris" 2>&1; rc=$?
set -e
expect_eq "$rc" 2 "iris (a when condition) cannot be compiled"
contains "run it with \`slipway run --backend k8s\`" "$WORK/ciris" || fail "the refusal says what to do: $(cat "$WORK/ciris")"

"$SLIPWAY" models deploy iris --backend k8s --canary-percent 10 --gpus 1 > "$WORK/isvc.yaml"
expect_eq "$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(d['kind'], d['spec']['predictor']['containers'][0]['command'][1], d['spec']['predictor']['canaryTrafficPercent'])" "$WORK/isvc.yaml")" "InferenceService serve 10" "models deploy renders an InferenceService running slipway serve"
"$SLIPWAY" models deploy iris --backend k8s --apply > "$WORK/apply.out"
contains "inferenceservice/iris created" "$WORK/apply.out" || fail "models deploy --apply: $(cat "$WORK/apply.out")"
pass "models deploy --apply created the InferenceService"
# Seed 000's InferenceService file, applied as it is (KServe on the cluster fetches gs://).
cp "$SLIPWAY_SOURCE_DIR/tests/fixtures/kserve/iris-classifier.yaml" "$WORK/iris-isvc.yaml"
"$SLIPWAY" models deploy -f "$WORK/iris-isvc.yaml" --backend k8s > "$WORK/dry.out" 2>&1
contains "inferenceservice/iris-classifier created (dry run)" "$WORK/dry.out" || fail "models deploy -f without --apply is a dry run: $(cat "$WORK/dry.out")"
"$SLIPWAY" models deploy -f "$WORK/iris-isvc.yaml" --backend k8s --apply > "$WORK/applied.out"
contains "inferenceservice/iris-classifier created" "$WORK/applied.out" || fail "models deploy -f --apply: $(cat "$WORK/applied.out")"
expect_eq "$(python3 -c "import json,yaml,sys; print(json.load(open(sys.argv[1]))['spec'] == yaml.safe_load(open(sys.argv[2]))['spec'])" \
  "$FAKE_KUBECTL_STATE/objects/InferenceService/iris-classifier.json" "$WORK/iris-isvc.yaml")" True \
  "models deploy -f applies the seed's InferenceService file unchanged"
set +e
"$SLIPWAY" models deploy -f "$PIPELINES/batch.yaml" --backend k8s > "$WORK/notisvc.out" 2>&1; rc=$?
set -e
expect_eq "$rc" 2 "a file without an InferenceService is refused before kubectl"

python3 -c "import yaml,sys; open(sys.argv[2],'w').write(yaml.safe_load(open(sys.argv[1]))['data']['k8s.yaml'])" \
  "$SLIPWAY_SOURCE_DIR/k8s/deploy/configmap.yaml" "$WORK/deploy-k8s.yaml"
SLIPWAY_K8S_CONFIG="$WORK/deploy-k8s.yaml" "$SLIPWAY" compile "$PIPELINES/batch.yaml" --backend k8s -o "$WORK/compiled_deploy" > /dev/null 2>&1 \
  || fail "k8s/deploy's ConfigMap holds a config slipway accepts"
pass "k8s/deploy's backend config loads"

# --- kfp-kubernetes on Kubernetes: CreatePVC applies a real PersistentVolumeClaim, mount_pvc
# becomes a pod volume of that claim (or of an existing one), DeletePVC deletes the claim.
CORPUS="${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/kfp-ir"
# Its steps pip-install kfp the way a python:3.11 image lets them; the fake kubectl runs pods on
# this host, which stands in for that image only when its python3 has a pip it may install with
# (Debian's system python has none, and refuses installs: PEP 668).
host_is_python_image() {
  python3 -m pip --version > /dev/null 2>&1 &&
    python3 -c 'import os, sys, sysconfig; sys.exit(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'
}
if [ -d "$CORPUS" ] && ! host_is_python_image; then
  echo "note: pipeline_with_volume on k8s not run: this host's python3 cannot pip-install as the python:3.11 image it stands in for"
elif [ -d "$CORPUS" ]; then
  : > "$FAKE_KUBECTL_STATE/calls.log"
  run_json "$WORK/pvc.json" "$CORPUS/backend__src__apiserver__template__testdata__pipeline_with_volume.yaml" --backend k8s
  expect_eq "$rc" 0 "pipeline_with_volume runs on the k8s backend"
  pvcrun=$(json "$WORK/pvc.json" "d['id']")
  claim=$(json "$WORK/pvc.json" "[t['outputs']['name'] for t in d['tasks'] if t['name']=='createpvc'][0]")
  expect_eq "$(json "$SLIPWAY_HOME/runs/$pvcrun/tasks/createpvc/attempt-1.k8s.json" "(d['kind'], d['metadata']['name'], d['spec']['resources']['requests']['storage'])")" \
    "('PersistentVolumeClaim', '$claim', '5Gi')" "CreatePVC applied a claim of the size the pipeline asks"
  contains " delete persistentvolumeclaim $claim" "$FAKE_KUBECTL_STATE/calls.log" || fail "DeletePVC did not delete the claim"
  [ ! -e "$FAKE_KUBECTL_STATE/objects/PersistentVolumeClaim/$claim.json" ] || fail "the claim is still there"
  pass "DeletePVC deleted the claim"
  expect_eq "$(json "$SLIPWAY_HOME/runs/$pvcrun/tasks/comp/attempt-1.k8s.json" \
    "[(v['persistentVolumeClaim']['claimName'], m['mountPath']) for v, m in zip(d['spec']['template']['spec']['volumes'][1:], d['spec']['template']['spec']['containers'][0]['volumeMounts'][1:])]")" \
    "[('$claim', '/data')]" "the mounting step's pod mounts the new claim at /data"
  expect_eq "$(json "$SLIPWAY_HOME/runs/$pvcrun/tasks/comp-3/attempt-1.k8s.json" "d['spec']['template']['spec']['volumes'][1]['persistentVolumeClaim']['claimName']")" \
    "my-existing-pvc" "an existing claim is mounted by name"
else
  echo "skipped the kfp-kubernetes part: no corpus at $CORPUS"
fi

# --- a PyTorchJob file goes to the cluster as written, with slipway's name and labels ----------
cat > "$WORK/pytorchjob.yaml" <<'YAML'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: user-job
  labels: {team: vision}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: Never
      template:
        spec:
          containers:
            - {name: pytorch, image: docker.io/pytorch/pytorch:2.4.0-cpu, command: [sh, -c, 'echo "master rank $RANK of $WORLD_SIZE"']}
    Worker:
      replicas: 1
      restartPolicy: Never
      template:
        spec:
          containers:
            - {name: pytorch, image: docker.io/pytorch/pytorch:2.4.0-cpu, command: [sh, -c, 'echo "worker rank $RANK of $WORLD_SIZE"']}
YAML
run_json "$WORK/pj.json" "$WORK/pytorchjob.yaml" --backend k8s
expect_eq "$rc" 0 "the PyTorchJob file ran on the cluster $(tail -3 "$WORK/pj.json.err")"
pjrun=$(json "$WORK/pj.json" "d['id']")
applied="$SLIPWAY_HOME/runs/$pjrun/tasks/pytorchjob/attempt-1.k8s.json"
python3 - "$applied" "$WORK/pytorchjob.yaml" <<'PY' || fail "the applied object is not the file as written plus slipway's name and labels"
import json, sys, yaml
got, want = json.load(open(sys.argv[1])), yaml.safe_load(open(sys.argv[2]))
assert got["kind"] == "PyTorchJob" and got["spec"] == want["spec"], got
labels = got["metadata"]["labels"]
assert labels["team"] == "vision" and labels["slipway.dev/task"] == "pytorchjob", labels
assert got["metadata"]["name"].startswith("sw-") and got["metadata"]["namespace"] == "ml", got["metadata"]
PY
"$SLIPWAY" runs logs "$pjrun" pytorchjob > "$WORK/pj.logs" 2>&1 || true
contains "master rank 0 of 2" "$WORK/pj.logs" || fail "the Master's output is not in the run's log: $(cat "$WORK/pj.logs")"
pass "a PyTorchJob file applied unchanged (spec as written, slipway's labels added), tracked to Succeeded, its Master's log kept"

manifests=("$SLIPWAY_HOME"/runs/*/tasks/*/attempt-*.k8s.json "$WORK"/compiled*/*.yaml "$WORK/isvc.yaml" "$SLIPWAY_SOURCE_DIR"/k8s/deploy/*.yaml)
to_check=()
for m in "${manifests[@]}"; do
  case "$m" in *kustomization.yaml) ;; *) to_check+=("$m") ;; esac
done
python3 "$CHECK" "$SCHEMAS" "${to_check[@]}" > "$WORK/schema.out" || { cat "$WORK/schema.out"; fail "rendered objects violate the official schemas"; }
for kind in Job PyTorchJob MPIJob InferenceService Deployment Service ServiceAccount Role RoleBinding PersistentVolumeClaim ConfigMap; do
  contains "^valid .* $kind/" "$WORK/schema.out" || fail "no $kind was checked"
done
pass "$(tail -1 "$WORK/schema.out"): Job, PyTorchJob, MPIJob, InferenceService and k8s/deploy against the official schemas"

# The checker itself must catch what the API server would refuse.
python3 - "$train_json" "$WORK/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["spec"]["template"]["spec"]["containers"][0]["resurces"] = {}
d["spec"]["backoffLimit"] = "0"
json.dump(d, open(sys.argv[2], "w"))
PY
set +e
python3 "$CHECK" "$SCHEMAS" "$WORK/broken.json" > "$WORK/broken.out"; rc=$?
set -e
expect_eq "$rc" 1 "a broken Job is refused"
contains "spec.template.spec.containers\[0\].resurces: unknown field" "$WORK/broken.out" || fail "unknown field named with its path"
contains "spec.backoffLimit: must be an integer" "$WORK/broken.out" || fail "wrong type named with its path"
pass "the schema check names the path of each violation"
