#!/usr/bin/env bash
# MLP training throughput on the CPU, slipway-train against PyTorch (Debian's python3-torch):
# the same model (FEATURES -> HIDDEN -> HIDDEN -> CLASSES, ReLU), 100,000 random rows, global
# batch, AdamW, and threads; and slipway on 1 and 2 MPI ranks with the same global batch.
#
#   bash bench/train_mlp.sh [BUILD_DIR] [HIDDEN] [BATCH] [STEPS]
set -euo pipefail
build=${1:-build}
hidden=${2:-256}
batch=${3:-256}
steps=${4:-300}
features=64
classes=10
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/data.csv" $features $classes <<'PY'
import random, sys
path, features, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(0)
with open(path, "w") as f:
    f.write(",".join("f%d" % i for i in range(features)) + ",label\n")
    for _ in range(100_000):
        f.write(",".join("%.4f" % rng.gauss(0, 1) for _ in range(features)) + ",c%d\n" % rng.randrange(classes))
PY
"$build/slipway" data import table "$work/data.csv" --label label -o "$work/data.h5" --valid-fraction 0.01 > /dev/null
cat > "$work/cfg.yaml" <<YAML
model: {kind: mlp, hidden: [$hidden, $hidden]}
data: data.h5
batch_size: $batch
steps: $steps
optimizer: {lr: 1e-3, weight_decay: 0.01}
log_every: $steps
YAML

slipway_rate() {  # ranks threads
  OMP_NUM_THREADS=$2 mpirun -n "$1" --oversubscribe --bind-to core "$build/slipway-train" "$work/cfg.yaml" --no-progress 2>/dev/null |
    sed -n 's/.*samples_per_sec=\([0-9.]*\).*/\1/p' | tail -1
}
torch_rate() {  # threads
  # torch.set_num_threads does not reach the OpenBLAS that Debian's torch calls for matrix
  # products: without this variable PyTorch's "one thread" runs its GEMMs on every core.
  OPENBLAS_NUM_THREADS=$1 /usr/bin/python3 "$here/train_mlp.py" $features "$hidden" $classes "$batch" "$steps" "$1" | sed -n 's/samples_per_sec=//p'
}

echo "| trainer | ranks × threads | samples/s |"
echo "|---|---|---:|"
echo "| PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager | 1 × 1 | $(torch_rate 1) |"
echo "| slipway-train | 1 × 1 | $(slipway_rate 1 1) |"
echo "| PyTorch eager | 1 × 2 | $(torch_rate 2) |"
echo "| slipway-train | 1 × 2 | $(slipway_rate 1 2) |"
echo "| slipway-train | 2 × 1 | $(slipway_rate 2 1) |"
