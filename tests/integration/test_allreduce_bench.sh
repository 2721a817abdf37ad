#!/usr/bin/env bash
# slipway-allreduce-bench: real MPI ranks sum exact-sum inputs at every size and report nccl-tests'
# columns; the NCCL backend without a GPU (or without CUDA in the build) refuses with the reason.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
BENCH="$(dirname "$SLIPWAY")/slipway-allreduce-bench"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mpirun -n 2 --oversubscribe --bind-to none "$BENCH" -b 8 -e 1M -f 4 -n 3 -w 1 > table.txt
contains -F "# all-reduce (sum, float) over 2 ranks with mpi" table.txt || fail "table header: $(cat table.txt)"
contains -F "# out of bounds values: 0 OK" table.txt || fail "wrong sums: $(cat table.txt)"
# 8, 32, ..., 512K, and the row for 1M would be past 4·512K: 8·4^k ≤ 1M gives 9 sizes.
rows=$(grep -c -E '^ +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +0$' table.txt)
expect_eq "$rows" "9" "one row per size from 8 B to 512 KiB, each with 0 wrong elements"

# Three ranks: bus bandwidth is algbw · 2(p−1)/p = 4/3 of it.
mpirun -n 3 --oversubscribe --bind-to none "$BENCH" -b 64K -e 64K -n 2 -w 1 --output json > bench.json
expect_eq "$(json bench.json "(d['backend'], d['ranks'], len(d['rows']), d['rows'][0]['bytes'], d['rows'][0]['wrong'], round(d['rows'][0]['busbw_bytes_per_second'] / d['rows'][0]['algbw_bytes_per_second'], 6))")" \
  "('mpi', 3, 1, 65536, 0, 1.333333)" "JSON: 3 ranks, 64 KiB, exact sums, busbw = 4/3 algbw"

set +e
"$BENCH" -b 1X > bad.out 2> bad.err
code=$?
set -e
[ $code -eq 2 ] || fail "a bad size exited $code"
contains -F "unknown unit 'X' (use K, M or G)" bad.err || fail "bad size message: $(cat bad.err)"
pass "a bad size is refused with the units that work"

if ! nvidia-smi -L > /dev/null 2>&1; then
  set +e
  "$BENCH" --backend nccl > bad.out 2> bad.err
  code=$?
  set -e
  [ $code -eq 1 ] || fail "nccl without a GPU exited $code"
  contains -E "sees no CUDA device|built without CUDA" bad.err || fail "nccl without a GPU: $(cat bad.err)"
  pass "the NCCL backend without a GPU says why"
fi
