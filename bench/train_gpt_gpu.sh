#!/usr/bin/env bash
# GPT training throughput on one NVIDIA GPU, slipway-train (device: cuda) against PyTorch eager and
# torch.compile with the same model, batch and tokens, in one run; peak GPU memory and MFU of each.
#
#   bash bench/train_gpt_gpu.sh [BUILD_DIR] [PRESET] [STEPS]
#   PRESET: gpt2-124m (12 layers, 768 wide, 12 heads, context 1024, vocab 50304, batch 16)
#           char      (6 layers, 384 wide, 6 heads, context 256, vocab 256, batch 64)
# Needs a GPU and a CUDA build of slipway; PyTorch with CUDA for the peer (pip install torch).
set -euo pipefail
build=${1:-build}
preset=${2:-gpt2-124m}
steps=${3:-50}
here=$(cd "$(dirname "$0")" && pwd)
text="$here/../data/coriolanus.txt"
if ! nvidia-smi -L > /dev/null 2>&1; then
  echo "skipped: no NVIDIA GPU on this machine (nvidia-smi finds none); run this on a GPU node"
  exit 0
fi
case "$preset" in
  gpt2-124m) layers=12 width=768 heads=12 context=1024 vocab=50304 batch=16 ;;
  char) layers=6 width=384 heads=6 context=256 vocab=256 batch=64 ;;
  *) echo "unknown preset '$preset': use gpt2-124m or char" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/slipway" data import text "$text" -o "$work/text.h5" --valid-fraction 0.1 > /dev/null
cat > "$work/cfg.yaml" <<YAML
model: {kind: gpt, layers: $layers, width: $width, heads: $heads, context: $context, vocab: $vocab}
data: text.h5
batch_size: $batch
steps: $((steps + 10))
optimizer: {lr: 1e-4, weight_decay: 0.01}
log_every: $((steps + 10))
device: cuda
YAML
"$build/slipway-train" "$work/cfg.yaml" --no-progress --timing --metrics-out "$work/m.json" > /dev/null
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
echo "GPT ($preset): $layers layers, width $width, $heads heads, context $context, vocab $vocab, batch $batch, $steps timed steps; $gpu"
echo "| trainer | tokens/s | peak memory (GiB) | MFU |"
echo "|---|---:|---:|---:|"
/usr/bin/env python3 - "$work/m.json" "$layers" "$width" "$context" "$vocab" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
layers, width, context, vocab = (int(a) for a in sys.argv[2:6])
params = vocab * width + context * width + layers * (12 * width * width + 13 * width) + 2 * width
rate = m["units_per_step"] / m["step_seconds"]
mfu = rate * (6 * params + 12 * layers * context * width) / 989e12
print("| slipway-train (cuBLASLt, own kernels) | %.0f | %.2f | %.1f%% |" % (rate, m.get("gpu_memory_bytes", 0) / 2**30, 100 * mfu))
PY
for mode in eager compile; do
  python3 "$here/train_gpt_gpu.py" "$text" "$layers" "$width" "$heads" "$context" "$vocab" "$batch" "$steps" "$mode" > "$work/$mode.txt"
  rate=$(sed -n 's/tokens_per_sec=//p' "$work/$mode.txt")
  mem=$(sed -n 's/peak_memory_bytes=//p' "$work/$mode.txt")
  mfu=$(sed -n 's/mfu=//p' "$work/$mode.txt")
  python3 -c "print('| PyTorch %s (%s) | %.0f | %.2f | %.1f%% |' % ('$(python3 -c 'import torch; print(torch.__version__)')', '$mode', $rate, $mem / 2**30, 100 * $mfu))"
done
