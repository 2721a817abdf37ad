#!/usr/bin/env bash
# Char-level GPT training throughput on the CPU, slipway-train against PyTorch (Debian's
# python3-torch): the same model, text (data/coriolanus.txt), global batch, AdamW and threads.
#
#   bash bench/train_gpt.sh [BUILD_DIR] [LAYERS] [WIDTH] [HEADS] [CONTEXT] [BATCH] [STEPS]
set -euo pipefail
build=${1:-build}
layers=${2:-4}
width=${3:-128}
heads=${4:-4}
context=${5:-64}
batch=${6:-8}
steps=${7:-100}
here=$(cd "$(dirname "$0")" && pwd)
text="$here/../data/coriolanus.txt"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/slipway" data import text "$text" -o "$work/text.h5" --valid-fraction 0.1 > /dev/null
cat > "$work/cfg.yaml" <<YAML
model: {kind: gpt, layers: $layers, width: $width, heads: $heads, context: $context}
data: text.h5
batch_size: $batch
steps: $((steps + 10))
optimizer: {lr: 1e-3, weight_decay: 0.01}
log_every: $((steps + 10))
YAML
# Both sides time the steps after 10 warm-up steps: slipway-train's --timing reports its steady
# state (the slowest rank's mean step time) in the metrics file.
slipway_rate() {  # ranks threads
  OMP_NUM_THREADS=$2 mpirun -n "$1" --oversubscribe --bind-to core "$build/slipway-train" "$work/cfg.yaml" --no-progress --timing \
    --metrics-out "$work/metrics.json" > /dev/null 2>&1
  /usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print("%.1f" % (m["units_per_step"] / m["step_seconds"]))' "$work/metrics.json"
}
torch_rate() {  # threads
  # torch.set_num_threads does not reach the OpenBLAS that Debian's torch calls for matrix
  # products: without this variable PyTorch's "one thread" runs its GEMMs on every core.
  OPENBLAS_NUM_THREADS=$1 /usr/bin/python3 "$here/train_gpt.py" "$text" "$layers" "$width" "$heads" "$context" "$batch" "$steps" "$1" | sed -n 's/tokens_per_sec=//p'
}
echo "GPT: $layers layers, width $width, $heads heads, context $context, global batch $batch, $steps steps"
echo "| trainer | ranks × threads | tokens/s |"
echo "|---|---|---:|"
echo "| PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager | 1 × 1 | $(torch_rate 1) |"
echo "| slipway-train | 1 × 1 | $(slipway_rate 1 1) |"
echo "| slipway-train | 2 × 1 | $(slipway_rate 2 1) |"
