#!/usr/bin/env bash
# A PyTorchJob file run by slipway against the same world started by hand with torchrun: a Master
# and a Worker, 2 processes each (nprocPerNode: 2), one trivial DDP step (join the gloo group,
# one all-reduce, one DDP backward). Timed from the command's start to its end with farm-bench,
# the two commands in turn:
#  - locally: `slipway run pytorchjob.yaml` against two `torchrun --nnodes=2` started together;
#  - on the local Slurm test cluster: `slipway run pytorchjob.yaml --backend slurm` against
#    `srun --nodes=2 --ntasks=2 torchrun ...` (one torchrun per node, as a Slurm user writes it).
# Usage: bench/training_job.sh [path/to/slipway] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
slipway=$(realpath "${1:-$here/build/slipway}")
runs=${2:-5}
work=$(mktemp -d /tmp/slipway-job-bench.XXXXXX)
cluster="$here/slurm/local-cluster.sh"
export SLIPWAY_SLURMCTLD_PORT=16947 SLIPWAY_SLURMD_PORT=17131
trap '"$cluster" down "$work/cluster" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
export SLIPWAY_HOME=$work/home GLOO_SOCKET_IFNAME=lo PATH="/usr/bin:$PATH"
# Debian's torchrun (PyTorch 1.13 on Python 3.11) needs these to parse its defaults; both sides
# get them (docs/jobs.md).
export PET_REDIRECTS=2 PET_TEE=2
mkdir -p "$SLIPWAY_HOME"
cd "$work"
cat > step.py <<'PY'
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
t = torch.ones(1)
dist.all_reduce(t)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
model(torch.ones(2, 4)).sum().backward()
assert t.item() == dist.get_world_size()
dist.destroy_process_group()
PY
cat > pytorchjob.yaml <<YAML
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: ddp-step}
spec:
  nprocPerNode: "2"
  runPolicy: {backoffLimit: 0}
  pytorchReplicaSpecs:
    Master:
      template:
        spec:
          containers: [{name: pytorch, image: pytorch/pytorch, command: [torchrun, step.py]}]
    Worker:
      template:
        spec:
          containers: [{name: pytorch, image: pytorch/pytorch, command: [torchrun, step.py]}]
YAML
cat > by_hand.sh <<'SH'
set -e
common="--nnodes=2 --nproc_per_node=2 --master_addr=127.0.0.1 --master_port=29611"
torchrun $common --node_rank=0 step.py & a=$!
torchrun $common --node_rank=1 step.py & b=$!
wait $a; wait $b
SH
"$slipway" run pytorchjob.yaml > /dev/null  # warm the store and the page cache
echo "== local: slipway run pytorchjob.yaml vs two torchruns by hand (Master + Worker, 2 processes each)"
farm-bench -n "$runs" --timeout 600 --vs "sh by_hand.sh" -- "$slipway" run pytorchjob.yaml

"$cluster" up "$work/cluster" > /dev/null
eval "$("$cluster" env "$work/cluster")"
printf 'poll_interval: 100ms\n' > "$SLIPWAY_HOME/slurm.yaml"
cat > srun_by_hand.sh <<'SH'
exec srun --nodes=2 --ntasks=2 --ntasks-per-node=1 sh -c 'exec torchrun --nnodes=2 --nproc_per_node=2 --master_addr=127.0.0.1 --master_port=29612 --node_rank=$SLURM_PROCID step.py'
SH
echo "== Slurm test cluster: slipway run --backend slurm vs srun + torchrun by hand"
farm-bench -n "$runs" --timeout 900 --vs "sh srun_by_hand.sh" -- "$slipway" run pytorchjob.yaml --backend slurm
