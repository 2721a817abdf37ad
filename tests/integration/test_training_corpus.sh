#!/usr/bin/env bash
# The real job files of ../shared/corpora/training-operator (Training Operator release-1.9
# examples, MPI Operator v1 and v2beta1, Kubeflow Trainer v2): each is accepted by `slipway
# validate` or refused with FILE:LINE:COL and a reason, and the totals are asserted. Two of them
# then run unchanged: the CPU demo (`torchrun demo.py`, Master + Worker) and the elastic echo
# example (`python -m torch.distributed.run --rdzv_backend=c10d ./echo.py`, 2 Workers), with a
# stand-in for the script their images carry put beside the file; and a TrainJob on the corpus's
# torch-distributed ClusterTrainingRuntime, named with --runtime.
source "$(dirname "$0")/lib.sh"

CORPUS=${SLIPWAY_CORPORA:-$SLIPWAY_SOURCE_DIR/../shared/corpora}/training-operator
[ -d "$CORPUS" ] || fail "the corpus is missing: $CORPUS"
accepted=0
refused=0
for f in "$CORPUS"/*.yaml; do
  name=$(basename "$f")
  if "$SLIPWAY" validate "$f" > "$WORK/v.out" 2>&1; then
    accepted=$((accepted + 1))
  else
    refused=$((refused + 1))
    # The line may be in another file: a TrainJob's runtime beside it.
    grep -qE "^/[^:]+\.yaml:[0-9]+:[0-9]+: error: .{20,}|^$name:[0-9]+:[0-9]+: error: .{20,}" "$WORK/v.out" ||
      fail "$name was refused without FILE:LINE:COL and a reason: $(head -3 "$WORK/v.out")"
    echo "refused $name: $(grep -m1 'error:' "$WORK/v.out" | sed 's/^[^ ]* error: //')" >> "$WORK/refusals"
  fi
done
cat "$WORK/refusals"
expect_eq "$accepted+$refused" "18+24" "corpus files accepted+refused"

# Debian's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its default --redirects/--tee
# (Python 3.11's IntFlag no longer lists Std.NONE), so every torchrun there dies before starting
# a worker; torchrun reads PET_REDIRECTS and PET_TEE like its flags, and "2" parses. The job
# files are not touched.
export PET_REDIRECTS=2 PET_TEE=2 GLOO_SOCKET_IFNAME=lo
mkdir -p "$WORK/bin"
ln -s /usr/bin/python3 "$WORK/bin/python"  # the images' `python`
export PATH="$WORK/bin:/usr/bin:$PATH"
procs=$(/usr/bin/python3 -c "import os; print(os.cpu_count())")  # torchrun's nproc_per_node=auto on a CPU
for example in "pytorch__cpu-demo__demo.yaml demo.py" "pytorch__elastic__echo__echo.yaml echo.py"; do
  set -- $example
  dir="$WORK/$(basename "$1" .yaml)"
  mkdir -p "$dir"
  cp "$CORPUS/training-operator@release-1.9@examples__$1" "$dir/job.yaml"
  cp "$SLIPWAY_SOURCE_DIR/tests/integration/programs/torch_example.py" "$dir/$2"
  "$SLIPWAY" run "$dir/job.yaml" --output json > "$dir/run.json" 2> "$dir/run.err" ||
    fail "$1 did not run: $(tail -5 "$dir/run.err")"
  "$SLIPWAY" runs logs "$(json "$dir/run.json" "d['id']")" pytorchjob > "$dir/logs" 2>&1 || true
  world=$((2 * procs))
  # Two ranks of one replica share its output, and unbuffered Python writes a line and its newline
  # apart: count the reports, not the lines.
  sums=$(grep -oE "$2 rank [0-9]+ of $world on node [01]: sum $((world * (world + 1) / 2))" "$dir/logs" | sort -u | wc -l)
  expect_eq "$sums" "$world" "$1: ranks that joined the world of $world and all-reduced"
done
pass "the CPU demo and the elastic echo example ran unchanged: 2 replicas x $procs processes each"

# --- TrainJob: the corpus's torch-distributed runtime, its trainer's torchrun on 2 nodes ---
dir="$WORK/trainjob"
mkdir -p "$dir"
cp "$SLIPWAY_SOURCE_DIR/tests/integration/programs/torch_example.py" "$dir/train.py"
cat > "$dir/trainjob.yaml" <<YAML
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: torch-ddp
spec:
  runtimeRef:
    name: torch-distributed
  trainer:
    numNodes: 2
    command: [torchrun, train.py]
    env: [{name: GLOO_SOCKET_IFNAME, value: lo}]
YAML
"$SLIPWAY" run "$dir/trainjob.yaml" --runtime "$CORPUS/trainer@manifests__base__runtimes__torch_distributed.yaml" \
  --output json > "$dir/run.json" 2> "$dir/run.err" || fail "the TrainJob did not run: $(tail -5 "$dir/run.err")"
"$SLIPWAY" runs logs "$(json "$dir/run.json" "d['id']")" trainjob > "$dir/logs" 2>&1 || true
world=$((2 * procs))
sums=$(grep -oE "train.py rank [0-9]+ of $world on node [01]: sum $((world * (world + 1) / 2))" "$dir/logs" | sort -u | wc -l)
expect_eq "$sums" "$world" "TrainJob: ranks that joined the world of $world through the runtime's PET_* variables"
contains -q "replicated job 'dataset-initializer'\|replicated job" "$dir/run.err" || true
pass "a TrainJob on the torch-distributed runtime ran: 2 nodes x $procs processes"

# --- a Katib Experiment whose trials are TrainJobs on the corpus's torch-distributed runtime ---
dir="$WORK/katib"
mkdir -p "$dir"
cp "$CORPUS/trainer@manifests__base__runtimes__torch_distributed.yaml" "$dir/"  # beside the file
katib_lr_experiment trainjob-lr > "$dir/experiment.yaml" <<'YAML'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
spec:
  runtimeRef:
    name: torch-distributed
  trainer:
    numNodes: 2
    command: [sh, -c, 'echo "node $PET_NODE_RANK of $PET_NNODES"; [ "$PET_NODE_RANK" != 0 ] || echo "loss=$(python3 -c "print(1 - ${trialParameters.learningRate})")"']
YAML
"$SLIPWAY" sweep "$dir/experiment.yaml" -o json > "$dir/sweep.json" 2> "$dir/sweep.err" || fail "Katib sweep of TrainJobs: $(tail -5 "$dir/sweep.err")"
expect_eq "$(json "$dir/sweep.json" "(d['state'], len(d['trials']), round(d['best_trial']['objective'], 6))")" \
  "('SUCCEEDED', 2, 0.8)" "a Katib Experiment whose trials are TrainJobs: 2 trials, the best loss 0.8"
"$SLIPWAY" runs logs "$(json "$dir/sweep.json" "d['trials'][0]['run']")" trainjob > "$dir/trial.logs" 2>&1 || true
contains -q "\[node-1\] node 1 of 2" "$dir/trial.logs" || fail "the trial did not run both nodes: $(cat "$dir/trial.logs")"
pass "each Katib trial ran as a TrainJob of 2 nodes with the torch plugin's variables"
