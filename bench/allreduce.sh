#!/usr/bin/env bash
# All-reduce bandwidth in nccl-tests' columns (algbw, busbw; sums checked exact): the MPI path on
# this machine's cores, and the NCCL path where there are GPUs.
#
#   bash bench/allreduce.sh [BUILD_DIR] [RANKS] [MAX_BYTES]
set -euo pipefail
build=${1:-build}
ranks=${2:-2}
max=${3:-64M}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -n "$ranks" --oversubscribe --bind-to core "$build/slipway-allreduce-bench" --backend mpi -b 8 -e "$max" -f 4
if nvidia-smi -L > /dev/null 2>&1; then
  gpus=$(nvidia-smi -L | wc -l)
  mpirun -n "$gpus" --oversubscribe --bind-to none "$build/slipway-allreduce-bench" --backend nccl -b 8 -e "$max" -f 4
else
  echo "# nccl: skipped, no NVIDIA GPU on this machine"
fi
