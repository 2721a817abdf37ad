#!/usr/bin/env bash
# The local Slurm test cluster: four real slurmd daemons that accept work across nodes, GPU GRES
# that are scheduled, an idempotent `up`, and a `down` that leaves no daemon behind.
source "$(dirname "$0")/lib.sh"

if ! command -v slurmctld > /dev/null; then
  echo "SKIP: slurm-wlm is not installed (scripts/deps.sh installs it)"
  exit 77  # ctest's SKIP_RETURN_CODE: reported as skipped, never as a pass
fi
cluster="$SLIPWAY_SOURCE_DIR/slurm/local-cluster.sh"
dir="$WORK/cluster"
# Ports of their own, apart from the default (a developer's cluster) and the shared test cluster.
export SLIPWAY_SLURMCTLD_PORT=16927 SLIPWAY_SLURMD_PORT=17111
trap '"$cluster" down "$dir" > /dev/null 2>&1 || true; rm -rf "$SLIPWAY_HOME" "$WORK"' EXIT

"$cluster" up "$dir"
"$cluster" up "$dir" > /dev/null
pass "up, twice"
eval "$("$cluster" env "$dir")"
expect_eq "$(sinfo -h -N -o '%N %T %c %G' | sort | tr '\n' ';')" \
  "n1 idle 4 gpu:2;n2 idle 4 gpu:2;n3 idle 4 gpu:2;n4 idle 4 gpu:2;" "four idle nodes with 2 GPUs each"

cd "$WORK"
expect_eq "$(timeout 60 srun -N 2 -n 2 bash -c 'echo $SLURMD_NODENAME' | sort -u | wc -l)" 2 "a 2-node step runs on two nodes"
expect_eq "$(timeout 60 srun -N 1 --gres=gpu:2 bash -c 'echo $CUDA_VISIBLE_DEVICES')" "0,1" "GPU GRES are allocated"
set +e
out=$(timeout 60 srun -N 1 --gres=gpu:3 true 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || fail "a request for 3 GPUs on a 2-GPU node should be refused"
pass "an impossible GPU request is refused: $(echo "$out" | head -1)"

printf '#!/bin/bash\necho batch on $SLURMD_NODENAME\n' > job.sh
jid=$(sbatch --parsable -o "$WORK/job.out" job.sh)
for _ in $(seq 1 100); do
  state=$(scontrol show job "$jid" | grep -o 'JobState=[A-Z]*' | cut -d= -f2)
  [ "$state" == COMPLETED ] && break
  sleep 0.1
done
expect_eq "$state" COMPLETED "an sbatch job completes"
grep -q "batch on n" "$WORK/job.out" || fail "batch output: $(cat "$WORK/job.out")"

"$cluster" down "$dir"
sleep 0.2
left=$(pgrep -f "$dir" | wc -l || true)
expect_eq "$left" 0 "down leaves no daemon"
