#!/usr/bin/env bash
# The GPU trainer end to end, on a machine with an NVIDIA GPU (skipped, exit 77, elsewhere): its
# first steps follow the CPU run, 20 steps equal 10 + resume + 10 bit for bit, and a GPU
# checkpoint resumes on the CPU.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
if ! nvidia-smi -L > /dev/null 2>&1; then
  echo "skipped: no NVIDIA GPU here (nvidia-smi finds none); the GPU trainer is tested on GPU machines"
  exit 77
fi
TRAIN="$(dirname "$SLIPWAY")/slipway-train"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
params() { h5dump -d params -b LE -o "$2" "$1" > /dev/null; }
"$SLIPWAY" data import text "$SLIPWAY_SOURCE_DIR/data/coriolanus.txt" -o text.h5 --valid-fraction 0.1 > /dev/null
cat > gpt.yaml <<'YAML'
model: {kind: gpt, layers: 2, width: 64, heads: 4, context: 32}
data: text.h5
batch_size: 16
steps: 20
optimizer: {lr: 1e-3, weight_decay: 0.01}
log_every: 5
checkpoint: {dir: ck, every: 10}
YAML
"$TRAIN" gpt.yaml --set device=cuda --steps 5 --no-progress > gpu5.txt
"$TRAIN" gpt.yaml --set device=cpu --steps 5 --no-progress > cpu5.txt
# The mean training loss of steps 1–5, bf16 activations against fp32. Parameters are not compared:
# Adam moves every weight by about lr whatever its gradient's size, so a near-zero gradient whose
# sign bf16 flips moves a weight the other way; the loss averages over all of them.
gpu=$(sed -n 's/^step=5 .* loss=\([0-9.]*\) .*/\1/p' gpu5.txt)
cpu=$(sed -n 's/^step=5 .* loss=\([0-9.]*\) .*/\1/p' cpu5.txt)
python3 -c "import sys; sys.exit(0 if abs($gpu - $cpu) < 0.01 * $cpu else 1)" || fail "GPU loss $gpu vs CPU loss $cpu over the first 5 steps"
pass "the GPU's first 5 steps follow the CPU's: loss $gpu against $cpu (within 1%)"

"$TRAIN" gpt.yaml --set device=cuda --params-out full.h5 --checkpoint-dir full --no-progress > /dev/null
"$TRAIN" gpt.yaml --set device=cuda --checkpoint-dir part --stop-at 10 --no-progress > /dev/null
"$TRAIN" gpt.yaml --set device=cuda --checkpoint-dir part --resume --params-out resumed.h5 --no-progress > /dev/null 2> resume.err
params full.h5 full.bin
params resumed.h5 resumed.bin
cmp -s full.bin resumed.bin || fail "GPU resume is not exact"
pass "on the GPU, 20 steps equal 10 + resume + 10 bit for bit"

"$TRAIN" gpt.yaml --set device=cuda --checkpoint-dir mixed --stop-at 10 --no-progress > /dev/null
"$TRAIN" gpt.yaml --set device=cpu --checkpoint-dir mixed --resume --no-progress > /dev/null 2> mixed.err
contains "resumed from .*step-00000010.h5 at step 10" mixed.err || fail "a GPU checkpoint did not resume on the CPU: $(cat mixed.err)"
pass "a GPU checkpoint resumes on the CPU"
